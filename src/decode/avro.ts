/**
 * Avro values in Floe's representation (src/spec/types.ts), through avsc's compiled decoders:
 * longs exact as bigint; decimal (bytes and fixed) -> unscaled bigint; date -> days;
 * time-millis/micros -> µs bigint; timestamp and local-timestamp millis/micros -> µs bigint;
 * uuid (string or fixed) -> lower-case string; enums -> string; bytes/fixed -> Uint8Array;
 * unions with null -> the value or null; maps -> objects (the converter makes pairs of them).
 */
import avro from 'avsc';

/** avsc's reading cursor; stable in the pinned 5.7.9. */
interface Tap {
  buf: Buffer;
  pos: number;
}

/**
 * Reads a zigzag varint as bigint with no allocation: up to 7 bytes (49 bits) exactly in
 * double arithmetic, longer ones (ids and nanosecond times beyond 2^49) through BigInt.
 */
function readBigLong(tap: Tap): bigint {
  const buf = tap.buf;
  let pos = tap.pos;
  let f = 0;
  let mul = 1;
  let b = 0;
  let i = 0;
  do {
    b = buf[pos++] as number;
    f += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80 && ++i < 7);
  if (b & 0x80) {
    let big = BigInt(f);
    let shift = 49n;
    do {
      b = buf[pos++] as number;
      big |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    tap.pos = pos;
    return (big >> 1n) ^ -(big & 1n);
  }
  tap.pos = pos;
  return BigInt(f % 2 ? -(f + 1) / 2 : f / 2);
}

const bigintLong = avro.types.LongType.__with({
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
/**
 * Avro longs as bigint: ids, offsets and µs timestamps exceed 2^53. Shared with manifests.
 * avsc's custom long type unpacks every long into a fresh 8-byte buffer before converting it;
 * this one (the frozen type with its read replaced) reads the varint in place: the hot path.
 */
export const BIGINT_LONG: avro.Type = Object.freeze(Object.assign(Object.create(bigintLong) as avro.Type, { _read: readBigLong }));

/** The same long read as µs from millis: one BigInt instead of a long, a wrapper and a multiply. */
function readMillisAsMicros(tap: Tap): bigint {
  const buf = tap.buf;
  const start = tap.pos;
  let pos = start;
  let f = 0;
  let mul = 1;
  let b = 0;
  let i = 0;
  do {
    b = buf[pos++] as number;
    f += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80 && ++i < 7);
  if (b & 0x80) {
    tap.pos = start;
    return readBigLong(tap) * 1000n;
  }
  tap.pos = pos;
  const ms = f % 2 ? -(f + 1) / 2 : f / 2;
  const us = ms * 1000;
  return Number.isSafeInteger(us) ? BigInt(us) : BigInt(ms) * 1000n;
}

const floorDiv1000 = (v: bigint): bigint => v / 1000n - (v % 1000n < 0n ? 1n : 0n);

/** timestamp-millis and local-timestamp-millis as µs bigint, read and written in place. */
const MILLIS_AS_MICROS: avro.Type = Object.freeze(
  Object.assign(Object.create(bigintLong) as avro.Type, {
    _read: readMillisAsMicros,
    _write(this: { _toBuffer(v: bigint): Buffer }, tap: Tap & { packLongBytes(b: Buffer): void }, v: bigint) {
      tap.packLongBytes(this._toBuffer(floorDiv1000(v)));
    },
  }),
);

type Attrs = Record<string, unknown>;

/** Two's complement big-endian bytes -> bigint; six bytes or fewer (precision ≤ 14) in double arithmetic. */
export function unscaledFromBytes(buf: Uint8Array): bigint {
  const n = buf.length;
  if (n === 0) return 0n;
  if (n <= 6) {
    const b0 = buf[0] as number;
    let x = b0 & 0x80 ? b0 - 256 : b0;
    for (let i = 1; i < n; i++) x = x * 256 + (buf[i] as number);
    return BigInt(x);
  }
  let x = 0n;
  for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(buf[i] as number);
  return (buf[0] as number) & 0x80 ? x - (1n << BigInt(n * 8)) : x;
}

/** bigint -> two's complement big-endian bytes, minimal or `size` long (fixed). */
export function unscaledToBytes(v: bigint, size?: number): Buffer {
  const bits = (v < 0n ? (-v - 1n).toString(2).length : v.toString(2).length) + 1;
  const n = size ?? Math.max(1, Math.ceil(bits / 8));
  if (Math.ceil(bits / 8) > n) throw new Error(`decimal ${v} does not fit in ${n} bytes`);
  const out = Buffer.alloc(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

class DecimalType extends avro.types.LogicalType {
  private readonly size: number | undefined;
  constructor(attrs: Attrs, opts: object) {
    super(attrs as never, opts);
    this.size = attrs.type === 'fixed' ? (attrs.size as number) : undefined;
  }
  override _fromValue(buf: Buffer | undefined): bigint {
    // Past the end of a truncated value avsc reads nothing; its offset check reports it after.
    return buf ? unscaledFromBytes(buf) : 0n;
  }
  override _toValue(v: bigint): Buffer {
    return unscaledToBytes(v, this.size);
  }
  override _resolve(type: avro.Type) {
    return avro.Type.isType(type, 'logical:decimal') ? (x: bigint) => x : undefined;
  }
}

/** time-millis (an int) -> µs bigint. */
class TimeMillis extends avro.types.LogicalType {
  override _fromValue(v: number): bigint {
    return BigInt(v * 1000);
  }
  override _toValue(v: bigint): number {
    return Number(floorDiv1000(v));
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

class UuidType extends avro.types.LogicalType {
  override _fromValue(v: string | Buffer | undefined): string {
    if (typeof v === 'string') return v.toLowerCase();
    if (!v || v.length !== 16) return '';
    let h = '';
    for (let i = 0; i < 16; i++) h += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + HEX[v[i] as number];
    return h;
  }
  override _toValue(v: string): string | Buffer {
    return (this.underlyingType as avro.Type).typeName === 'fixed' ? Buffer.from(v.replace(/-/g, ''), 'hex') : v;
  }
}

export const LOGICAL_TYPES = {
  decimal: DecimalType,
  'time-millis': TimeMillis,
  uuid: UuidType,
};

/**
 * Longs under a logical type whose µs value needs no wrapper: micros are the long itself, millis
 * are read straight into µs. Any other long (plain, nanos, unknown logical types) is a bigint.
 */
const LONG_TYPES: Record<string, avro.Type> = {
  'timestamp-micros': BIGINT_LONG,
  'local-timestamp-micros': BIGINT_LONG,
  'time-micros': BIGINT_LONG,
  'timestamp-millis': MILLIS_AS_MICROS,
  'local-timestamp-millis': MILLIS_AS_MICROS,
};

/**
 * Every Avro long decodes as bigint. avsc builds the underlying type of a logical type from the
 * same schema object, so for `{type: 'long', logicalType: 'decimal'}` (legal, if odd) the hook
 * lets the logical type through the first time and answers the bigint long the second.
 */
function longHook(): (schema: unknown) => avro.Type | undefined {
  const seen = new WeakSet<object>();
  return (schema) => {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || (schema as Attrs).type !== 'long') return undefined;
    const lt = (schema as Attrs).logicalType as string | undefined;
    if (lt && LONG_TYPES[lt]) return LONG_TYPES[lt];
    if (lt && lt in LOGICAL_TYPES && !seen.has(schema)) {
      seen.add(schema);
      return undefined;
    }
    return BIGINT_LONG;
  };
}

/**
 * An avsc type for a writer schema, decoding to Floe's values. `named` holds the schemas of
 * referenced named types (registry schema references), declared before this one.
 */
export function avroType(schema: unknown, named: readonly unknown[] = []): avro.Type {
  const registry: Record<string, unknown> = { long: BIGINT_LONG };
  const opts = { logicalTypes: LOGICAL_TYPES, registry, typeHook: longHook(), wrapUnions: false } as unknown as avro.ForSchemaOptions;
  for (const s of named) avro.Type.forSchema(structuredClone(s) as avro.Schema, opts);
  // avsc annotates the schema objects it reads; never touch the caller's.
  return avro.Type.forSchema(structuredClone(schema) as avro.Schema, opts);
}
