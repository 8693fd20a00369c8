/**
 * Table metadata (spec: "Table Metadata"), v2 as the model, reading v1 and v3 without failing.
 * Keys this module does not model are kept in `extra` and written back unchanged.
 */
import { FloeError } from '../errors.js';
import { specFromJson, specToJson, sortOrderFromJson, sortOrderToJson, type PartitionSpec, type SortOrder } from './partition.js';
import { schemaFromJson, schemaToJson } from './schema.js';
import type { Schema } from './types.js';
import { stringifyJson, toLong } from './json.js';

type Json = { [k: string]: unknown };

export interface Snapshot {
  readonly snapshotId: bigint;
  readonly parentSnapshotId?: bigint;
  readonly sequenceNumber: number;
  readonly timestampMs: number;
  readonly manifestList: string;
  readonly summary: Readonly<Record<string, string>>;
  readonly schemaId?: number;
  readonly extra?: Json;
}

export interface SnapshotRef {
  readonly snapshotId: bigint;
  readonly type: 'branch' | 'tag';
  readonly minSnapshotsToKeep?: number;
  readonly maxSnapshotAgeMs?: number;
  readonly maxRefAgeMs?: number;
}

export interface TableMetadata {
  readonly formatVersion: 1 | 2 | 3;
  readonly tableUuid: string;
  readonly location: string;
  readonly lastSequenceNumber: number;
  readonly lastUpdatedMs: number;
  readonly lastColumnId: number;
  readonly schemas: readonly Schema[];
  readonly currentSchemaId: number;
  readonly partitionSpecs: readonly PartitionSpec[];
  readonly defaultSpecId: number;
  readonly lastPartitionId: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly currentSnapshotId?: bigint;
  readonly snapshots: readonly Snapshot[];
  readonly snapshotLog: ReadonlyArray<{ snapshotId: bigint; timestampMs: number }>;
  readonly metadataLog: ReadonlyArray<{ metadataFile: string; timestampMs: number }>;
  readonly sortOrders: readonly SortOrder[];
  readonly defaultSortOrderId: number;
  readonly refs: Readonly<Record<string, SnapshotRef>>;
  /** v3 row lineage: the first row id the next snapshot assigns. */
  readonly nextRowId?: bigint;
  /** Keys not modelled here (statistics, partition-statistics, encryption keys...), written back unchanged. */
  readonly extra: Json;
}

const KNOWN = new Set([
  'format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms', 'last-column-id', 'schema', 'schemas',
  'current-schema-id', 'partition-spec', 'partition-specs', 'default-spec-id', 'last-partition-id', 'properties',
  'current-snapshot-id', 'snapshots', 'snapshot-log', 'metadata-log', 'sort-orders', 'default-sort-order-id', 'refs', 'next-row-id',
]);

export function snapshotFromJson(o: Json): Snapshot {
  const { 'snapshot-id': id, 'parent-snapshot-id': parent, 'sequence-number': seq, 'timestamp-ms': ts, 'manifest-list': ml, summary, 'schema-id': sid, ...rest } = o;
  return {
    snapshotId: toLong(id),
    ...(parent === undefined || parent === null ? {} : { parentSnapshotId: toLong(parent) }),
    sequenceNumber: Number(seq ?? 0),
    timestampMs: Number(ts),
    manifestList: String(ml ?? ''),
    summary: (summary as Record<string, string>) ?? { operation: 'append' },
    ...(sid === undefined ? {} : { schemaId: Number(sid) }),
    ...(Object.keys(rest).length ? { extra: rest } : {}),
  };
}

export function snapshotToJson(s: Snapshot, v = 2): Json {
  const o: Json = { 'snapshot-id': s.snapshotId };
  if (s.parentSnapshotId !== undefined) o['parent-snapshot-id'] = s.parentSnapshotId;
  if (v >= 2) o['sequence-number'] = s.sequenceNumber;
  o['timestamp-ms'] = s.timestampMs;
  o['manifest-list'] = s.manifestList;
  o.summary = s.summary;
  if (s.schemaId !== undefined) o['schema-id'] = s.schemaId;
  return { ...o, ...s.extra };
}

export function refFromJson(o: Json): SnapshotRef {
  return {
    snapshotId: toLong(o['snapshot-id']),
    type: o.type === 'tag' ? 'tag' : 'branch',
    ...(o['min-snapshots-to-keep'] !== undefined ? { minSnapshotsToKeep: Number(o['min-snapshots-to-keep']) } : {}),
    ...(o['max-snapshot-age-ms'] !== undefined ? { maxSnapshotAgeMs: Number(o['max-snapshot-age-ms']) } : {}),
    ...(o['max-ref-age-ms'] !== undefined ? { maxRefAgeMs: Number(o['max-ref-age-ms']) } : {}),
  };
}

