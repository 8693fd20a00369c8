/**
 * Table updates of the REST spec as data, applied by one pure function: the REST client builds
 * them, the embedded catalog applies them under compare-and-swap. Semantics follow Java's
 * TableMetadata.Builder (the REST reference) and PyIceberg's update_table_metadata.
 */
import { FloeError, isFloeError } from '../errors.js';
import { toLong } from './json.js';
import type { Snapshot, SnapshotRef, TableMetadata } from './metadata.js';
import { specToJson, sortOrderToJson, validateSpec, type PartitionSpec, type SortOrder } from './partition.js';
import { highestFieldId, indexById, schemaToJson, validateSchema } from './schema.js';
import type { Schema } from './types.js';

export { updateFromJson, updateToJson } from './update-json.js';

type Json = Record<string, unknown>;

export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; formatVersion: number }
  | { action: 'add-schema'; schema: Schema; lastColumnId?: number }
  /** -1: the schema added last in this commit. */
  | { action: 'set-current-schema'; schemaId: number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; specId: number }
  | { action: 'add-sort-order'; sortOrder: SortOrder }
  | { action: 'set-default-sort-order'; sortOrderId: number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | ({ action: 'set-snapshot-ref'; refName: string } & SnapshotRef)
  | { action: 'remove-snapshots'; snapshotIds: bigint[] }
  | { action: 'remove-snapshot-ref'; refName: string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'set-statistics'; snapshotId: bigint; statistics: Json }
  | { action: 'remove-statistics'; snapshotId: bigint }
  | { action: 'set-partition-statistics'; snapshotId: bigint; partitionStatistics: Json }
  | { action: 'remove-partition-statistics'; snapshotId: bigint }
  | { action: 'remove-partition-specs'; specIds: number[] }
  | { action: 'remove-schemas'; schemaIds: number[] };

const invalid = (msg: string) => new FloeError('UPDATE_INVALID', msg);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Omit<Mutable<TableMetadata>, 'schemas' | 'partitionSpecs' | 'sortOrders' | 'snapshots' | 'snapshotLog' | 'metadataLog' | 'refs' | 'properties' | 'extra'> & {
  schemas: Schema[];
  partitionSpecs: PartitionSpec[];
  sortOrders: SortOrder[];
  snapshots: Snapshot[];
  snapshotLog: Array<{ snapshotId: bigint; timestampMs: number }>;
  metadataLog: Array<{ metadataFile: string; timestampMs: number }>;
  refs: Record<string, SnapshotRef>;
  properties: Record<string, string>;
  extra: Json;
};

export interface ApplyOptions {
  /** The commit time (default: the clock); a commit that adds a snapshot takes the snapshot's. */
  now?: number;
  /** The metadata file being replaced, appended to the metadata log. */
  previousMetadataFile?: string;
}

/** Per-commit state of the builder: what -1 refers to, and what this commit added. */
interface Session {
  lastAddedSchema?: number;
  lastAddedSpec?: number;
  lastAddedOrder?: number;
  lastUpdated?: number;
  readonly added: Set<bigint>;
  readonly mainSets: bigint[];
  readonly now: number;
}

const sameSchema = (a: Schema, b: Schema) => JSON.stringify(schemaToJson({ ...a, schemaId: 0 })) === JSON.stringify(schemaToJson({ ...b, schemaId: 0 }));
const sameSpec = (a: PartitionSpec, b: PartitionSpec) => JSON.stringify(specToJson({ ...a, specId: 0 })) === JSON.stringify(specToJson({ ...b, specId: 0 }));
const sameOrder = (a: SortOrder, b: SortOrder) => JSON.stringify(sortOrderToJson({ ...a, orderId: 0 })) === JSON.stringify(sortOrderToJson({ ...b, orderId: 0 }));

/** Runs a schema/spec check, reporting its failure as an invalid update. */
function checked(what: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (isFloeError(e, 'SCHEMA_INVALID')) throw invalid(`${what}: ${e.message}`);
    throw e;
  }
}

