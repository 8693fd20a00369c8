/**
 * Avro schema -> Iceberg schema, for tables created from the registry's schema. Ids are given
 * as Iceberg assigns fresh ones: a record's fields first (1..n at the top), then what each
 * contains. An Avro union with null is an optional field; other unions have no Iceberg type.
 */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema } from '../spec/types.js';

type AvroSchema = string | AvroObject | AvroSchema[];
interface AvroObject {
  type: AvroSchema;
  name?: string;
  namespace?: string;
  logicalType?: string;
  [k: string]: unknown;
}

const PRIMITIVE: Record<string, IcebergType | undefined> = {
  boolean: { type: 'boolean' },
  int: { type: 'int' },
  long: { type: 'long' },
  float: { type: 'float' },
  double: { type: 'double' },
  string: { type: 'string' },
  bytes: { type: 'binary' },
};

function fail(where: string, why: string): never {
  throw new FloeError('SCHEMA_INVALID', `${where || 'value'}: ${why}`);
}

function fullName(s: AvroObject, ns: string | undefined): string {
  const n = s.name as string;
  if (n.includes('.')) return n;
  const space = s.namespace ?? ns;
  return space ? `${space}.${n}` : n;
}

/**
 * Converts an Avro schema. `named` are the schemas of named types referenced from it (the
 * registry's schema references).
 */
export function avroToIceberg(schema: unknown, named: readonly unknown[] = []): Schema {
  let nextId = 0;
  const next = () => ++nextId;
  const types = new Map<string, AvroObject>();
  const visiting = new Set<AvroObject>();

  const register = (s: AvroSchema, ns: string | undefined): void => {
    if (Array.isArray(s)) return s.forEach((b) => register(b, ns));
    if (typeof s !== 'object' || s === null) return;
    if (typeof s.name === 'string' && (s.type === 'record' || s.type === 'enum' || s.type === 'fixed' || s.type === 'error')) {
      const fn = fullName(s, ns);
      types.set(fn, s);
      if (!s.name.includes('.')) types.set(s.name, s);
      ns = fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : ns;
    }
    if (Array.isArray(s.fields)) for (const f of s.fields as Array<{ type: AvroSchema }>) register(f.type, ns);
    if (s.items) register(s.items as AvroSchema, ns);
    if (s.values) register(s.values as AvroSchema, ns);
    if (typeof s.type === 'object') register(s.type, ns);
  };
  for (const n of named) register(n as AvroSchema, undefined);
  register(schema as AvroSchema, undefined);

  /** The type and whether null is allowed. */
  const conv = (s: AvroSchema, where: string): { type: IcebergType; optional: boolean } => {
    if (Array.isArray(s)) {
      const branches = s.filter((b) => b !== 'null');
      if (branches.length !== 1) fail(where, `the union ${JSON.stringify(s)} has ${branches.length} non-null branches; Iceberg has no union type, only [null, T] (optional)`);
      return { type: conv(branches[0] as AvroSchema, where).type, optional: branches.length < s.length };
    }
    if (typeof s === 'string') {
      const p = PRIMITIVE[s];
      if (p) return { type: p, optional: false };
      const t = types.get(s);
      if (!t) fail(where, `Avro type '${s}' is not defined (a schema reference the registry did not give?)`);
      if (visiting.has(t)) fail(where, `the record '${s}' contains itself; recursive types have no Iceberg equivalent`);
      return conv(t, where);
    }
    if (typeof s !== 'object' || s === null) fail(where, `not an Avro schema: ${JSON.stringify(s)}`);
    return { type: logical(s, where) ?? complex(s, where), optional: false };
  };

  const logical = (s: AvroObject, where: string): IcebergType | undefined => {
    switch (s.logicalType) {
      case 'decimal': {
        const precision = Number(s.precision);
        const scale = Number(s.scale ?? 0);
        if (!(precision >= 1 && precision <= 38)) fail(where, `decimal precision ${String(s.precision)} is outside Iceberg's 1..38`);
        if (!(scale >= 0 && scale <= precision)) fail(where, `decimal scale ${String(s.scale)} is outside 0..${precision}`);
        return { type: 'decimal', precision, scale };
      }
      case 'date':
        return s.type === 'int' ? { type: 'date' } : undefined;
      case 'time-millis':
      case 'time-micros':
        return { type: 'time' };
      case 'timestamp-millis':
      case 'timestamp-micros': {
        // Avro's timestamps are instants; Iceberg's writers mark a zone-less one adjust-to-utc: false.
        const utc = s['adjust-to-utc'];
        return utc === false || utc === 'false' ? { type: 'timestamp' } : { type: 'timestamptz' };
      }
      case 'timestamp-nanos':
        return { type: 'timestamptz_ns' };
      case 'local-timestamp-millis':
      case 'local-timestamp-micros':
        return { type: 'timestamp' };
      case 'local-timestamp-nanos':
        return { type: 'timestamp_ns' };
      case 'uuid':
        return s.type === 'string' || (s.type === 'fixed' && s.size === 16) ? { type: 'uuid' } : undefined;
      default:
        return undefined;
    }
  };

  const complex = (s: AvroObject, where: string): IcebergType => {
    switch (s.type) {
      case 'record':
      case 'error': {
        if (!Array.isArray(s.fields)) fail(where, 'a record needs a fields list');
        const fields = s.fields as Array<{ name: string; type: AvroSchema; doc?: string }>;
        const ids = fields.map(() => next());
        visiting.add(s);
        try {
          const out = fields.map((f, i): NestedField => {
            const c = conv(f.type, where ? `${where}.${f.name}` : f.name);
            return { id: ids[i] as number, name: f.name, required: !c.optional, type: c.type, ...(f.doc ? { doc: f.doc } : {}) };
          });
          return { type: 'struct', fields: out };
        } finally {
          visiting.delete(s);
        }
      }
      case 'array': {
        const elementId = next();
        const c = conv(s.items as AvroSchema, `${where}[]`);
        return { type: 'list', elementId, elementRequired: !c.optional, element: c.type };
      }
      case 'map': {
        const keyId = next();
        const valueId = next();
        const c = conv(s.values as AvroSchema, `${where}{}`);
        return { type: 'map', keyId, key: { type: 'string' }, valueId, valueRequired: !c.optional, value: c.type };
      }
      case 'enum':
        return { type: 'string' };
      case 'fixed':
        return { type: 'fixed', length: Number(s.size) };
      default:
        // `{type: 'long'}` and other wrapped primitives, or a named reference.
        return conv(s.type, where).type;
    }
  };

  const root = conv(schema as AvroSchema, '');
  if (root.type.type !== 'struct') fail('value', 'the value schema must be an Avro record to become a table');
  return { schemaId: 0, fields: root.type.fields };
}
