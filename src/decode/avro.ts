/**
 * Avro (with the registry's framing) to Floe's value representation: logical types by hooks
 * (decimal bytes/fixed -> bigint, timestamp/local-timestamp millis/micros -> µs bigint,
 * time-millis/micros -> µs bigint, date -> days, uuid -> string), longs exact as bigint,
 * unions with null as optional values, enums as strings, maps as [key, value] pairs.
 * Also Avro schema -> Iceberg schema, for tables created from the registry schema.
 */
import avro from 'avsc';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema } from '../spec/types.js';

/** Avro longs as bigint: ids, offsets and µs timestamps exceed 2^53. Shared with manifests. */
export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

type Attrs = Record<string, unknown>;

class DecimalLT extends avro.types.LogicalType {
  private readonly size: number | undefined;
  constructor(attrs: Attrs, opts: object) {
    super(attrs as never, opts);
    this.size = (attrs.type as string) === 'fixed' ? (attrs.size as number) : undefined;
  }
  override _fromValue(buf: Buffer): bigint {
    if (buf.length === 0) return 0n;
    let x = 0n;
    for (const b of buf) x = (x << 8n) | BigInt(b);
    if ((buf[0] as number) & 0x80) x -= 1n << BigInt(buf.length * 8);
    return x;
  }
  override _toValue(v: bigint): Buffer {
    const n = this.size ?? Math.max(1, Math.ceil((v < 0n ? (-v).toString(2).length + 1 : v.toString(2).length + 1) / 8));
    const out = Buffer.alloc(n);
    let x = v;
    for (let i = n - 1; i >= 0; i--) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    return out;
  }
  override _resolve(type: avro.Type) {
    return avro.Type.isType(type, 'logical:decimal') ? (x: bigint) => x : undefined;
  }
}

class MillisToMicros extends avro.types.LogicalType {
  override _fromValue(v: bigint | number): bigint {
    return BigInt(v) * 1000n;
  }
  override _toValue(v: bigint): bigint | number {
    return (this.underlyingType as avro.Type).typeName === 'int' ? Number(v / 1000n) : v / 1000n;
  }
}

class Micros extends avro.types.LogicalType {
  override _fromValue(v: bigint): bigint {
    return BigInt(v);
  }
  override _toValue(v: bigint): bigint {
    return v;
  }
}

class Uuid extends avro.types.LogicalType {
  override _fromValue(v: string | Buffer): string {
    if (typeof v === 'string') return v.toLowerCase();
    const h = v.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  override _toValue(v: string): string {
    return v;
  }
}

export const LOGICAL_TYPES = {
  decimal: DecimalLT,
  'timestamp-millis': MillisToMicros,
  'timestamp-micros': Micros,
  'local-timestamp-millis': MillisToMicros,
  'local-timestamp-micros': Micros,
  'time-millis': MillisToMicros,
  'time-micros': Micros,
  uuid: Uuid,
};

/**
 * Every Avro long decodes as bigint, also under a logical type: avsc builds the underlying type
 * of `{type: 'long', logicalType}` from the same schema object, so the hook lets the logical
 * type through the first time and answers the bigint long the second.
 */
function longHook(): (schema: unknown) => avro.Type | undefined {
  const seen = new WeakSet<object>();
  return (schema) => {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || (schema as Attrs).type !== 'long') return undefined;
    const lt = (schema as Attrs).logicalType as string | undefined;
    if (lt && lt in LOGICAL_TYPES && !seen.has(schema)) {
      seen.add(schema);
      return undefined;
    }
    return BIGINT_LONG;
  };
}

/** An avsc type for a writer schema, decoding to Floe's values. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    logicalTypes: LOGICAL_TYPES as never,
    registry: { long: BIGINT_LONG } as never,
    typeHook: longHook() as never,
    wrapUnions: false,
  });
}

type AvroSchema = string | { type: string | AvroSchema; [k: string]: unknown } | AvroSchema[];

/** Avro schema -> Iceberg types (ids are placeholders: the catalog assigns fresh ones on create). */
export function avroToIceberg(schema: unknown): Schema {
  let next = 1;
  const named = new Map<string, AvroSchema>();
  const conv = (s: AvroSchema, where: string): { type: IcebergType; optional: boolean } => {
    if (Array.isArray(s)) {
      const branches = s.filter((b) => b !== 'null');
      if (branches.length !== 1) throw new FloeError('SCHEMA_INVALID', `${where}: unions other than [null, T] are not supported`);
      return { type: conv(branches[0] as AvroSchema, where).type, optional: s.length > branches.length };
    }
    if (typeof s === 'string') {
      const known = named.get(s);
      if (known) return conv(known, where);
      switch (s) {
        case 'boolean':
        case 'int':
        case 'long':
        case 'float':
        case 'double':
        case 'string':
          return { type: { type: s }, optional: false };
        case 'bytes':
          return { type: { type: 'binary' }, optional: false };
        default:
          throw new FloeError('SCHEMA_INVALID', `${where}: Avro type '${s}' has no Iceberg equivalent`);
      }
    }
    if (typeof s.name === 'string') named.set(s.name, s);
    const lt = s.logicalType as string | undefined;
    if (lt === 'decimal') return { type: { type: 'decimal', precision: Number(s.precision), scale: Number(s.scale ?? 0) }, optional: false };
    if (lt === 'date') return { type: { type: 'date' }, optional: false };
    if (lt === 'time-millis' || lt === 'time-micros') return { type: { type: 'time' }, optional: false };
    if (lt === 'timestamp-millis' || lt === 'timestamp-micros') return { type: { type: 'timestamptz' }, optional: false };
    if (lt === 'local-timestamp-millis' || lt === 'local-timestamp-micros') return { type: { type: 'timestamp' }, optional: false };
    if (lt === 'uuid') return { type: { type: 'uuid' }, optional: false };
    switch (s.type) {
      case 'record': {
        const fields = (s.fields as Array<{ name: string; type: AvroSchema; doc?: string }>).map((f) => {
          const id = next++;
          const c = conv(f.type, `${where}.${f.name}`);
          return { id, name: f.name, required: !c.optional, type: c.type, ...(f.doc ? { doc: f.doc } : {}) } as NestedField;
        });
        return { type: { type: 'struct', fields }, optional: false };
      }
      case 'array': {
        const elementId = next++;
        const c = conv(s.items as AvroSchema, `${where}[]`);
        return { type: { type: 'list', elementId, elementRequired: !c.optional, element: c.type }, optional: false };
      }
      case 'map': {
        const keyId = next++;
        const valueId = next++;
        const c = conv(s.values as AvroSchema, `${where}{}`);
        return { type: { type: 'map', keyId, key: { type: 'string' }, valueId, valueRequired: !c.optional, value: c.type }, optional: false };
      }
      case 'enum':
        return { type: { type: 'string' }, optional: false };
      case 'fixed':
        return { type: { type: 'fixed', length: Number(s.size) }, optional: false };
      default:
        return conv(s.type as AvroSchema, where);
    }
  };
  const root = conv(schema as AvroSchema, 'value');
  if (root.type.type !== 'struct') throw new FloeError('SCHEMA_INVALID', 'the value schema must be an Avro record to become a table');
  return { schemaId: 0, fields: root.type.fields };
}
