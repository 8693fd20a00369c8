/**
 * Table updates of the REST spec as data, applied by one pure function: the REST client builds
 * them, the embedded catalog applies them under compare-and-swap. Semantics follow Java's
 * TableMetadata.Builder and PyIceberg's update_table_metadata.
 */
import { FloeError } from '../errors.js';
import { toLong } from './json.js';
import type { Snapshot, SnapshotRef, TableMetadata } from './metadata.js';
import { refToJson } from './metadata.js';
import { specFromJson, specToJson, sortOrderFromJson, sortOrderToJson, type PartitionSpec, type SortOrder } from './partition.js';
import { highestFieldId, schemaFromJson, schemaToJson } from './schema.js';
import type { Schema } from './types.js';

export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; formatVersion: number }
  | { action: 'add-schema'; schema: Schema; lastColumnId?: number }
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
  | { action: 'set-statistics'; snapshotId: bigint; statistics: Record<string, unknown> }
  | { action: 'remove-statistics'; snapshotId: bigint }
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
  extra: Record<string, unknown>;
};

export interface ApplyOptions {
  now?: number;
  /** The metadata file being replaced, appended to the metadata log. */
  previousMetadataFile?: string;
}

/** Applies updates in order; returns new metadata (the input is not modified). */
export function applyUpdates(meta: TableMetadata, updates: readonly TableUpdate[], opts: ApplyOptions = {}): TableMetadata {
  const now = opts.now ?? Date.now();
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
  let lastAddedSchema: number | undefined;
  let lastAddedSpec: number | undefined;
  let lastAddedOrder: number | undefined;
  const added = new Set<bigint>();
  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        if (m.tableUuid && m.tableUuid !== u.uuid) throw invalid(`cannot reassign table UUID ${m.tableUuid} to ${u.uuid}`);
        m.tableUuid = u.uuid;
        break;
      case 'upgrade-format-version':
        if (u.formatVersion < m.formatVersion) throw invalid(`cannot downgrade format-version from ${m.formatVersion} to ${u.formatVersion}`);
        if (u.formatVersion > 3) throw invalid(`unsupported format-version ${u.formatVersion}`);
        m.formatVersion = u.formatVersion as 1 | 2 | 3;
        break;
      case 'add-schema': {
        const existing = m.schemas.find((s) => JSON.stringify(schemaToJson({ ...s, schemaId: 0 })) === JSON.stringify(schemaToJson({ ...u.schema, schemaId: 0 })));
        if (existing) {
          lastAddedSchema = existing.schemaId;
          break;
        }
        const id = Math.max(-1, ...m.schemas.map((s) => s.schemaId)) + 1;
        m.schemas.push({ ...u.schema, schemaId: id });
        m.lastColumnId = Math.max(m.lastColumnId, u.lastColumnId ?? 0, highestFieldId(u.schema.fields));
        lastAddedSchema = id;
        break;
      }
      case 'set-current-schema': {
        const id = u.schemaId === -1 ? lastAddedSchema : u.schemaId;
        if (id === undefined) throw invalid('set-current-schema -1: no schema was added in this commit');
        if (!m.schemas.some((s) => s.schemaId === id)) throw invalid(`set-current-schema: unknown schema id ${id}`);
        m.currentSchemaId = id;
        break;
      }
      case 'add-spec': {
        const same = m.partitionSpecs.find((s) => JSON.stringify(specToJson({ ...s, specId: 0 })) === JSON.stringify(specToJson({ ...u.spec, specId: 0 })));
        if (same) {
          lastAddedSpec = same.specId;
          break;
        }
        const id = Math.max(-1, ...m.partitionSpecs.map((s) => s.specId)) + 1;
        m.partitionSpecs.push({ ...u.spec, specId: id });
        m.lastPartitionId = Math.max(m.lastPartitionId, ...u.spec.fields.map((f) => f.fieldId));
        lastAddedSpec = id;
        break;
      }
      case 'set-default-spec': {
        const id = u.specId === -1 ? lastAddedSpec : u.specId;
        if (id === undefined || !m.partitionSpecs.some((s) => s.specId === id)) throw invalid(`set-default-spec: unknown spec id ${u.specId}`);
        m.defaultSpecId = id;
        break;
      }
      case 'add-sort-order': {
        const same = m.sortOrders.find((s) => JSON.stringify(sortOrderToJson({ ...s, orderId: 0 })) === JSON.stringify(sortOrderToJson({ ...u.sortOrder, orderId: 0 })));
        if (same) {
          lastAddedOrder = same.orderId;
          break;
        }
        const id = u.sortOrder.fields.length === 0 ? 0 : Math.max(0, ...m.sortOrders.map((s) => s.orderId)) + 1;
        m.sortOrders.push({ ...u.sortOrder, orderId: id });
        lastAddedOrder = id;
        break;
      }
      case 'set-default-sort-order': {
        const id = u.sortOrderId === -1 ? lastAddedOrder : u.sortOrderId;
        if (id === undefined || !m.sortOrders.some((s) => s.orderId === id)) throw invalid(`set-default-sort-order: unknown sort order id ${u.sortOrderId}`);
        m.defaultSortOrderId = id;
        break;
      }
      case 'add-snapshot': {
        const s = u.snapshot;
        if (m.snapshots.some((x) => x.snapshotId === s.snapshotId)) throw invalid(`add-snapshot: snapshot ${s.snapshotId} already exists`);
        if (m.formatVersion >= 2 && s.sequenceNumber <= m.lastSequenceNumber && s.parentSnapshotId !== undefined) {
          throw new FloeError('REQUIREMENT_FAILED', `Cannot add snapshot with sequence number ${s.sequenceNumber} older than last sequence number ${m.lastSequenceNumber}`);
        }
        m.snapshots.push(s);
        m.lastSequenceNumber = Math.max(m.lastSequenceNumber, s.sequenceNumber);
        m.lastUpdatedMs = s.timestampMs;
        added.add(s.snapshotId);
        break;
      }
      case 'set-snapshot-ref': {
        if (!m.snapshots.some((x) => x.snapshotId === u.snapshotId)) throw invalid(`set-snapshot-ref ${u.refName}: unknown snapshot ${u.snapshotId}`);
        const { action: _a, refName, ...ref } = u;
        m.refs[refName] = ref;
        if (refName === 'main') {
          m.currentSnapshotId = u.snapshotId;
          const ts = added.has(u.snapshotId) ? (m.snapshots.find((x) => x.snapshotId === u.snapshotId) as Snapshot).timestampMs : now;
          m.snapshotLog.push({ snapshotId: u.snapshotId, timestampMs: ts });
        }
        break;
      }
      case 'remove-snapshots': {
        const drop = new Set(u.snapshotIds);
        m.snapshots = m.snapshots.filter((s) => !drop.has(s.snapshotId));
        for (const [name, ref] of Object.entries(m.refs)) if (drop.has(ref.snapshotId)) delete m.refs[name];
        if (m.currentSnapshotId !== undefined && drop.has(m.currentSnapshotId)) delete m.currentSnapshotId;
        m.snapshotLog = m.snapshotLog.filter((e) => !drop.has(e.snapshotId));
        break;
      }
      case 'remove-snapshot-ref':
        delete m.refs[u.refName];
        if (u.refName === 'main') delete m.currentSnapshotId;
        break;
      case 'set-location':
        m.location = u.location;
        break;
      case 'set-properties':
        Object.assign(m.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete m.properties[k];
        break;
      case 'set-statistics': {
        const stats = ((m.extra.statistics as Array<Record<string, unknown>>) ?? []).filter((s) => toLong(s['snapshot-id']) !== u.snapshotId);
        m.extra.statistics = [...stats, { ...u.statistics, 'snapshot-id': u.snapshotId }];
        break;
      }
      case 'remove-statistics':
        m.extra.statistics = ((m.extra.statistics as Array<Record<string, unknown>>) ?? []).filter((s) => toLong(s['snapshot-id']) !== u.snapshotId);
        break;
      case 'remove-partition-specs':
        if (u.specIds.includes(m.defaultSpecId)) throw invalid('remove-partition-specs: cannot remove the default spec');
        m.partitionSpecs = m.partitionSpecs.filter((s) => !u.specIds.includes(s.specId));
        break;
      case 'remove-schemas':
        if (u.schemaIds.includes(m.currentSchemaId)) throw invalid('remove-schemas: cannot remove the current schema');
        m.schemas = m.schemas.filter((s) => !u.schemaIds.includes(s.schemaId));
        break;
    }
  }
  m.lastUpdatedMs = Math.max(m.lastUpdatedMs, now);
  if (opts.previousMetadataFile) {
    m.metadataLog.push({ metadataFile: opts.previousMetadataFile, timestampMs: meta.lastUpdatedMs });
    const keep = Number(m.properties['write.metadata.previous-versions-max'] ?? 100);
    if (m.metadataLog.length > keep) m.metadataLog = m.metadataLog.slice(-keep);
  }
  return m;
}

