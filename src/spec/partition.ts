/** Partition specs (JSON and AST), the partition type, and per-row partition tuples and paths. */
import { FloeError } from '../errors.js';
import { findField, indexById, primitiveOf } from './schema.js';
import { canTransform, compileTransform, humanValue, parseTransform, resultType, transformToString, type Transform } from './transforms.js';
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

function sourceIdOf(f: Json, where: string): number {
  const id = f['source-id'] ?? (f['source-ids'] as unknown[] | undefined)?.[0];
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new FloeError('SCHEMA_INVALID', `${where}: 'source-id' must be an integer, got ${JSON.stringify(id)}`);
  return id;
}

/** A spec's fields as `transform(column)` terms (`column` for identity), for messages. */
export function specTerms(spec: PartitionSpec, schema: Pick<Schema, 'fields'>): string[] {
  const idx = indexById(schema.fields);
  return spec.fields.map((f) => {
    const col = idx.get(f.sourceId)?.path ?? `<column ${f.sourceId}>`;
    const t = f.transform;
    if (t.kind === 'identity') return col;
    if (t.kind === 'bucket') return `bucket(${t.n}, ${col})`;
    if (t.kind === 'truncate') return `truncate(${t.width}, ${col})`;
    return `${transformToString(t)}(${col})`;
  });
}

/**
 * How a table's partition spec differs from the one a config asks for, in words, or undefined
 * when they partition alike (same source columns and transforms, in order; names may differ).
 */
export function specDifference(table: PartitionSpec, schema: Pick<Schema, 'fields'>, wanted: ReadonlyArray<{ column: string; transform: Transform }>): string | undefined {
  let want: PartitionSpec;
  try {
    want = buildSpec(schema, wanted);
  } catch (err) {
    return (err as Error).message;
  }
  const same = want.fields.length === table.fields.length && want.fields.every((f, i) => f.sourceId === table.fields[i]?.sourceId && transformToString(f.transform) === transformToString(table.fields[i]?.transform as Transform));
  if (same) return undefined;
  const has = specTerms(table, schema);
  const asks = specTerms(want, schema);
  return `the table is ${has.length ? `partitioned by [${has.join(', ')}]` : 'unpartitioned'}; the mapping says ${asks.length ? `[${asks.join(', ')}]` : 'none'}`;
}

/**
 * The partition spec a table gets when repartitioned to `wanted` (as Java's UpdatePartitionSpec
 * commits it): a field whose source and transform some spec of the table already had keeps that
 * field's id and name; a new one takes the next id after `lastPartitionId`. When a spec of the
 * table already equals the result it is reused (`existing`: set it as the default, add nothing).
 * Undefined when the default spec already partitions alike.
 */
export function evolvePartitioning(
  meta: { readonly partitionSpecs: readonly PartitionSpec[]; readonly defaultSpecId: number; readonly lastPartitionId: number },
  schema: Pick<Schema, 'fields'>,
  wanted: ReadonlyArray<{ column: string; transform: Transform }>,
): { spec: PartitionSpec; existing: boolean } | undefined {
  const current = meta.partitionSpecs.find((x) => x.specId === meta.defaultSpecId) ?? UNPARTITIONED;
  if (specDifference(current, schema, wanted) === undefined) return undefined;
  const key = (f: Pick<PartitionField, 'sourceId' | 'transform'>) => `${f.sourceId}:${transformToString(f.transform)}`;
  const known = new Map<string, PartitionField>();
  // Newest spec first: a field re-added takes the id and name it had last.
  for (const spec of [...meta.partitionSpecs].sort((a, b) => b.specId - a.specId)) for (const f of spec.fields) if (!known.has(key(f))) known.set(key(f), f);
  let next = meta.lastPartitionId;
  const fields = buildSpec(schema, wanted).fields.map((f) => {
    const old = known.get(key(f));
    return old ? { ...f, fieldId: old.fieldId, name: old.name } : { ...f, fieldId: ++next };
  });
  const same = (a: PartitionSpec) => a.fields.length === fields.length && a.fields.every((f, i) => f.fieldId === fields[i]?.fieldId && key(f) === key(fields[i] as PartitionField));
  const reuse = meta.partitionSpecs.find(same);
  if (reuse) return { spec: reuse, existing: true };
  const spec = { specId: Math.max(-1, ...meta.partitionSpecs.map((x) => x.specId)) + 1, fields };
  validateSpec(spec, schema);
  return { spec, existing: false };
}

