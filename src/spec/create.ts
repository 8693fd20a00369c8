/**
 * New table metadata as a catalog's create-table builds it (Java's TableMetadata.newTableMetadata):
 * the server reassigns every column id, remaps the spec and sort order to them by column name,
 * and starts the ids of specs, orders and partition fields where the spec says.
 */
import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.js';
import type { TableMetadata } from './metadata.js';
import { PARTITION_FIELD_ID_START, UNPARTITIONED, UNSORTED, validateSpec, type PartitionSpec, type SortOrder } from './partition.js';
import { assignFreshIds, highestFieldId, indexById, validateSchema } from './schema.js';
import type { Schema } from './types.js';

export interface NewTableOptions {
  readonly location: string;
  readonly schema: Schema;
  readonly spec?: PartitionSpec;
  readonly sortOrder?: SortOrder;
  readonly properties?: Readonly<Record<string, string>>;
  /** Default 2; a `format-version` property also sets it (and is not kept as a property). */
  readonly formatVersion?: 1 | 2 | 3;
  readonly tableUuid?: string;
  readonly now?: number;
}

/** Maps each field id of `from` to the id of the field with the same path in `to`. */
function idMapping(from: Schema, to: Schema): Map<number, number> {
  const byPath = new Map([...indexById(to.fields).entries()].map(([id, f]) => [f.path, id]));
  const out = new Map<number, number>();
  for (const [id, f] of indexById(from.fields)) {
    const n = byPath.get(f.path);
    if (n !== undefined) out.set(id, n);
  }
  return out;
}

function remap(ids: Map<number, number>, id: number, what: string): number {
  const n = ids.get(id);
  if (n === undefined) throw new FloeError('SCHEMA_INVALID', `${what}: source column ${id} is not in the schema`);
  return n;
}

export function newTableMetadata(opts: NewTableOptions): TableMetadata {
  const { 'format-version': fvProp, ...properties } = opts.properties ?? {};
  const formatVersion = opts.formatVersion ?? (fvProp === undefined ? 2 : Number(fvProp));
  if (formatVersion !== 1 && formatVersion !== 2 && formatVersion !== 3) {
    throw new FloeError('METADATA_INVALID', `format-version ${String(fvProp ?? formatVersion)} is not supported: use 1, 2 or 3`);
  }
  if (!opts.location) throw new FloeError('METADATA_INVALID', 'a new table needs a location');
  const schema = assignFreshIds({ ...opts.schema, schemaId: 0 });
  validateSchema(schema, { formatVersion });
  const ids = idMapping(opts.schema, schema);
  const given = opts.spec ?? UNPARTITIONED;
  const spec: PartitionSpec = {
    specId: 0,
    fields: given.fields.map((f, i) => ({
      ...f,
      sourceId: remap(ids, f.sourceId, `partition field '${f.name}'`),
      fieldId: Number.isInteger(f.fieldId) ? f.fieldId : PARTITION_FIELD_ID_START + i,
    })),
  };
  validateSpec(spec, schema);
  const givenOrder = opts.sortOrder ?? UNSORTED;
  const sortOrder: SortOrder = givenOrder.fields.length === 0
    ? UNSORTED
    : { orderId: 1, fields: givenOrder.fields.map((f) => ({ ...f, sourceId: remap(ids, f.sourceId, 'sort field') })) };
  return {
    formatVersion,
    tableUuid: opts.tableUuid ?? randomUUID(),
    location: opts.location.replace(/\/+$/, ''),
    lastSequenceNumber: 0,
    lastUpdatedMs: opts.now ?? Date.now(),
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
    ...(formatVersion >= 3 ? { nextRowId: 0n } : {}),
    extra: {},
  };
}

/**
 * The starting point of a create expressed as updates (a REST create transaction committed with
 * assert-create): nothing yet, so that assign-uuid, upgrade-format-version, add-schema, add-spec,
 * add-sort-order, set-location and set-properties build the table.
 */
export function emptyTableMetadata(formatVersion: 1 | 2 | 3 = 1): TableMetadata {
  return {
    formatVersion,
    tableUuid: '',
    location: '',
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
}