function snapshotJson(s: Snapshot): Record<string, unknown> {
  const o: Record<string, unknown> = {
    'snapshot-id': s.snapshotId,
    'sequence-number': s.sequenceNumber,
    'timestamp-ms': s.timestampMs,
    'manifest-list': s.manifestList,
    summary: s.summary,
  };
  if (s.parentSnapshotId !== undefined) o['parent-snapshot-id'] = s.parentSnapshotId;
  if (s.schemaId !== undefined) o['schema-id'] = s.schemaId;
  return o;
}

export function updateToJson(u: TableUpdate): Record<string, unknown> {
  switch (u.action) {
    case 'assign-uuid':
      return { action: u.action, uuid: u.uuid };
    case 'upgrade-format-version':
      return { action: u.action, 'format-version': u.formatVersion };
    case 'add-schema':
      return { action: u.action, schema: schemaToJson(u.schema), ...(u.lastColumnId !== undefined ? { 'last-column-id': u.lastColumnId } : {}) };
    case 'set-current-schema':
      return { action: u.action, 'schema-id': u.schemaId };
    case 'add-spec':
      return { action: u.action, spec: specToJson(u.spec) };
    case 'set-default-spec':
      return { action: u.action, 'spec-id': u.specId };
    case 'add-sort-order':
      return { action: u.action, 'sort-order': sortOrderToJson(u.sortOrder) };
    case 'set-default-sort-order':
      return { action: u.action, 'sort-order-id': u.sortOrderId };
    case 'add-snapshot':
      return { action: u.action, snapshot: snapshotJson(u.snapshot) };
    case 'set-snapshot-ref': {
      const { action, refName, ...ref } = u;
      return { action, 'ref-name': refName, ...refToJson(ref) };
    }
    case 'remove-snapshots':
      return { action: u.action, 'snapshot-ids': u.snapshotIds };
    case 'remove-snapshot-ref':
      return { action: u.action, 'ref-name': u.refName };
    case 'set-location':
      return { action: u.action, location: u.location };
    case 'set-properties':
      return { action: u.action, updates: u.updates };
    case 'remove-properties':
      return { action: u.action, removals: u.removals };
    case 'set-statistics':
      return { action: u.action, 'snapshot-id': u.snapshotId, statistics: u.statistics };
    case 'remove-statistics':
      return { action: u.action, 'snapshot-id': u.snapshotId };
    case 'remove-partition-specs':
      return { action: u.action, 'spec-ids': u.specIds };
    case 'remove-schemas':
      return { action: u.action, 'schema-ids': u.schemaIds };
  }
}