function currentSchemaOf(m: Draft, what: string): Schema {
  const s = m.schemas.find((x) => x.schemaId === m.currentSchemaId);
  if (!s) throw invalid(`${what}: the table has no current schema yet; add one first`);
  return s;
}

const sameRef = (a: SnapshotRef, b: SnapshotRef) =>
  a.snapshotId === b.snapshotId && a.type === b.type && a.minSnapshotsToKeep === b.minSnapshotsToKeep && a.maxSnapshotAgeMs === b.maxSnapshotAgeMs && a.maxRefAgeMs === b.maxRefAgeMs;

const statsWithout = (list: unknown, id: bigint) => ((list as Json[] | undefined) ?? []).filter((s) => toLong(s['snapshot-id']) !== id);

function applyOne(m: Draft, u: TableUpdate, s: Session): void {
  switch (u.action) {
    case 'assign-uuid':
      m.tableUuid = u.uuid;
      return;
    case 'upgrade-format-version':
      if (u.formatVersion === m.formatVersion) return;
      if (u.formatVersion < m.formatVersion) throw invalid(`Cannot downgrade v${m.formatVersion} table to v${u.formatVersion}`);
      if (u.formatVersion > 3) throw invalid(`Cannot upgrade table to unsupported format version: v${u.formatVersion}`);
      m.formatVersion = u.formatVersion as 1 | 2 | 3;
      if (m.formatVersion >= 3 && m.nextRowId === undefined) m.nextRowId = 0n; // spec: initialised on upgrade to v3
      return;
    case 'add-schema': {
      checked('add-schema', () => validateSchema(u.schema, { formatVersion: m.formatVersion }));
      const existing = m.schemas.find((x) => sameSchema(x, u.schema));
      if (existing) {
        s.lastAddedSchema = existing.schemaId;
        return;
      }
      const id = Math.max(m.currentSchemaId, ...m.schemas.map((x) => x.schemaId + 1), 0);
      m.schemas.push({ ...u.schema, schemaId: id });
      m.lastColumnId = Math.max(m.lastColumnId, u.lastColumnId ?? 0, highestFieldId(u.schema.fields));
      s.lastAddedSchema = id;
      return;
    }
    case 'set-current-schema': {
      const id = u.schemaId === -1 ? s.lastAddedSchema : u.schemaId;
      if (id === undefined) throw invalid('Cannot set current schema to last added schema: no schema has been added');
      if (!m.schemas.some((x) => x.schemaId === id)) throw invalid(`Cannot set current schema to unknown schema: ${id}`);
      m.currentSchemaId = id;
      return;
    }
    case 'add-spec': {
      if (u.spec.fields.length > 0) {
        const schema = currentSchemaOf(m, 'add-spec');
        checked('add-spec', () => validateSpec(u.spec, schema));
      }
      const same = m.partitionSpecs.find((x) => sameSpec(x, u.spec));
      if (same) {
        s.lastAddedSpec = same.specId;
        return;
      }
      const id = Math.max(0, ...m.partitionSpecs.map((x) => x.specId + 1));
      m.partitionSpecs.push({ ...u.spec, specId: id });
      m.lastPartitionId = Math.max(m.lastPartitionId, ...u.spec.fields.map((f) => f.fieldId));
      s.lastAddedSpec = id;
      return;
    }
    case 'set-default-spec': {
      const id = u.specId === -1 ? s.lastAddedSpec : u.specId;
      if (id === undefined) throw invalid('Cannot set default partition spec to last added: no spec has been added');
      if (!m.partitionSpecs.some((x) => x.specId === id)) throw invalid(`Cannot set default partition spec to unknown spec: ${id}`);
      m.defaultSpecId = id;
      return;
    }
    case 'add-sort-order': {
      if (u.sortOrder.fields.length > 0) {
        const idx = indexById(currentSchemaOf(m, 'add-sort-order').fields);
        for (const f of u.sortOrder.fields) if (!idx.has(f.sourceId)) throw invalid(`add-sort-order: source column ${f.sourceId} is not in the current schema`);
      }
      const same = m.sortOrders.find((x) => sameOrder(x, u.sortOrder));
      if (same) {
        s.lastAddedOrder = same.orderId;
        return;
      }
      // The unsorted order is always id 0; sorted orders count from 1.
      const id = u.sortOrder.fields.length === 0 ? 0 : Math.max(1, ...m.sortOrders.map((x) => x.orderId + 1));
      m.sortOrders.push({ ...u.sortOrder, orderId: id });
      s.lastAddedOrder = id;
      return;
    }
    case 'set-default-sort-order': {
      const id = u.sortOrderId === -1 ? s.lastAddedOrder : u.sortOrderId;
      if (id === undefined) throw invalid('Cannot set default sort order to last added: no sort order has been added');
      if (!m.sortOrders.some((x) => x.orderId === id)) throw invalid(`Cannot set default sort order to unknown order: ${id}`);
      m.defaultSortOrderId = id;
      return;
    }
    case 'add-snapshot':
      addSnapshot(m, u.snapshot, s);
      return;
    case 'set-snapshot-ref': {
      const { action: _a, refName, ...ref } = u;
      if (!m.snapshots.some((x) => x.snapshotId === ref.snapshotId)) throw invalid(`Cannot set ${refName} to unknown snapshot: ${ref.snapshotId}`);
      if (refName === 'main' && ref.type !== 'branch') throw invalid('Cannot set main to a tag: main must be a branch');
      const old = m.refs[refName];
      if (old && sameRef(old, ref)) return;
      m.refs[refName] = ref;
      if (refName === 'main') {
        m.currentSnapshotId = ref.snapshotId;
        s.lastUpdated ??= s.now;
        m.snapshotLog.push({ snapshotId: ref.snapshotId, timestampMs: s.lastUpdated });
        s.mainSets.push(ref.snapshotId);
      }
      return;
    }
    case 'remove-snapshots':
      removeSnapshots(m, new Set(u.snapshotIds));
      return;
    case 'remove-snapshot-ref':
      delete m.refs[u.refName];
      if (u.refName === 'main') delete m.currentSnapshotId;
      return;
    case 'set-location':
      m.location = u.location;
      return;
    case 'set-properties':
      Object.assign(m.properties, u.updates);
      return;
    case 'remove-properties':
      for (const k of u.removals) delete m.properties[k];
      return;
    case 'set-statistics':
      m.extra.statistics = [...statsWithout(m.extra.statistics, u.snapshotId), { ...u.statistics, 'snapshot-id': u.snapshotId }];
      return;
    case 'remove-statistics':
      m.extra.statistics = statsWithout(m.extra.statistics, u.snapshotId);
      return;
    case 'set-partition-statistics':
      m.extra['partition-statistics'] = [...statsWithout(m.extra['partition-statistics'], u.snapshotId), { ...u.partitionStatistics, 'snapshot-id': u.snapshotId }];
      return;
    case 'remove-partition-statistics':
      m.extra['partition-statistics'] = statsWithout(m.extra['partition-statistics'], u.snapshotId);
      return;
    case 'remove-partition-specs':
      if (u.specIds.includes(m.defaultSpecId)) throw invalid('Cannot remove the default partition spec');
      m.partitionSpecs = m.partitionSpecs.filter((x) => !u.specIds.includes(x.specId));
      return;
    case 'remove-schemas':
      if (u.schemaIds.includes(m.currentSchemaId)) throw invalid('Cannot remove current schema');
      m.schemas = m.schemas.filter((x) => !u.schemaIds.includes(x.schemaId));
      return;
    default:
      throw invalid(`unknown or unsupported update action '${(u as { action?: unknown }).action}'`);
  }
}

