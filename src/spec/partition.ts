/** Partition specs (JSON and AST), the partition type, and per-row partition tuples and paths. */
import { FloeError } from '../errors.js';
import { indexById, primitiveOf } from './schema.js';
import { compileTransform, humanValue, parseTransform, resultType, transformToString, type Transform } from './transforms.js';
import type { NestedField, PrimitiveType, Schema, Value } from './types.js';

export interface PartitionField {
  readonly sourceId: number;
  readonly fieldId: number;
  readonly name: string;
  readonly transform: Transform;
}

export interface PartitionSpec {
  readonly specId: number;
  readonly fields: readonly PartitionField[];
}

export const UNPARTITIONED: PartitionSpec = { specId: 0, fields: [] };
/** Partition field ids start here (spec: "partition field IDs start at 1000"). */
export const PARTITION_FIELD_ID_START = 1000;

type Json = { [k: string]: unknown };

export function specFromJson(j: unknown): PartitionSpec {
  const o = j as Json;
  const fields = ((o.fields as Json[]) ?? []).map((f) => ({
    sourceId: Number(f['source-id'] ?? (f['source-ids'] as number[] | undefined)?.[0]),
    fieldId: Number(f['field-id']),
    name: String(f.name),
    transform: parseTransform(String(f.transform)),
  }));
  return { specId: Number(o['spec-id'] ?? 0), fields };
}

export function specToJson(s: PartitionSpec): Json {
  return {
    'spec-id': s.specId,
    fields: s.fields.map((f) => ({ name: f.name, transform: transformToString(f.transform), 'source-id': f.sourceId, 'field-id': f.fieldId })),
  };
}

/** The default name of a partition field: `ts_day`, `id_bucket_16`, `name_trunc_4`, `merchant`. */
export function defaultPartitionName(source: string, t: Transform): string {
  switch (t.kind) {
    case 'identity':
      return source;
    case 'bucket':
      return `${source}_bucket_${t.n}`;
    case 'truncate':
      return `${source}_trunc_${t.width}`;
    case 'void':
      return `${source}_null`;
    default:
      return `${source}_${t.kind}`;
  }
}

/**
 * Builds a spec from `(column, transform)` pairs against a schema, checking that each column
 * exists, is a primitive outside lists and maps, and can take the transform.
 */
export function buildSpec(schema: Pick<Schema, 'fields'>, parts: ReadonlyArray<{ column: string; transform: Transform; name?: string }>, specId = 0): PartitionSpec {
  const byPath = new Map([...indexById(schema.fields).values()].map((f) => [f.path, f]));
  let next = PARTITION_FIELD_ID_START;
  const fields = parts.map((p) => {
    const src = byPath.get(p.column);
    if (!src) throw new FloeError('SCHEMA_INVALID', `partition column '${p.column}' is not in the table schema (columns: ${[...byPath.keys()].join(', ')})`);
    if (src.repeated) throw new FloeError('SCHEMA_INVALID', `partition column '${p.column}' is inside a list or map; partition by a top-level or struct column`);
    const type = primitiveOf(src.field.type, `partition column '${p.column}'`);
    compileTransform(p.transform, type); // throws a clear message when the transform does not apply
    return { sourceId: src.field.id, fieldId: next++, name: p.name ?? defaultPartitionName(p.column.replace(/\./g, '_'), p.transform), transform: p.transform };
  });
  return { specId, fields };
}

export function partitionType(spec: PartitionSpec, schema: Pick<Schema, 'fields'>): NestedField[] {
  const idx = indexById(schema.fields);
  return spec.fields.map((f) => {
    const src = idx.get(f.sourceId);
    if (!src) throw new FloeError('SCHEMA_INVALID', `partition field '${f.name}': source field ${f.sourceId} is not in the schema`);
    return { id: f.fieldId, name: f.name, required: false, type: resultType(f.transform, primitiveOf(src.field.type, f.name)) };
  });
}

export interface Partitioner {
  /** The partition tuple of a row, and a stable key for grouping rows by partition. */
  (row: { [k: string]: Value }): { key: string; values: Value[] };
  readonly type: NestedField[];
  /** The partition path of a tuple: `ts_day=2024-01-02/id_bucket_16=3`. */
  path(values: readonly Value[]): string;
}

function keyPart(v: Value): string {
  if (v === null) return '\u0000';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

/** Compiles a partitioner for a spec: source lookups and transforms are resolved once. */
export function partitioner(spec: PartitionSpec, schema: Pick<Schema, 'fields'>): Partitioner {
  const idx = indexById(schema.fields);
  const type = partitionType(spec, schema);
  const parts = spec.fields.map((f, i) => {
    const src = idx.get(f.sourceId) as NonNullable<ReturnType<typeof idx.get>>;
    const names = src.path.split('.');
    const fn = compileTransform(f.transform, primitiveOf(src.field.type, f.name));
    return { names, fn, f, result: type[i]?.type as PrimitiveType };
  });
  const p = ((row: { [k: string]: Value }) => {
    const values: Value[] = [];
    let key = '';
    for (const part of parts) {
      let v: Value = row;
      for (const n of part.names) v = v === null || v === undefined ? null : ((v as { [k: string]: Value })[n] ?? null);
      const out = part.fn(v);
      values.push(out);
      key += keyPart(out) + '\u0001';
    }
    return { key, values };
  }) as Partitioner;
  Object.defineProperty(p, 'type', { value: type });
  p.path = (values) =>
    parts.map((part, i) => `${encodeURIComponent(part.f.name)}=${encodeURIComponent(humanValue(part.f.transform, part.result, values[i] ?? null))}`).join('/');
  return p;
}

export interface SortField {
  readonly sourceId: number;
  readonly transform: Transform;
  readonly direction: 'asc' | 'desc';
  readonly nullOrder: 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  readonly orderId: number;
  readonly fields: readonly SortField[];
}

export const UNSORTED: SortOrder = { orderId: 0, fields: [] };

export function sortOrderFromJson(j: unknown): SortOrder {
  const o = j as Json;
  return {
    orderId: Number(o['order-id'] ?? 0),
    fields: ((o.fields as Json[]) ?? []).map((f) => ({
      sourceId: Number(f['source-id'] ?? (f['source-ids'] as number[] | undefined)?.[0]),
      transform: parseTransform(String(f.transform)),
      direction: f.direction === 'desc' ? 'desc' : 'asc',
      nullOrder: f['null-order'] === 'nulls-last' ? 'nulls-last' : 'nulls-first',
    })),
  };
}

export function sortOrderToJson(s: SortOrder): Json {
  return {
    'order-id': s.orderId,
    fields: s.fields.map((f) => ({ transform: transformToString(f.transform), 'source-id': f.sourceId, direction: f.direction, 'null-order': f.nullOrder })),
  };
}
