/**
 * View commits as data, like table commits: `assert-view-uuid` and the REST spec's ViewUpdates,
 * checked and applied by pure functions with the semantics of Java's ViewMetadata.Builder
 * (schema and version ids reused for equal content, `-1` for the last added, a version-log entry
 * when the current version changes, old versions expired past `version.history.num-entries`,
 * a replace that drops a dialect refused unless `replace.drop-dialect.allowed`).
 */
import { randomUUID } from 'node:crypto';
import { FloeError } from '../src/errors.js';
import { schemaToJson, validateSchema } from '../src/spec/schema.js';
import type { Schema } from '../src/spec/types.js';
import { updateFromJson } from '../src/spec/updates.js';
import { VIEW_FORMAT_VERSION, viewVersionFromJson, viewVersionToJson, type ViewHistoryEntry, type ViewMetadata, type ViewVersion } from './view-metadata.js';

export type ViewRequirement = { type: 'assert-view-uuid'; uuid: string };

export type ViewUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; formatVersion: number }
  | { action: 'add-schema'; schema: Schema; lastColumnId?: number }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'add-view-version'; viewVersion: ViewVersion }
  /** -1: the version added last in this commit. */
  | { action: 'set-current-view-version'; viewVersionId: number };

export const VERSION_HISTORY_SIZE = 'version.history.num-entries';
export const DROP_DIALECT_ALLOWED = 'replace.drop-dialect.allowed';

const invalid = (msg: string) => new FloeError('UPDATE_INVALID', msg);
type Json = Record<string, unknown>;

export function viewRequirementFromJson(j: unknown): ViewRequirement {
  const o = j as Json;
  if (o?.type !== 'assert-view-uuid') throw invalid(`unknown view requirement type '${String(o?.type)}' (a view commit accepts assert-view-uuid)`);
  if (typeof o.uuid !== 'string') throw invalid(`requirement assert-view-uuid: 'uuid' is missing or of the wrong type`);
  return { type: 'assert-view-uuid', uuid: o.uuid };
}

export function checkViewRequirement(m: ViewMetadata, r: ViewRequirement): void {
  if (m.viewUuid.toLowerCase() !== r.uuid.toLowerCase()) {
    throw new FloeError('REQUIREMENT_FAILED', `Requirement failed: view UUID does not match: expected ${r.uuid} != ${m.viewUuid} (assert-view-uuid)`, { details: { requirement: r.type } });
  }
}

const TABLE_SHAPED = new Set(['assign-uuid', 'upgrade-format-version', 'add-schema', 'set-location', 'set-properties', 'remove-properties']);

export function viewUpdateFromJson(j: unknown): ViewUpdate {
  const o = j as Json;
  switch (o?.action) {
    case 'add-view-version':
      return { action: 'add-view-version', viewVersion: viewVersionFromJson(o['view-version'], 'add-view-version: view-version') };
    case 'set-current-view-version':
      if (typeof o['view-version-id'] !== 'number' || !Number.isInteger(o['view-version-id'])) throw invalid(`update set-current-view-version: 'view-version-id' is missing or of the wrong type`);
      return { action: 'set-current-view-version', viewVersionId: o['view-version-id'] };
    default:
      if (!TABLE_SHAPED.has(String(o?.action))) throw invalid(`update '${String(o?.action)}' does not apply to a view (view updates: ${[...TABLE_SHAPED].join(', ')}, add-view-version, set-current-view-version)`);
      // The six actions views share with tables have the same JSON: src/spec reads them.
      return updateFromJson(j) as ViewUpdate;
  }
}

const sameSchema = (a: Schema, b: Schema) => JSON.stringify(schemaToJson({ ...a, schemaId: 0 })) === JSON.stringify(schemaToJson({ ...b, schemaId: 0 }));

/** Java's sameViewVersion: everything but the id and the timestamp. */
function sameVersion(a: ViewVersion, b: ViewVersion): boolean {
  const strip = (v: ViewVersion) => JSON.stringify({ ...viewVersionToJson(v), 'version-id': 0, 'timestamp-ms': 0 });
  return strip(a) === strip(b);
}