export function refToJson(r: SnapshotRef): Json {
  const o: Json = { 'snapshot-id': r.snapshotId, type: r.type };
  if (r.minSnapshotsToKeep !== undefined) o['min-snapshots-to-keep'] = r.minSnapshotsToKeep;
  if (r.maxSnapshotAgeMs !== undefined) o['max-snapshot-age-ms'] = r.maxSnapshotAgeMs;
  if (r.maxRefAgeMs !== undefined) o['max-ref-age-ms'] = r.maxRefAgeMs;
  return o;
}

export function metadataFromJson(j: unknown): TableMetadata {
  const o = j as Json;
  const v = Number(o['format-version']);
  if (v !== 1 && v !== 2 && v !== 3) throw new FloeError('METADATA_INVALID', `table metadata: unsupported format-version ${String(o['format-version'])}`);
  const schemas = Array.isArray(o.schemas) ? (o.schemas as Json[]).map(schemaFromJson) : [schemaFromJson(o.schema)];
  const specs = Array.isArray(o['partition-specs'])
    ? (o['partition-specs'] as Json[]).map(specFromJson)
    : [specFromJson({ 'spec-id': 0, fields: o['partition-spec'] ?? [] })];
  const snapshots = ((o.snapshots as Json[]) ?? []).map(snapshotFromJson);
  const current = o['current-snapshot-id'];
  const currentSnapshotId = current === null || current === undefined || Number(current) === -1 ? undefined : toLong(current);
  const refs: Record<string, SnapshotRef> = {};
  for (const [k, r] of Object.entries((o.refs as Record<string, Json>) ?? {})) refs[k] = refFromJson(r);
  if (currentSnapshotId !== undefined && !refs.main) refs.main = { snapshotId: currentSnapshotId, type: 'branch' };
  const extra: Json = {};
  for (const [k, x] of Object.entries(o)) if (!KNOWN.has(k)) extra[k] = x;
  return {
    formatVersion: v,
    tableUuid: String(o['table-uuid'] ?? ''),
    location: String(o.location),
    lastSequenceNumber: Number(o['last-sequence-number'] ?? 0),
    lastUpdatedMs: Number(o['last-updated-ms'] ?? 0),
    lastColumnId: Number(o['last-column-id'] ?? 0),
    schemas,
    currentSchemaId: Number(o['current-schema-id'] ?? schemas[0]?.schemaId ?? 0),
    partitionSpecs: specs,
    defaultSpecId: Number(o['default-spec-id'] ?? specs[0]?.specId ?? 0),
    lastPartitionId: Number(o['last-partition-id'] ?? Math.max(999, ...specs.flatMap((s) => s.fields.map((f) => f.fieldId)))),
    properties: (o.properties as Record<string, string>) ?? {},
    ...(currentSnapshotId === undefined ? {} : { currentSnapshotId }),
    snapshots,
    snapshotLog: ((o['snapshot-log'] as Json[]) ?? []).map((e) => ({ snapshotId: toLong(e['snapshot-id']), timestampMs: Number(e['timestamp-ms']) })),
    metadataLog: ((o['metadata-log'] as Json[]) ?? []).map((e) => ({ metadataFile: String(e['metadata-file']), timestampMs: Number(e['timestamp-ms']) })),
    sortOrders: ((o['sort-orders'] as Json[]) ?? [{ 'order-id': 0, fields: [] }]).map(sortOrderFromJson),
    defaultSortOrderId: Number(o['default-sort-order-id'] ?? 0),
    refs,
    ...(o['next-row-id'] !== undefined && o['next-row-id'] !== null ? { nextRowId: toLong(o['next-row-id']) } : v >= 3 ? { nextRowId: 0n } : {}),
    extra,
  };
}

export function metadataToJson(m: TableMetadata): Json {
  const o: Json = {
    'format-version': m.formatVersion,
    'table-uuid': m.tableUuid,
    location: m.location,
    'last-sequence-number': m.lastSequenceNumber,
    'last-updated-ms': m.lastUpdatedMs,
    'last-column-id': m.lastColumnId,
    'current-schema-id': m.currentSchemaId,
    schemas: m.schemas.map(schemaToJson),
    'default-spec-id': m.defaultSpecId,
    'partition-specs': m.partitionSpecs.map(specToJson),
    'last-partition-id': m.lastPartitionId,
    'default-sort-order-id': m.defaultSortOrderId,
    'sort-orders': m.sortOrders.map(sortOrderToJson),
    properties: m.properties,
    'current-snapshot-id': m.currentSnapshotId ?? -1,
    refs: Object.fromEntries(Object.entries(m.refs).map(([k, r]) => [k, refToJson(r)])),
    snapshots: m.snapshots.map((s) => snapshotToJson(s, m.formatVersion)),
    'snapshot-log': m.snapshotLog.map((e) => ({ 'snapshot-id': e.snapshotId, 'timestamp-ms': e.timestampMs })),
    'metadata-log': m.metadataLog.map((e) => ({ 'metadata-file': e.metadataFile, 'timestamp-ms': e.timestampMs })),
  };
  if (m.formatVersion >= 3) o['next-row-id'] = m.nextRowId ?? 0n;
  if (m.formatVersion === 1) {
    const s = currentSchema(m);
    o.schema = schemaToJson(s);
    o['partition-spec'] = specToJson(defaultSpec(m)).fields;
  }
  // Modelled keys win over stale copies of them in `extra` (metadata built by hand may carry some).
  for (const [k, x] of Object.entries(m.extra)) if (!KNOWN.has(k)) o[k] = x;
  return o;
}