export function updateFromJson(j: unknown): TableUpdate {
  const o = j as Record<string, unknown>;
  const need = <T>(k: string, ok: (v: unknown) => boolean): T => {
    if (!ok(o[k])) throw invalid(`update ${String(o.action)}: '${k}' is missing or of the wrong type`);
    return o[k] as T;
  };
  const isNum = (v: unknown) => typeof v === 'number';
  const isStr = (v: unknown) => typeof v === 'string';
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  switch (o?.action) {
    case 'assign-uuid':
      return { action: o.action, uuid: need('uuid', isStr) };
    case 'upgrade-format-version':
      return { action: o.action, formatVersion: need('format-version', isNum) };
    case 'add-schema':
      return { action: o.action, schema: schemaFromJson(need('schema', isObj)), ...(isNum(o['last-column-id']) ? { lastColumnId: o['last-column-id'] as number } : {}) };
    case 'set-current-schema':
      return { action: o.action, schemaId: need('schema-id', isNum) };
    case 'add-spec':
      return { action: o.action, spec: specFromJson(need('spec', isObj)) };
    case 'set-default-spec':
      return { action: o.action, specId: need('spec-id', isNum) };
    case 'add-sort-order':
      return { action: o.action, sortOrder: sortOrderFromJson(need('sort-order', isObj)) };
    case 'set-default-sort-order':
      return { action: o.action, sortOrderId: need('sort-order-id', isNum) };
    case 'add-snapshot': {
      const s = need<Record<string, unknown>>('snapshot', isObj);
      return {
        action: o.action,
        snapshot: {
          snapshotId: toLong(s['snapshot-id']),
          ...(s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null ? { parentSnapshotId: toLong(s['parent-snapshot-id']) } : {}),
          sequenceNumber: Number(s['sequence-number'] ?? 0),
          timestampMs: Number(s['timestamp-ms']),
          manifestList: String(s['manifest-list']),
          summary: (s.summary as Record<string, string>) ?? { operation: 'append' },
          ...(s['schema-id'] !== undefined ? { schemaId: Number(s['schema-id']) } : {}),
        },
      };
    }
    case 'set-snapshot-ref':
      return {
        action: o.action,
        refName: need('ref-name', isStr),
        snapshotId: toLong(o['snapshot-id']),
        type: o.type === 'tag' ? 'tag' : 'branch',
        ...(isNum(o['min-snapshots-to-keep']) ? { minSnapshotsToKeep: o['min-snapshots-to-keep'] as number } : {}),
        ...(isNum(o['max-snapshot-age-ms']) ? { maxSnapshotAgeMs: o['max-snapshot-age-ms'] as number } : {}),
        ...(isNum(o['max-ref-age-ms']) ? { maxRefAgeMs: o['max-ref-age-ms'] as number } : {}),
      };
    case 'remove-snapshots':
      return { action: o.action, snapshotIds: need<unknown[]>('snapshot-ids', Array.isArray).map(toLong) };
    case 'remove-snapshot-ref':
      return { action: o.action, refName: need('ref-name', isStr) };
    case 'set-location':
      return { action: o.action, location: need('location', isStr) };
    case 'set-properties':
      return { action: o.action, updates: need('updates', isObj) };
    case 'remove-properties':
      return { action: o.action, removals: need('removals', Array.isArray) };
    case 'set-statistics':
      return { action: o.action, snapshotId: toLong(o['snapshot-id'] ?? (o.statistics as Record<string, unknown> | undefined)?.['snapshot-id']), statistics: need('statistics', isObj) };
    case 'remove-statistics':
      return { action: o.action, snapshotId: toLong(o['snapshot-id']) };
    case 'remove-partition-specs':
      return { action: o.action, specIds: need('spec-ids', Array.isArray) };
    case 'remove-schemas':
      return { action: o.action, schemaIds: need('schema-ids', Array.isArray) };
    default:
      throw invalid(`unknown or unsupported update action '${String(o?.action)}'`);
  }
}
