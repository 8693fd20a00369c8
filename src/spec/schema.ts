/** Schemas and types in the spec's JSON form, and lookups over nested fields. */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, PrimitiveType, Schema, SimplePrimitive } from './types.js';

type Json = { [k: string]: unknown };

const SIMPLE: ReadonlySet<string> = new Set<SimplePrimitive>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary', 'unknown',
]);

export function typeFromJson(j: unknown, where = 'type'): IcebergType {
  if (typeof j === 'string') {
    if (SIMPLE.has(j)) return { type: j as SimplePrimitive };
    let m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(j);
    if (m) return { type: 'decimal', precision: Number(m[1]), scale: Number(m[2]) };
    m = /^fixed\[\s*(\d+)\s*\]$/.exec(j);
    if (m) return { type: 'fixed', length: Number(m[1]) };
    throw new FloeError('SCHEMA_INVALID', `${where}: unknown type '${j}'`);
  }
  const o = j as Json;
  switch (o?.type) {
    case 'struct':
      return { type: 'struct', fields: ((o.fields as unknown[]) ?? []).map((f, i) => fieldFromJson(f, `${where}.fields[${i}]`)) };
    case 'list':
      return {
        type: 'list',
        elementId: Number(o['element-id']),
        elementRequired: Boolean(o['element-required']),
        element: typeFromJson(o.element, `${where}.element`),
      };
    case 'map':
      return {
        type: 'map',
        keyId: Number(o['key-id']),
        key: typeFromJson(o.key, `${where}.key`),
        valueId: Number(o['value-id']),
        valueRequired: Boolean(o['value-required']),
        value: typeFromJson(o.value, `${where}.value`),
      };
    default:
      throw new FloeError('SCHEMA_INVALID', `${where}: not an Iceberg type: ${JSON.stringify(j)}`);
  }
}

export function fieldFromJson(j: unknown, where = 'field'): NestedField {
  const o = j as Json;
  if (typeof o?.id !== 'number' || typeof o.name !== 'string') throw new FloeError('SCHEMA_INVALID', `${where}: a field needs a numeric id and a name`);
  const f: { -readonly [K in keyof NestedField]: NestedField[K] } = {
    id: o.id,
    name: o.name,
    required: Boolean(o.required),
    type: typeFromJson(o.type, `${where} '${o.name}'`),
  };
  if (typeof o.doc === 'string') f.doc = o.doc;
  if ('initial-default' in o) f.initialDefault = o['initial-default'];
  if ('write-default' in o) f.writeDefault = o['write-default'];
  return f;
}

export function schemaFromJson(j: unknown): Schema {
  const o = j as Json;
  const st = typeFromJson({ ...o, type: 'struct' }, 'schema') as Extract<IcebergType, { type: 'struct' }>;
  const ids = o['identifier-field-ids'];
  return { schemaId: Number(o['schema-id'] ?? 0), fields: st.fields, ...(Array.isArray(ids) ? { identifierFieldIds: ids as number[] } : {}) };
}

export function typeToJson(t: IcebergType): unknown {
  switch (t.type) {
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'fixed':
      return `fixed[${t.length}]`;
    case 'struct':
      return { type: 'struct', fields: t.fields.map(fieldToJson) };
    case 'list':
      return { type: 'list', 'element-id': t.elementId, element: typeToJson(t.element), 'element-required': t.elementRequired };
    case 'map':
      return {
        type: 'map',
        'key-id': t.keyId,
        key: typeToJson(t.key),
        'value-id': t.valueId,
        value: typeToJson(t.value),
        'value-required': t.valueRequired,
      };
    default:
      return t.type;
  }
}

export function fieldToJson(f: NestedField): Json {
  const o: Json = { id: f.id, name: f.name, required: f.required, type: typeToJson(f.type) };
  if (f.doc !== undefined) o.doc = f.doc;
  if (f.initialDefault !== undefined) o['initial-default'] = f.initialDefault;
  if (f.writeDefault !== undefined) o['write-default'] = f.writeDefault;
  return o;
}

