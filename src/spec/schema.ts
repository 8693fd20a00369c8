/** Schemas and types in the spec's JSON form, and lookups over nested fields. */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, PrimitiveType, Schema, SimplePrimitive } from './types.js';

type Json = { [k: string]: unknown };

const SIMPLE: ReadonlySet<string> = new Set<SimplePrimitive>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary', 'unknown',
]);

function int(o: Json, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FloeError('SCHEMA_INVALID', `${where}: '${k}' must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Json, k: string, where: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new FloeError('SCHEMA_INVALID', `${where}: '${k}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

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
    case 'struct': {
      if (!Array.isArray(o.fields)) throw new FloeError('SCHEMA_INVALID', `${where}: a struct needs a 'fields' list`);
      return { type: 'struct', fields: o.fields.map((f: unknown, i: number) => fieldFromJson(f, `${where}.fields[${i}]`)) };
    }
    case 'list':
      return {
        type: 'list',
        elementId: int(o, 'element-id', where),
        elementRequired: bool(o, 'element-required', where),
        element: typeFromJson(o.element, `${where}.element`),
      };
    case 'map':
      return {
        type: 'map',
        keyId: int(o, 'key-id', where),
        key: typeFromJson(o.key, `${where}.key`),
        valueId: int(o, 'value-id', where),
        valueRequired: bool(o, 'value-required', where),
        value: typeFromJson(o.value, `${where}.value`),
      };
    default:
      throw new FloeError('SCHEMA_INVALID', `${where}: not an Iceberg type: ${JSON.stringify(j)}`);
  }
}

export function fieldFromJson(j: unknown, where = 'field'): NestedField {
  const o = j as Json;
  if (typeof o?.id !== 'number' || !Number.isInteger(o.id) || typeof o.name !== 'string') throw new FloeError('SCHEMA_INVALID', `${where}: a field needs an integer id and a name`);
  const f: { -readonly [K in keyof NestedField]: NestedField[K] } = {
    id: o.id,
    name: o.name,
    required: bool(o, 'required', `${where} '${o.name}'`),
    type: typeFromJson(o.type, `${where} '${o.name}'`),
  };
  if (typeof o.doc === 'string') f.doc = o.doc;
  if ('initial-default' in o) f.initialDefault = o['initial-default'];
  if ('write-default' in o) f.writeDefault = o['write-default'];
  return f;
}

export function schemaFromJson(j: unknown): Schema {
  const o = j as Json;
  if (typeof o !== 'object' || o === null) throw new FloeError('SCHEMA_INVALID', `schema: expected a JSON object, got ${JSON.stringify(j)}`);
  const st = typeFromJson({ ...o, type: 'struct' }, 'schema') as Extract<IcebergType, { type: 'struct' }>;
  const ids = o['identifier-field-ids'];
  if (ids !== undefined && !(Array.isArray(ids) && ids.every((x) => Number.isInteger(x)))) throw new FloeError('SCHEMA_INVALID', `schema: 'identifier-field-ids' must be a list of field ids`);
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
  /** Id of the enclosing field (struct, list or map), undefined at the top level. */
  readonly parentId?: number;
}

const byIdCache = new WeakMap<readonly NestedField[], Map<number, IndexedField>>();
const byNameCache = new WeakMap<readonly NestedField[], Map<string, IndexedField>>();

/**
 * Every field by id, nested ones included (list elements and map keys/values as synthetic
 * fields). Schemas are immutable, so the index is built once per field list and cached.
 * On a duplicate id the first field wins; validateSchema reports duplicates.
 */
export function indexById(fields: readonly NestedField[]): Map<number, IndexedField> {
  const cached = byIdCache.get(fields);
  if (cached) return cached;
  const out = new Map<number, IndexedField>();
  const visit = (f: NestedField, prefix: string, repeated: boolean, parentId: number | undefined) => {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    if (!out.has(f.id)) out.set(f.id, { field: f, path, repeated, ...(parentId === undefined ? {} : { parentId }) });
    const t = f.type;
    if (t.type === 'struct') for (const c of t.fields) visit(c, path, repeated, f.id);
    if (t.type === 'list') visit({ id: t.elementId, name: 'element', required: t.elementRequired, type: t.element }, path, true, f.id);
    if (t.type === 'map') {
      visit({ id: t.keyId, name: 'key', required: true, type: t.key }, path, true, f.id);
      visit({ id: t.valueId, name: 'value', required: t.valueRequired, type: t.value }, path, true, f.id);
    }
  };
  for (const f of fields) visit(f, '', false, undefined);
  byIdCache.set(fields, out);
  return out;
}

/** Every field by its dotted path (`st.b.c`, `tags.element`, `attrs.key`). */
export function indexByName(fields: readonly NestedField[]): Map<string, IndexedField> {
  const cached = byNameCache.get(fields);
  if (cached) return cached;
  const out = new Map<string, IndexedField>();
  for (const f of indexById(fields).values()) if (!out.has(f.path)) out.set(f.path, f);
  byNameCache.set(fields, out);
  return out;
}

