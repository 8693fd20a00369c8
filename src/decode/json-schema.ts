/**
 * JSON Schema (the draft 7 / 2020-12 subset that Confluent's serializers emit) and declared
 * column lists -> Iceberg schemas. Ids as Iceberg assigns them: an object's properties first,
 * then what each contains.
 */
import { columnsToFields, type DeclaredColumn } from '../config/columns.js';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema } from '../spec/types.js';

type Js = Record<string, unknown>;

function fail(where: string, why: string): never {
  throw new FloeError('SCHEMA_INVALID', `${where || 'value'}: ${why}; declare the table's schema in the mapping instead`);
}

const STRING_FORMATS: Record<string, IcebergType> = {
  'date-time': { type: 'timestamptz' },
  date: { type: 'date' },
  time: { type: 'time' },
  uuid: { type: 'uuid' },
};

/** Kafka Connect's JSON converter annotates narrower types this way. */
const CONNECT_TYPES: Record<string, IcebergType> = {
  int8: { type: 'int' },
  int16: { type: 'int' },
  int32: { type: 'int' },
  int64: { type: 'long' },
  float32: { type: 'float' },
  float64: { type: 'double' },
  bytes: { type: 'binary' },
};

export function jsonSchemaToIceberg(schema: unknown): Schema {
  if (typeof schema !== 'object' || schema === null) fail('', 'the JSON Schema is not an object');
  const rootDoc = schema as Js;
  let nextId = 0;
  const next = () => ++nextId;
  const resolving = new Set<string>();

  const deref = (s: Js, where: string): Js => {
    const ref = s.$ref;
    if (typeof ref !== 'string') return s;
    const m = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const target = m ? ((rootDoc[m[1] as string] as Js | undefined)?.[decodeURIComponent(m[2] as string)] as Js | undefined) : undefined;
    if (!target) fail(where, `$ref '${ref}' is not a local definition (#/$defs/NAME)`);
    if (resolving.has(ref)) fail(where, `$ref '${ref}' refers to itself; recursive types have no Iceberg equivalent`);
    return target;
  };

  /** The type and whether null is allowed. */
  const conv = (raw: Js, where: string): { type: IcebergType; nullable: boolean } => {
    const ref = typeof raw.$ref === 'string' ? raw.$ref : undefined;
    const s = deref(raw, where);
    if (ref) resolving.add(ref);
    try {
      return convResolved(s, where);
    } finally {
      if (ref) resolving.delete(ref);
    }
  };

  const convResolved = (s: Js, where: string): { type: IcebergType; nullable: boolean } => {
    const alts = (s.oneOf ?? s.anyOf) as Js[] | undefined;
    if (Array.isArray(alts) && s.type === undefined) {
      const nonNull = alts.filter((a) => a.type !== 'null');
      if (nonNull.length !== 1) fail(where, `${s.oneOf ? 'oneOf' : 'anyOf'} with ${nonNull.length} non-null alternatives has no Iceberg type`);
      return { type: conv(nonNull[0] as Js, where).type, nullable: nonNull.length < alts.length };
    }
    let type = s.type;
    let nullable = false;
    if (Array.isArray(type)) {
      const nonNull = type.filter((t) => t !== 'null');
      if (nonNull.length !== 1) fail(where, `type ${JSON.stringify(type)} has no Iceberg type`);
      nullable = nonNull.length < type.length;
      type = nonNull[0];
    }
    if (type === undefined && Array.isArray(s.enum) && s.enum.every((e) => typeof e === 'string')) type = 'string';
    if (type === undefined && typeof s.const === 'string') type = 'string';
    if (type === undefined && s.properties) type = 'object';
    return { type: typeOf(s, type, where), nullable };
  };

  const typeOf = (s: Js, type: unknown, where: string): IcebergType => {
    const connect = CONNECT_TYPES[s['connect.type'] as string];
    switch (type) {
      case 'object': {
        const props = s.properties as Record<string, Js> | undefined;
        if (!props || Object.keys(props).length === 0) {
          const ap = s.additionalProperties;
          if (typeof ap === 'object' && ap !== null) {
            const keyId = next();
            const valueId = next();
            const v = conv(ap as Js, `${where}{}`);
            return { type: 'map', keyId, key: { type: 'string' }, valueId, valueRequired: !v.nullable, value: v.type };
          }
          fail(where, 'an object without properties (or an additionalProperties schema) has no columns');
        }
        const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
        const names = Object.keys(props);
        const ids = names.map(() => next());
        const fields = names.map((name, i): NestedField => {
          const c = conv(props[name] as Js, where ? `${where}.${name}` : name);
          const doc = (props[name] as Js).description;
          return { id: ids[i] as number, name, required: required.has(name) && !c.nullable, type: c.type, ...(typeof doc === 'string' ? { doc } : {}) };
        });
        return { type: 'struct', fields };
      }
      case 'array': {
        const elementId = next();
        if (typeof s.items !== 'object' || s.items === null || Array.isArray(s.items)) fail(where, 'an array needs one items schema');
        const e = conv(s.items as Js, `${where}[]`);
        return { type: 'list', elementId, elementRequired: !e.nullable, element: e.type };
      }
      case 'integer':
        return connect?.type === 'int' ? connect : { type: 'long' };
      case 'number':
        return connect?.type === 'float' ? connect : { type: 'double' };
      case 'boolean':
        return { type: 'boolean' };
      case 'string':
        if (connect?.type === 'binary' || s.contentEncoding === 'base64') return { type: 'binary' };
        return STRING_FORMATS[s.format as string] ?? { type: 'string' };
      default:
        return fail(where, `JSON Schema type ${JSON.stringify(type)} has no Iceberg equivalent`);
    }
  };

  const root = conv(rootDoc, '');
  if (root.type.type !== 'struct') fail('', 'the JSON Schema of the value must be an object to become a table');
  return { schemaId: 0, fields: root.type.fields };
}

/** A mapping's declared schema: a column list (`{name, type}`) or a JSON Schema object. */
export function declaredSchema(decl: readonly DeclaredColumn[] | Record<string, unknown>): Schema {
  if (Array.isArray(decl)) {
    try {
      return { schemaId: 0, fields: columnsToFields(decl) };
    } catch (err) {
      throw new FloeError('SCHEMA_INVALID', `declared schema: ${(err as Error).message}`, { cause: err });
    }
  }
  return jsonSchemaToIceberg(decl);
}