export function schemaToJson(s: Schema): Json {
  const o: Json = { type: 'struct', 'schema-id': s.schemaId, fields: s.fields.map(fieldToJson) };
  if (s.identifierFieldIds?.length) o['identifier-field-ids'] = [...s.identifierFieldIds];
  return o;
}

export interface IndexedField {
  readonly field: NestedField;
  /** Dotted path of names from the root (list elements `element`, map parts `key`/`value`). */
  readonly path: string;
  /** Inside a list or map: not addressable from a row's top-level structs. */
  readonly repeated: boolean;
}

/** Every field by id, nested ones included (list elements and map keys/values as synthetic fields). */
export function indexById(fields: readonly NestedField[]): Map<number, IndexedField> {
  const out = new Map<number, IndexedField>();
  const visit = (f: NestedField, prefix: string, repeated: boolean) => {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    out.set(f.id, { field: f, path, repeated });
    const t = f.type;
    if (t.type === 'struct') for (const c of t.fields) visit(c, path, repeated);
    if (t.type === 'list') visit({ id: t.elementId, name: 'element', required: t.elementRequired, type: t.element }, path, true);
    if (t.type === 'map') {
      visit({ id: t.keyId, name: 'key', required: true, type: t.key }, path, true);
      visit({ id: t.valueId, name: 'value', required: t.valueRequired, type: t.value }, path, true);
    }
  };
  for (const f of fields) visit(f, '', false);
  return out;
}

export function findField(schema: Pick<Schema, 'fields'>, nameOrPath: string): IndexedField | undefined {
  for (const f of indexById(schema.fields).values()) if (f.path === nameOrPath) return f;
  return undefined;
}

export function highestFieldId(fields: readonly NestedField[]): number {
  let max = 0;
  for (const id of indexById(fields).keys()) if (id > max) max = id;
  return max;
}

/** Renumbers every field id from 1 in depth-first order (create-table assigns fresh ids). */
export function assignFreshIds(s: Schema, next: () => number = counter()): Schema {
  const map = (t: IcebergType): IcebergType => {
    if (t.type === 'struct') return { type: 'struct', fields: t.fields.map((f) => ({ ...f, id: next(), type: f.type })).map((f, i) => ({ ...f, type: map((t.fields[i] as NestedField).type) })) };
    if (t.type === 'list') {
      const elementId = next();
      return { ...t, elementId, element: map(t.element) };
    }
    if (t.type === 'map') {
      const keyId = next();
      const valueId = next();
      return { ...t, keyId, valueId, key: map(t.key), value: map(t.value) };
    }
    return t;
  };
  // Like Java's TypeUtil.assignFreshIds: ids of one struct's fields first, then their children.
  const oldToNew = new Map<number, number>();
  const root = map({ type: 'struct', fields: s.fields }) as Extract<IcebergType, { type: 'struct' }>;
  const oldIdx = indexById(s.fields);
  const newIdx = indexById(root.fields);
  const oldPaths = new Map([...oldIdx].map(([id, f]) => [f.path, id]));
  for (const [id, f] of newIdx) {
    const old = oldPaths.get(f.path);
    if (old !== undefined) oldToNew.set(old, id);
  }
  const ids = s.identifierFieldIds?.map((id) => oldToNew.get(id) ?? id);
  return { schemaId: s.schemaId, fields: root.fields, ...(ids ? { identifierFieldIds: ids } : {}) };
}

function counter(start = 1): () => number {
  let n = start;
  return () => n++;
}

export function primitiveOf(t: IcebergType, where: string): PrimitiveType {
  if (t.type === 'struct' || t.type === 'list' || t.type === 'map') throw new FloeError('SCHEMA_INVALID', `${where}: expected a primitive type, got ${t.type}`);
  return t;
}