export function fieldById(schema: Pick<Schema, 'fields'>, id: number): NestedField | undefined {
  return indexById(schema.fields).get(id)?.field;
}

/** A field by dotted name; with `caseSensitive: false`, as Java's caseInsensitiveFindField. */
export function findField(schema: Pick<Schema, 'fields'>, nameOrPath: string, caseSensitive = true): IndexedField | undefined {
  const idx = indexByName(schema.fields);
  const hit = idx.get(nameOrPath);
  if (hit || caseSensitive) return hit;
  const lower = nameOrPath.toLowerCase();
  for (const [path, f] of idx) if (path.toLowerCase() === lower) return f;
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

export interface ValidateOptions {
  /** Types and defaults newer than the table's format version are refused. */
  formatVersion?: number;
}

const V3_TYPES: ReadonlySet<string> = new Set(['timestamp_ns', 'timestamptz_ns', 'unknown']);

/**
 * Checks the rules a schema must follow (spec "Schemas and Data Types", Java's Schema and
 * TypeUtil): unique field ids, unique names per struct, decimal and fixed bounds, unknown-typed
 * fields optional, v3 types and defaults only in v3, identifier fields required primitives that
 * are not floating point and not inside a list, a map or an optional struct.
 */
export function validateSchema(schema: Pick<Schema, 'fields'> & Partial<Schema>, opts: ValidateOptions = {}): void {
  const fail = (msg: string) => new FloeError('SCHEMA_INVALID', `schema: ${msg}`);
  const seen = new Map<number, string>();
  const version = opts.formatVersion ?? 3;
  const checkId = (id: number, path: string) => {
    if (!Number.isInteger(id) || id < 0) throw fail(`field '${path}' has an invalid id ${id}`);
    const other = seen.get(id);
    if (other !== undefined) throw fail(`field id ${id} is used twice, by '${other}' and '${path}'; ids must be unique`);
    seen.set(id, path);
  };
  const checkType = (t: IcebergType, path: string) => {
    if (t.type === 'decimal' && !(t.precision >= 1 && t.precision <= 38 && t.scale >= 0 && t.scale <= t.precision)) {
      throw fail(`field '${path}': decimal(${t.precision},${t.scale}) is out of range (precision 1..38, scale 0..precision)`);
    }
    if (t.type === 'fixed' && !(t.length >= 1)) throw fail(`field '${path}': fixed[${t.length}] needs a positive length`);
    if (V3_TYPES.has(t.type) && version < 3) throw fail(`field '${path}': type ${t.type} needs format version 3 (the table is v${version})`);
    if (t.type === 'struct') checkStruct(t.fields, path);
    if (t.type === 'list') {
      checkId(t.elementId, `${path}.element`);
      checkType(t.element, `${path}.element`);
    }
    if (t.type === 'map') {
      checkId(t.keyId, `${path}.key`);
      checkId(t.valueId, `${path}.value`);
      checkType(t.key, `${path}.key`);
      checkType(t.value, `${path}.value`);
    }
  };
  const checkStruct = (fields: readonly NestedField[], prefix: string) => {
    const names = new Set<string>();
    for (const f of fields) {
      const path = prefix ? `${prefix}.${f.name}` : f.name;
      if (!f.name) throw fail(`a field in '${prefix || '<root>'}' has an empty name`);
      if (names.has(f.name)) throw fail(`field name '${path}' appears twice in the same struct`);
      names.add(f.name);
      checkId(f.id, path);
      if (f.type.type === 'unknown' && f.required) throw fail(`field '${path}' of type unknown must be optional`);
      if ((f.initialDefault !== undefined || f.writeDefault !== undefined) && version < 3) throw fail(`field '${path}': default values need format version 3`);
      checkType(f.type, path);
    }
  };
  checkStruct(schema.fields, '');
  const idx = indexById(schema.fields);
  for (const id of schema.identifierFieldIds ?? []) {
    const f = idx.get(id);
    if (!f) throw fail(`identifier field ${id} is not in the schema`);
    const t = f.field.type.type;
    if (t === 'struct' || t === 'list' || t === 'map') throw fail(`identifier field '${f.path}' must be a primitive, not a ${t}`);
    if (t === 'float' || t === 'double') throw fail(`identifier field '${f.path}' must not be ${t}`);
    if (!f.field.required) throw fail(`identifier field '${f.path}' must be required`);
    if (f.repeated) throw fail(`identifier field '${f.path}' must not be nested in a list or map`);
    for (let p = f.parentId; p !== undefined; p = idx.get(p)?.parentId) {
      const parent = idx.get(p);
      if (parent && !parent.field.required) throw fail(`identifier field '${f.path}' must not be nested in the optional struct '${parent.path}'`);
    }
  }
}