/** Snapshots serialised before, per format version: a snapshot never changes once made. */
const snapshotTexts = new Map<number, WeakMap<Snapshot, string>>();

/**
 * `stringifyJson(metadataToJson(m))`, with each snapshot's JSON kept from the last time it was
 * written. Snapshots are ~95% of a busy table's metadata and a commit adds one, so the catalog,
 * which writes the whole file on every commit, serialises one snapshot instead of thousands.
 */
export function metadataText(m: TableMetadata): string {
  const known = snapshotTexts.get(m.formatVersion) ?? new WeakMap<Snapshot, string>();
  snapshotTexts.set(m.formatVersion, known);
  const snapshots = m.snapshots.map((snap) => {
    let t = known.get(snap);
    if (t === undefined) known.set(snap, (t = stringifyJson(snapshotToJson(snap, m.formatVersion))));
    return t;
  });
  const parts = Object.entries(metadataToJson({ ...m, snapshots: [] })).map(([k, v]) => `${JSON.stringify(k)}:${k === 'snapshots' ? `[${snapshots.join(',')}]` : stringifyJson(v)}`);
  return `{${parts.join(',')}}`;
}

export function currentSchema(m: TableMetadata): Schema {
  const s = m.schemas.find((x) => x.schemaId === m.currentSchemaId);
  if (!s) throw new FloeError('METADATA_INVALID', `table metadata: current schema ${m.currentSchemaId} is missing`);
  return s;
}

export function defaultSpec(m: TableMetadata): PartitionSpec {
  const s = m.partitionSpecs.find((x) => x.specId === m.defaultSpecId);
  if (!s) throw new FloeError('METADATA_INVALID', `table metadata: default spec ${m.defaultSpecId} is missing`);
  return s;
}

export function snapshotById(m: TableMetadata, id: bigint): Snapshot | undefined {
  return m.snapshots.find((s) => s.snapshotId === id);
}

/** The snapshot a branch points at (main by default). */
export function branchHead(m: TableMetadata, branch = 'main'): Snapshot | undefined {
  const ref = m.refs[branch];
  const id = ref?.snapshotId ?? (branch === 'main' ? m.currentSnapshotId : undefined);
  return id === undefined ? undefined : snapshotById(m, id);
}

/** Newest first: a snapshot and its parents, as far as the metadata still holds them. */
export function* ancestors(m: TableMetadata, from: Snapshot | undefined): Generator<Snapshot> {
  const byId = new Map(m.snapshots.map((s) => [s.snapshotId, s]));
  let s = from;
  const seen = new Set<bigint>();
  while (s && !seen.has(s.snapshotId)) {
    seen.add(s.snapshotId);
    yield s;
    s = s.parentSnapshotId === undefined ? undefined : byId.get(s.parentSnapshotId);
  }
}

/** The snapshot main points at (Java's currentSnapshot). */
export function currentSnapshot(m: TableMetadata): Snapshot | undefined {
  return branchHead(m, 'main');
}

export function schemaById(m: TableMetadata, id: number): Schema | undefined {
  return m.schemas.find((s) => s.schemaId === id);
}

export function specById(m: TableMetadata, id: number): PartitionSpec | undefined {
  return m.partitionSpecs.find((s) => s.specId === id);
}

export function sortOrderById(m: TableMetadata, id: number): SortOrder | undefined {
  return m.sortOrders.find((s) => s.orderId === id);
}

/** A snapshot and its ancestors, newest first; by default from main's head. */
export function ancestorsOf(m: TableMetadata, snapshotId: bigint | undefined = currentSnapshot(m)?.snapshotId): Snapshot[] {
  return snapshotId === undefined ? [] : [...ancestors(m, snapshotById(m, snapshotId))];
}

/**
 * The newest snapshot in a branch's ancestry whose summary has `key` (the sink's offsets live
 * there; other writers may have committed after it without the key).
 */
export function latestWithSummaryKey(m: TableMetadata, key: string, branch = 'main'): Snapshot | undefined {
  for (const s of ancestors(m, branchHead(m, branch))) if (key in s.summary) return s;
  return undefined;
}

type Stats = ReadonlyArray<Readonly<Record<string, unknown>>>;

/** Table statistics files (`statistics`), kept as their JSON objects. */
export function statisticsFiles(m: TableMetadata): Stats {
  return (m.extra.statistics as Stats | undefined) ?? [];
}

/** Partition statistics files (`partition-statistics`), kept as their JSON objects. */
export function partitionStatisticsFiles(m: TableMetadata): Stats {
  return (m.extra['partition-statistics'] as Stats | undefined) ?? [];
}