/** Reads a spec; v1 fields without `field-id` get 1000, 1001, ... as the reference implementation assigned them. */
export function specFromJson(j: unknown): PartitionSpec {
  const o = j as Json;
  if (typeof o !== 'object' || o === null || (o.fields !== undefined && !Array.isArray(o.fields))) throw new FloeError('SCHEMA_INVALID', `partition spec: expected {"spec-id", "fields": [...]}, got ${JSON.stringify(j)}`);
  const fields = ((o.fields as Json[]) ?? []).map((f, i) => {
    const where = `partition spec field ${i}`;
    if (typeof f.name !== 'string' || typeof f.transform !== 'string') throw new FloeError('SCHEMA_INVALID', `${where}: needs a name and a transform`);
    const fieldId = f['field-id'] ?? PARTITION_FIELD_ID_START + i;
    if (typeof fieldId !== 'number' || !Number.isInteger(fieldId)) throw new FloeError('SCHEMA_INVALID', `${where}: 'field-id' must be an integer`);
    return { sourceId: sourceIdOf(f, where), fieldId, name: f.name, transform: parseTransform(f.transform, true) };
  });
  return { specId: Number(o['spec-id'] ?? 0), fields };
}

/**
 * Checks a spec against a schema as Java's PartitionSpec.Builder does: sources exist, are
 * primitives outside lists and maps and take their transform; names are unique and do not
 * shadow a schema column unless they are its identity partition; field ids are unique.
 */
export function validateSpec(spec: PartitionSpec, schema: Pick<Schema, 'fields'>): void {
  const fail = (msg: string) => new FloeError('SCHEMA_INVALID', `partition spec ${spec.specId}: ${msg}`);
  const idx = indexById(schema.fields);
  const names = new Set<string>();
  const ids = new Set<number>();
  for (const f of spec.fields) {
    if (names.has(f.name)) throw fail(`the name '${f.name}' is used twice`);
    names.add(f.name);
    if (ids.has(f.fieldId)) throw fail(`field id ${f.fieldId} is used twice`);
    ids.add(f.fieldId);
    const src = idx.get(f.sourceId);
    if (!src) throw fail(`field '${f.name}': source column ${f.sourceId} is not in the schema`);
    if (src.repeated) throw fail(`field '${f.name}': source '${src.path}' is inside a list or map`);
    if (f.transform.kind === 'unknown') throw fail(`field '${f.name}': transform '${f.transform.name}' is not supported; writers must not use it`);
    if (!canTransform(f.transform, src.field.type)) throw fail(`field '${f.name}': transform ${transformToString(f.transform)} cannot apply to '${src.path}' of type ${src.field.type.type}`);
    const shadowed = findField(schema, f.name);
    if (shadowed && !(f.transform.kind === 'identity' && shadowed.field.id === f.sourceId)) {
      throw fail(`field '${f.name}' has the name of schema column '${shadowed.path}'; pick another name`);
    }
  }
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
  const spec = { specId, fields };
  validateSpec(spec, schema);
  return spec;
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
  if (v === null || v === undefined) return '\u0000';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

/** A stable string for grouping rows and files by partition tuple (equal tuples, equal keys). */
export function partitionKey(values: readonly Value[]): string {
  let key = '';
  for (const v of values) key += keyPart(v) + '\u0001';
  return key;
}

/** The partition path of a tuple: `ts_day=2024-01-02/id_bucket_16=3` (names and values URL-encoded). */
export function partitionPath(spec: PartitionSpec, type: readonly NestedField[], values: readonly Value[]): string {
  return spec.fields
    .map((f, i) => `${encodeURIComponent(f.name)}=${encodeURIComponent(humanValue(f.transform, type[i]?.type as PrimitiveType, values[i] ?? null))}`)
    .join('/');
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
  // One source column (the usual spec): consecutive rows mostly share their partition (a day, an
  // hour), so the last tuple is returned again when the transform gives the same value
  // (Object.is: -0 and NaN stay exact), with no array, key or object made for the row.
  const one = parts.length === 1 ? parts[0] : undefined;
  let lastOut: Value = null;
  let last: { key: string; values: Value[] } | undefined;
  const p = ((row: { [k: string]: Value }) => {
    if (one) {
      let v: Value = row;
      for (const n of one.names) v = v === null || v === undefined ? null : ((v as { [k: string]: Value })[n] ?? null);
      const out = one.fn(v);
      if (last && Object.is(out, lastOut) && (out === null || typeof out !== 'object')) return last;
      lastOut = out;
      return (last = { key: keyPart(out) + '\u0001', values: [out] });
    }
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
  p.path = (values) => partitionPath(spec, type, values);
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
      sourceId: sourceIdOf(f, `sort order field`),
      transform: parseTransform(String(f.transform), true),
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