function addSnapshot(m: Draft, snap: Snapshot, s: Session): void {
  if (m.schemas.length === 0) throw invalid('Attempting to add a snapshot before a schema is added');
  if (m.partitionSpecs.length === 0) throw invalid('Attempting to add a snapshot before a partition spec is added');
  if (m.sortOrders.length === 0) throw invalid('Attempting to add a snapshot before a sort order is added');
  if (m.snapshots.some((x) => x.snapshotId === snap.snapshotId)) throw invalid(`Snapshot already exists for id: ${snap.snapshotId}`);
  if (m.formatVersion >= 2 && snap.sequenceNumber <= m.lastSequenceNumber && snap.parentSnapshotId !== undefined) {
    throw invalid(`Cannot add snapshot with sequence number ${snap.sequenceNumber} older than last sequence number ${m.lastSequenceNumber}`);
  }
  if (m.formatVersion >= 3) {
    // Row lineage (spec v3): the snapshot's first row id continues the table's, which then moves on by the rows it added.
    const first = snap.extra?.['first-row-id'];
    if (first === undefined || first === null) throw invalid('Cannot add a snapshot: first-row-id is null (v3 tables track row lineage)');
    const next = m.nextRowId ?? 0n;
    if (toLong(first) < next) throw invalid(`Cannot add a snapshot, first-row-id is behind table next-row-id: ${toLong(first)} < ${next}`);
    m.nextRowId = next + toLong(snap.extra?.['added-rows'] ?? 0);
  }
  m.snapshots.push(snap);
  // Java assigns the snapshot's number; the max keeps a parentless late snapshot from moving it back.
  m.lastSequenceNumber = Math.max(m.lastSequenceNumber, snap.sequenceNumber);
  s.lastUpdated = snap.timestampMs;
  s.added.add(snap.snapshotId);
}