const dialects = (v: ViewVersion) => new Set(v.representations.flatMap((r) => (r.type === 'sql' ? [String(r.dialect).toLowerCase()] : [])));

export interface ApplyViewOptions {
  /** Clock for the version-log entry of a version made current again (default Date.now). */
  now?: () => number;
}

/** Applies updates in order and checks the result; throws UPDATE_INVALID or METADATA_INVALID. */
export function applyViewUpdates(base: ViewMetadata | undefined, updates: readonly ViewUpdate[], opts: ApplyViewOptions = {}): ViewMetadata {
  const m = {
    viewUuid: base?.viewUuid ?? '',
    formatVersion: base?.formatVersion ?? VIEW_FORMAT_VERSION,
    location: base?.location ?? '',
    currentVersionId: base?.currentVersionId ?? -1,
    versions: [...(base?.versions ?? [])],
    versionLog: [...(base?.versionLog ?? [])],
    schemas: [...(base?.schemas ?? [])],
    properties: { ...(base?.properties ?? {}) },
  };
  let lastAddedSchema: number | undefined;
  let lastAddedVersion: number | undefined;
  const added = new Set<number>();
  let history: ViewHistoryEntry | undefined;

  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        if (!u.uuid) throw invalid('Cannot set uuid to an empty string');
        if (m.viewUuid && m.viewUuid.toLowerCase() !== u.uuid.toLowerCase()) throw invalid(`Cannot reassign uuid ${m.viewUuid} to ${u.uuid}`);
        m.viewUuid = u.uuid;
        break;
      case 'upgrade-format-version':
        if (u.formatVersion > VIEW_FORMAT_VERSION) throw invalid(`Cannot upgrade view to unsupported format version: v${u.formatVersion} (supported: v${VIEW_FORMAT_VERSION})`);
        if (u.formatVersion < m.formatVersion) throw invalid(`Cannot downgrade v${m.formatVersion} view to v${u.formatVersion}`);
        m.formatVersion = u.formatVersion;
        break;
      case 'add-schema': {
        try {
          validateSchema(u.schema);
        } catch (err) {
          throw invalid(`add-schema: ${(err as Error).message}`);
        }
        const existing = m.schemas.find((s) => sameSchema(s, u.schema));
        if (existing) lastAddedSchema = existing.schemaId;
        else {
          const id = m.schemas.reduce((hi, s) => Math.max(hi, s.schemaId + 1), 0);
          m.schemas.push({ ...u.schema, schemaId: id });
          lastAddedSchema = id;
        }
        break;
      }
      case 'set-location':
        if (!u.location) throw invalid('Invalid location: empty');
        m.location = u.location.replace(/\/+$/, '');
        break;
      case 'set-properties':
        Object.assign(m.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete m.properties[k];
        break;
      case 'add-view-version': {
        let v = u.viewVersion;
        if (v.schemaId === -1) {
          if (lastAddedSchema === undefined) throw invalid('Cannot set last added schema: no schema has been added');
          v = { ...v, schemaId: lastAddedSchema };
        }
        if (!m.schemas.some((s) => s.schemaId === v.schemaId)) throw invalid(`Cannot add version with unknown schema: ${v.schemaId}`);
        const seen = new Set<string>();
        for (const r of v.representations) {
          if (r.type !== 'sql') continue;
          const d = String(r.dialect).toLowerCase();
          if (seen.has(d)) throw invalid(`Invalid view version: Cannot add multiple queries for dialect ${d}`);
          seen.add(d);
        }
        const same = m.versions.find((x) => sameVersion(x, v));
        if (same) {
          // Java forgets an equal version that was not added in this commit; `-1` still finds it here.
          lastAddedVersion = same.versionId;
          break;
        }
        const id = m.versions.reduce((hi, x) => Math.max(hi, x.versionId + 1), v.versionId);
        m.versions.push({ ...v, versionId: id });
        added.add(id);
        lastAddedVersion = id;
        break;
      }
      case 'set-current-view-version': {
        const id = u.viewVersionId === -1 ? lastAddedVersion : u.viewVersionId;
        if (id === undefined) throw invalid('Cannot set last version: no version has been added');
        const v = m.versions.find((x) => x.versionId === id);
        if (!v) throw invalid(`Cannot set current version to unknown version: ${id}`);
        if (m.currentVersionId !== id) {
          m.currentVersionId = id;
          // A version added in this commit keeps its own time; one made current again gets now.
          history = { versionId: id, timestampMs: added.has(id) ? v.timestampMs : (opts.now ?? Date.now)() };
        }
        break;
      }
    }
  }
  if (history) m.versionLog.push(history);
  return finish(base, m, added.size);
}

