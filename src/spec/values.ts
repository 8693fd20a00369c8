/**
 * Single-value binary serialization (Iceberg spec, Appendix D) for manifest lower/upper bounds,
 * ordering of values per type, and bound truncation for the `truncate(N)` metrics mode.
 * Values are in the representation of types.ts.
 */
import { FloeError } from '../errors.js';
import type { PrimitiveType, Value } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Minimal two's-complement big-endian bytes of a bigint (decimal bounds and bucket hashing). */
export function bigintToMinimalBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = v;
  for (;;) {
    const byte = Number(x & 0xffn);
    out.unshift(byte);
    x >>= 8n;
    // Done when the remaining value is pure sign extension of the byte just written.
    if ((x === 0n && (byte & 0x80) === 0) || (x === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}

export function minimalBytesToBigint(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  if ((b[0] as number) & 0x80) x -= 1n << BigInt(b.length * 8);
  return x;
}

export function uuidToBytes(u: string): Uint8Array {
  const hex = u.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new FloeError('VALUE_INVALID', `not a UUID: '${u}'`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Appendix D: the binary single-value form of a primitive value. */
export function serializeValue(type: PrimitiveType, v: Value): Uint8Array {
  switch (type.type) {
    case 'boolean':
      return Uint8Array.of(v ? 1 : 0);
    case 'int':
    case 'date': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v as number);
      return b;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v as bigint));
      return b;
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v as number);
      return b;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v as number);
      return b;
    }
    case 'string':
      return enc.encode(v as string);
    case 'uuid':
      return uuidToBytes(v as string);
    case 'fixed':
    case 'binary':
      return v as Uint8Array;
    case 'decimal':
      return bigintToMinimalBytes(v as bigint);
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `no single-value serialization for type '${type.type}'`);
  }
}

export function deserializeValue(type: PrimitiveType, bytes: Uint8Array): Value {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type.type) {
    case 'boolean':
      return b[0] !== 0;
    case 'int':
    case 'date':
      return b.readInt32LE(0);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // v1 metadata may hold a 4-byte int bound for a column promoted to long.
      return b.length === 4 ? BigInt(b.readInt32LE(0)) : b.readBigInt64LE(0);
    case 'float':
      return b.readFloatLE(0);
    case 'double':
      return b.length === 4 ? b.readFloatLE(0) : b.readDoubleLE(0);
    case 'string':
      return dec.decode(bytes);
    case 'uuid':
      return bytesToUuid(bytes);
    case 'fixed':
    case 'binary':
      return Uint8Array.from(bytes);
    case 'decimal':
      return minimalBytesToBigint(bytes);
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `no single-value serialization for type '${type.type}'`);
  }
}

const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;

/**
 * Strings compare by Unicode code point (= UTF-8 byte order), as Iceberg does. UTF-16 order is
 * the same except where a surrogate meets U+E000..U+FFFF, so only the first differing code unit
 * is looked at; when it is a surrogate (or a pair is cut at the end of the common prefix), the
 * UTF-8 bytes decide. This runs twice per string value written (column bounds): no regex scans.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) {
    if (n > 0 && isSurrogate(a.charCodeAt(n - 1))) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (isSurrogate(x) || isSurrogate(y)) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return x < y ? -1 : 1;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** A comparator for the values of a primitive type (NaN must be excluded by the caller). */
export function comparatorFor(type: PrimitiveType): (a: Value, b: Value) => number {
  switch (type.type) {
    case 'string':
      return (a, b) => compareStrings(a as string, b as string);
    case 'uuid':
      // UUIDs order as their 16 big-endian bytes, which is the order of their canonical hex.
      return (a, b) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);
    case 'fixed':
    case 'binary':
      return (a, b) => compareBytes(a as Uint8Array, b as Uint8Array);
    case 'boolean':
      return (a, b) => Number(a) - Number(b);
    case 'float':
    case 'double':
      // Java's Double.compare: -0.0 orders before 0.0 (NaN is excluded by the caller).
      return (a, b) => {
        const x = a as number;
        const y = b as number;
        if (x < y) return -1;
        if (x > y) return 1;
        if (x === 0 && y === 0) return Object.is(x, y) ? 0 : Object.is(x, -0) ? -1 : 1;
        return 0;
      };
    default:
      return (a, b) => ((a as number | bigint) < (b as number | bigint) ? -1 : (a as number | bigint) > (b as number | bigint) ? 1 : 0);
  }
}

/** Lower bound of `truncate(n)`: the first n code points. */
export function truncateStringLower(s: string, n: number): string {
  const cps = Array.from(s);
  return cps.length <= n ? s : cps.slice(0, n).join('');
}

/**
 * Upper bound of `truncate(n)`: the first n code points with the last one incremented (dropping
 * trailing code points that cannot be), or undefined when no upper bound of that length exists.
 */
export function truncateStringUpper(s: string, n: number): string | undefined {
  const cps = Array.from(s);
  if (cps.length <= n) return s;
  const head = cps.slice(0, n).map((c) => c.codePointAt(0) as number);
  for (let i = head.length - 1; i >= 0; i--) {
    let next = (head[i] as number) + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip surrogates: not code points
    if (next <= 0x10ffff) return String.fromCodePoint(...head.slice(0, i), next);
  }
  return undefined;
}

export function truncateBytesLower(b: Uint8Array, n: number): Uint8Array {
  return b.length <= n ? b : b.slice(0, n);
}

export function truncateBytesUpper(b: Uint8Array, n: number): Uint8Array | undefined {
  if (b.length <= n) return b;
  const head = b.slice(0, n);
  for (let i = head.length - 1; i >= 0; i--) {
    if ((head[i] as number) < 0xff) {
      const out = head.slice(0, i + 1);
      out[i] = (out[i] as number) + 1;
      return out;
    }
  }
  return undefined;
}

/** The plain decimal string of an unscaled value (`-0.05` for -5 at scale 2). */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}