function removeSnapshots(m: Draft, drop: ReadonlySet<bigint>): void {
  m.snapshots = m.snapshots.filter((x) => !drop.has(x.snapshotId));
  for (const key of ['statistics', 'partition-statistics']) {
    if (Array.isArray(m.extra[key])) m.extra[key] = (m.extra[key] as Json[]).filter((x) => !drop.has(toLong(x['snapshot-id'])));
  }
  // Refs to removed snapshots dangle: drop them, and main's removal clears the current snapshot.
  for (const [name, ref] of Object.entries(m.refs)) {
    if (!drop.has(ref.snapshotId)) continue;
    delete m.refs[name];
    if (name === 'main') delete m.currentSnapshotId;
  }
}

/**
 * Java's updateSnapshotLog: a snapshot made current and replaced within one commit is not
 * history, and an entry whose snapshot is gone drops everything before it (no gaps for time
 * travel).
 */
function finishSnapshotLog(m: Draft, s: Session): void {
  const intermediate = new Set(s.mainSets.filter((id) => s.added.has(id) && id !== m.currentSnapshotId));
  const live = new Set(m.snapshots.map((x) => x.snapshotId));
  const out: Draft['snapshotLog'] = [];
  for (const e of m.snapshotLog) {
    if (!live.has(e.snapshotId)) out.length = 0;
    else if (!intermediate.has(e.snapshotId)) out.push(e);
  }
  m.snapshotLog = out;
}

/** Applies updates in order and returns new metadata; the input is not modified. */
export function applyUpdates(meta: TableMetadata, updates: readonly TableUpdate[], opts: ApplyOptions = {}): TableMetadata {
  const m: Draft = {
    ...meta,
    schemas: [...meta.schemas],
    partitionSpecs: [...meta.partitionSpecs],
    sortOrders: [...meta.sortOrders],
    snapshots: [...meta.snapshots],
    snapshotLog: [...meta.snapshotLog],
    metadataLog: [...meta.metadataLog],
    refs: { ...meta.refs },
    properties: { ...meta.properties },
    extra: { ...meta.extra },
  };
  const session: Session = { added: new Set(), mainSets: [], now: opts.now ?? Date.now() };
  for (const u of updates) applyOne(m, u, session);
  finishSnapshotLog(m, session);
  m.lastUpdatedMs = session.lastUpdated ?? session.now;
  if (opts.previousMetadataFile) {
    m.metadataLog.push({ metadataFile: opts.previousMetadataFile, timestampMs: meta.lastUpdatedMs });
    const keep = Math.max(1, Number(m.properties['write.metadata.previous-versions-max'] ?? 100) || 100);
    if (m.metadataLog.length > keep) m.metadataLog = m.metadataLog.slice(-keep);
  }
  return m;
}