/** Java's ViewMetadata.Builder.build(): checks, the dialect rule, and expiry of old versions. */
function finish(base: ViewMetadata | undefined, m: ViewMetadata, addedCount: number): ViewMetadata {
  const bad = (msg: string) => new FloeError('METADATA_INVALID', msg);
  if (!m.viewUuid) throw bad('Invalid view: the view has no uuid (assign-uuid)');
  if (!m.location) throw bad('Invalid view: the view has no location (set-location)');
  if (m.versions.length === 0) throw bad('Invalid view: no versions were added (add-view-version)');
  const current = m.versions.find((v) => v.versionId === m.currentVersionId);
  if (!current) throw bad('Invalid view: no current version is set (set-current-view-version)');

  const previous = base?.versions.find((v) => v.versionId === base.currentVersionId);
  if (previous && previous.versionId !== current.versionId && m.properties[DROP_DIALECT_ALLOWED] !== 'true') {
    const now = dialects(current);
    const dropped = [...dialects(previous)].filter((d) => !now.has(d));
    if (dropped.length) throw invalid(`Cannot replace view due to loss of view dialects (${DROP_DIALECT_ALLOWED}=false): previous dialects ${[...dialects(previous)].join(', ')}, new dialects ${[...now].join(', ')}`);
  }

  const raw = m.properties[VERSION_HISTORY_SIZE];
  const historySize = raw === undefined ? 10 : Number(raw);
  if (!Number.isInteger(historySize) || historySize < 1) throw invalid(`${VERSION_HISTORY_SIZE} must be a positive integer but was ${raw}`);
  const keep = Math.max(addedCount, historySize);
  if (m.versions.length <= keep) return m;
  // Keep the newest versions (by id) and the current one; the log keeps only its tail of retained versions.
  const newest = [...m.versions].sort((a, b) => b.versionId - a.versionId).slice(0, keep);
  if (!newest.includes(current)) newest.splice(keep - 1, 1, current);
  const ids = new Set(newest.map((v) => v.versionId));
  const log: ViewHistoryEntry[] = [];
  for (const e of m.versionLog) {
    if (ids.has(e.versionId)) log.push(e);
    else log.length = 0;
  }
  return { ...m, versions: m.versions.filter((v) => ids.has(v.versionId)), versionLog: log };
}

export interface CreateViewInput {
  schema: Schema;
  viewVersion: ViewVersion;
  location: string;
  properties: Record<string, string>;
}

/**
 * A new view's metadata, as Java's catalogs build it: a fresh uuid, the request's schema as
 * schema 0, its version (the schema id replaced by the assigned one) current.
 */
export function newViewMetadata(req: CreateViewInput, uuid: string = randomUUID()): ViewMetadata {
  return applyViewUpdates(undefined, [
    { action: 'assign-uuid', uuid },
    { action: 'set-location', location: req.location },
    { action: 'set-properties', updates: req.properties },
    { action: 'add-schema', schema: req.schema },
    { action: 'add-view-version', viewVersion: { ...req.viewVersion, schemaId: -1 } },
    { action: 'set-current-view-version', viewVersionId: -1 },
  ]);
}
