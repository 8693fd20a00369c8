/**
 * What the catalog adds to src/spec for table creation and metadata files: a new table's
 * metadata from a create request (fresh field ids, like Java's TableMetadata.newTableMetadata),
 * the empty base a create-through-commit builds on, file names, and `snapshots=refs`.
 * Thin adapters only: commit semantics are src/spec's checkRequirement and applyUpdates.
 */
import { randomUUID } from 'node:crypto';
import { PARTITION_FIELD_ID_START, type PartitionSpec, type SortOrder } from '../src/spec/partition.js';
import { assignFreshIds, highestFieldId, indexById } from '../src/spec/schema.js';
import type { TableMetadata } from '../src/spec/metadata.js';
import type { TableUpdate } from '../src/spec/updates.js';
import type { Schema } from '../src/spec/types.js';
import { badRequest } from './errors.js';

/** Table properties that are settings of the create request, not stored as properties. */
const RESERVED = ['format-version'];

export interface NewTableInput {
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  location: string;
  properties: Record<string, string>;
  now?: number;
}

/** Maps field ids of the request's schema to the fresh ids of the stored one, by field path. */
function idMapping(from: Schema, to: Schema): Map<number, number> {
  const newByPath = new Map([...indexById(to.fields)].map(([id, f]) => [f.path, id]));
  const out = new Map<number, number>();
  for (const [id, f] of indexById(from.fields)) {
    const n = newByPath.get(f.path);
    if (n !== undefined) out.set(id, n);
  }
  return out;
}

export function newTableMetadata(input: NewTableInput): TableMetadata {
  const version = Number(input.properties['format-version'] ?? 2);
  if (version !== 1 && version !== 2 && version !== 3) throw badRequest(`Unsupported format version: ${input.properties['format-version']} (1, 2 or 3)`);
  const schema = assignFreshIds({ ...input.schema, schemaId: 0 });
  const ids = idMapping(input.schema, schema);
  const source = (id: number, what: string) => {
    const n = ids.get(id);
    if (n === undefined) throw badRequest(`${what}: source field id ${id} is not in the schema`);
    return n;
  };
  let nextPartitionId = PARTITION_FIELD_ID_START;
  const spec: PartitionSpec = {
    specId: 0,
    fields: (input.spec?.fields ?? []).map((f) => ({ ...f, sourceId: source(f.sourceId, `partition field ${f.name}`), fieldId: nextPartitionId++ })),
  };
  const sortFields = (input.sortOrder?.fields ?? []).map((f) => ({ ...f, sourceId: source(f.sourceId, 'sort field') }));
  const sortOrder: SortOrder = { orderId: sortFields.length ? 1 : 0, fields: sortFields };
  const properties = Object.fromEntries(Object.entries(input.properties).filter(([k]) => !RESERVED.includes(k)));
  const now = input.now ?? Date.now();
  return {
    formatVersion: version,
    tableUuid: randomUUID(),
    location: input.location.replace(/\/+$/, ''),
    lastSequenceNumber: 0,
    lastUpdatedMs: now,
    lastColumnId: highestFieldId(schema.fields),
    schemas: [schema],
    currentSchemaId: 0,
    partitionSpecs: [spec],
    defaultSpecId: 0,
    lastPartitionId: Math.max(PARTITION_FIELD_ID_START - 1, ...spec.fields.map((f) => f.fieldId)),
    properties,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [sortOrder],
    defaultSortOrderId: sortOrder.orderId,
    refs: {},
    extra: version === 3 ? { 'next-row-id': 0 } : {},
  };
}

/**
 * The base a create-through-commit (`assert-create`, e.g. a staged create or a transaction
 * that creates) applies its updates to, like Java's TableMetadata.buildFromEmpty. The updates
 * must add and select a schema; the version starts at 1 so that `upgrade-format-version` to
 * any version works, and is 2 when the updates do not name one.
 */
export function emptyMetadata(updates: readonly TableUpdate[], defaultLocation: string): { base: TableMetadata; updates: TableUpdate[] } {
  const base: TableMetadata = {
    formatVersion: 1,
    tableUuid: '',
    location: defaultLocation,
    lastSequenceNumber: 0,
    lastUpdatedMs: 0,
    lastColumnId: 0,
    schemas: [],
    currentSchemaId: -1,
    partitionSpecs: [],
    defaultSpecId: -1,
    lastPartitionId: PARTITION_FIELD_ID_START - 1,
    properties: {},
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [],
    defaultSortOrderId: -1,
    refs: {},
    extra: {},
  };
  const pre: TableUpdate[] = [];
  if (!updates.some((u) => u.action === 'upgrade-format-version')) pre.push({ action: 'upgrade-format-version', formatVersion: 2 });
  if (!updates.some((u) => u.action === 'assign-uuid')) pre.push({ action: 'assign-uuid', uuid: randomUUID() });
  const post: TableUpdate[] = [];
  if (!updates.some((u) => u.action === 'add-spec')) post.push({ action: 'add-spec', spec: { specId: 0, fields: [] } }, { action: 'set-default-spec', specId: -1 });
  if (!updates.some((u) => u.action === 'add-sort-order')) post.push({ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [] } }, { action: 'set-default-sort-order', sortOrderId: -1 });
  return { base, updates: [...pre, ...updates, ...post] };
}

/** Checks what a create-through-commit produced: a table needs a current schema, spec and order. */
export function assertComplete(m: TableMetadata): void {
  if (!m.schemas.some((s) => s.schemaId === m.currentSchemaId)) throw badRequest('creating a table: the updates must add a schema and set it current (add-schema, set-current-schema)');
  if (!m.partitionSpecs.some((s) => s.specId === m.defaultSpecId)) throw badRequest('creating a table: the default partition spec is not set');
  if (!m.sortOrders.some((s) => s.orderId === m.defaultSortOrderId)) throw badRequest('creating a table: the default sort order is not set');
}

export function metadataDir(m: TableMetadata): string {
  return (m.properties['write.metadata.path'] ?? `${m.location}/metadata`).replace(/\/+$/, '');
}

/** `<metadata dir>/<version>-<uuid>.metadata.json`, the version one past the previous file's. */
export function nextMetadataLocation(m: TableMetadata, previous: string | undefined): string {
  const prev = previous ? /(\d+)-[^/]*\.metadata\.json$/.exec(previous) : null;
  const version = prev ? Number(prev[1]) + 1 : 0;
  return `${metadataDir(m)}/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** `snapshots=refs`: only the snapshots a branch or tag points at. */
export function refsOnly(m: TableMetadata): TableMetadata {
  const keep = new Set(Object.values(m.refs).map((r) => r.snapshotId));
  if (m.currentSnapshotId !== undefined) keep.add(m.currentSnapshotId);
  return { ...m, snapshots: m.snapshots.filter((s) => keep.has(s.snapshotId)) };
}
