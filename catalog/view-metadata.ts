/**
 * Iceberg view metadata (view spec, format version 1) as plain data, and its JSON form: the
 * metadata files the catalog writes and the `metadata` of a LoadViewResult. Pure, no I/O.
 * Representations of a type other than `sql` are refused from clients (the REST spec has only
 * SQL ones) and carried unchanged when read from a file (the view spec allows more kinds later).
 */
import { FloeError } from '../src/errors.js';
import { schemaFromJson, schemaToJson } from '../src/spec/schema.js';
import type { Schema } from '../src/spec/types.js';

type Json = Record<string, unknown>;

export const VIEW_FORMAT_VERSION = 1;

export interface SqlRepresentation {
  type: 'sql';
  sql: string;
  dialect: string;
}

/** A representation as it came: `sql` ones are checked, others are carried unchanged. */
export type ViewRepresentation = SqlRepresentation | (Json & { type: string });

export interface ViewVersion {
  versionId: number;
  timestampMs: number;
  /** -1 in an update: the schema added last in the same commit. */
  schemaId: number;
  summary: Record<string, string>;
  representations: ViewRepresentation[];
  defaultCatalog?: string;
  defaultNamespace: string[];
}

export interface ViewHistoryEntry {
  versionId: number;
  timestampMs: number;
}

export interface ViewMetadata {
  viewUuid: string;
  formatVersion: number;
  location: string;
  currentVersionId: number;
  versions: ViewVersion[];
  versionLog: ViewHistoryEntry[];
  schemas: Schema[];
  properties: Record<string, string>;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStrMap = (v: unknown): v is Record<string, string> => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

function need<T>(o: Json, key: string, ok: (v: unknown) => boolean, where: string, code: 'METADATA_INVALID' | 'UPDATE_INVALID'): T {
  if (!ok(o[key])) throw new FloeError(code, `${where}: '${key}' is missing or of the wrong type`);
  return o[key] as T;
}

/** A timestamp in milliseconds: a JSON integer (bigint only past 2^53, which no clock reaches). */
const isMillis = (v: unknown) => isInt(v) || typeof v === 'bigint';
const millis = (v: unknown) => Number(v);

export function representationFromJson(j: unknown, where: string, code: 'METADATA_INVALID' | 'UPDATE_INVALID' = 'UPDATE_INVALID'): ViewRepresentation {
  if (!isObj(j) || typeof j.type !== 'string') throw new FloeError(code, `${where}: a representation needs a 'type'`);
  if (j.type !== 'sql') {
    // The REST spec knows only SQL representations: a client may not add others, a file's are carried.
    if (code === 'UPDATE_INVALID') throw new FloeError(code, `${where}: unknown representation type '${j.type}' (expected sql)`);
    return { ...j, type: j.type };
  }
  return {
    type: 'sql',
    sql: need<string>(j, 'sql', (v) => typeof v === 'string', where, code),
    dialect: need<string>(j, 'dialect', (v) => typeof v === 'string' && v.length > 0, where, code),
  };
}

export function viewVersionFromJson(j: unknown, where = 'view-version', code: 'METADATA_INVALID' | 'UPDATE_INVALID' = 'UPDATE_INVALID'): ViewVersion {
  if (!isObj(j)) throw new FloeError(code, `${where}: expected a JSON object`);
  const reps = need<unknown[]>(j, 'representations', Array.isArray, where, code);
  const v: ViewVersion = {
    versionId: need<number>(j, 'version-id', isInt, where, code),
    timestampMs: millis(need(j, 'timestamp-ms', isMillis, where, code)),
    schemaId: need<number>(j, 'schema-id', isInt, where, code),
    summary: need<Record<string, string>>(j, 'summary', isStrMap, where, code),
    representations: reps.map((r, i) => representationFromJson(r, `${where}.representations[${i}]`, code)),
    defaultNamespace: need<string[]>(j, 'default-namespace', (x) => Array.isArray(x) && x.every((p) => typeof p === 'string'), where, code),
  };
  if (j['default-catalog'] !== undefined && j['default-catalog'] !== null) v.defaultCatalog = need<string>(j, 'default-catalog', (x) => typeof x === 'string', where, code);
  return v;
}

export function viewVersionToJson(v: ViewVersion): Json {
  return {
    'version-id': v.versionId,
    'timestamp-ms': v.timestampMs,
    'schema-id': v.schemaId,
    summary: { ...v.summary },
    representations: v.representations.map((r) => ({ ...r })),
    ...(v.defaultCatalog !== undefined ? { 'default-catalog': v.defaultCatalog } : {}),
    'default-namespace': [...v.defaultNamespace],
  };
}

export function viewMetadataFromJson(j: unknown): ViewMetadata {
  const where = 'view metadata';
  if (!isObj(j)) throw new FloeError('METADATA_INVALID', `${where}: expected a JSON object`);
  const c = 'METADATA_INVALID' as const;
  const schemas = need<unknown[]>(j, 'schemas', Array.isArray, where, c);
  const versions = need<unknown[]>(j, 'versions', Array.isArray, where, c);
  const log = need<unknown[]>(j, 'version-log', Array.isArray, where, c);
  return {
    viewUuid: need<string>(j, 'view-uuid', (v) => typeof v === 'string', where, c),
    formatVersion: need<number>(j, 'format-version', isInt, where, c),
    location: need<string>(j, 'location', (v) => typeof v === 'string', where, c),
    currentVersionId: need<number>(j, 'current-version-id', isInt, where, c),
    versions: versions.map((v, i) => viewVersionFromJson(v, `${where}: versions[${i}]`, c)),
    versionLog: log.map((e, i) => {
      if (!isObj(e)) throw new FloeError(c, `${where}: version-log[${i}] is not an object`);
      return { versionId: need<number>(e, 'version-id', isInt, `version-log[${i}]`, c), timestampMs: millis(need(e, 'timestamp-ms', isMillis, `version-log[${i}]`, c)) };
    }),
    schemas: schemas.map((s) => schemaFromJson(s)),
    properties: j.properties === undefined || j.properties === null ? {} : need<Record<string, string>>(j, 'properties', isStrMap, where, c),
  };
}

/** The spec's field order: uuid, format version, location, schemas, current version, versions, log. */
export function viewMetadataToJson(m: ViewMetadata): Json {
  return {
    'view-uuid': m.viewUuid,
    'format-version': m.formatVersion,
    location: m.location,
    schemas: m.schemas.map(schemaToJson),
    'current-version-id': m.currentVersionId,
    versions: m.versions.map(viewVersionToJson),
    'version-log': m.versionLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'version-id': e.versionId })),
    properties: { ...m.properties },
  };
}

export function currentVersion(m: ViewMetadata): ViewVersion {
  const v = m.versions.find((x) => x.versionId === m.currentVersionId);
  if (!v) throw new FloeError('METADATA_INVALID', `view metadata: current-version-id ${m.currentVersionId} is not among the versions`);
  return v;
}
