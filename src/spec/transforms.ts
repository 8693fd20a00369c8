/**
 * Partition transforms (spec: "Partition Transforms"): identity, bucket[N], truncate[W], year,
 * month, day, hour, void. Each is compiled once per (transform, source type) into a function of
 * one value, since it runs per row: the compiled functions allocate nothing for fixed-width types.
 */
import { FloeError } from '../errors.js';
import { murmur3, murmur3Long } from './murmur3.js';
import type { IcebergType, PrimitiveType, Value } from './types.js';
import { bigintToMinimalBytes, formatDecimal } from './values.js';
import { floorDivBig, formatDate, formatYear, formatTime, formatTimestamp, monthsFromDays, daysOf } from './time.js';

export type Transform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'bucket'; readonly n: number }
  | { readonly kind: 'truncate'; readonly width: number }
  | { readonly kind: 'year' }
  | { readonly kind: 'month' }
  | { readonly kind: 'day' }
  | { readonly kind: 'hour' }
  | { readonly kind: 'void' }
  /** A transform this version does not know: v3 readers must read such tables, writers must not write them. */
  | { readonly kind: 'unknown'; readonly name: string };

const SIMPLE_KINDS = new Set(['identity', 'year', 'month', 'day', 'hour', 'void']);

/** Parses a transform string; with `lenient`, an unknown name is kept as `{ kind: 'unknown' }` (reading metadata). */
export function parseTransform(s: string, lenient = false): Transform {
  const t = s.trim().toLowerCase();
  const m = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(t);
  if (m) {
    const n = Number(m[2]);
    if (!(n > 0) || n > 0x7fffffff) throw new FloeError('SCHEMA_INVALID', `transform '${s}': the width must be a positive integer (at most 2147483647)`);
    return m[1] === 'bucket' ? { kind: 'bucket', n } : { kind: 'truncate', width: n };
  }
  if (SIMPLE_KINDS.has(t)) return { kind: t } as Transform;
  if (lenient) return { kind: 'unknown', name: s };
  throw new FloeError('SCHEMA_INVALID', `unknown partition transform '${s}': expected identity, bucket[N], truncate[W], year, month, day, hour or void`);
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  if (t.kind === 'unknown') return t.name;
  return t.kind;
}

const TIME_TYPES: ReadonlySet<string> = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const BUCKET_TYPES: ReadonlySet<string> = new Set(['int', 'long', 'decimal', 'date', 'time', 'string', 'uuid', 'fixed', 'binary', ...TIME_TYPES]);
const TRUNCATE_TYPES: ReadonlySet<string> = new Set(['int', 'long', 'decimal', 'string', 'binary']);

export function canTransform(t: Transform, source: IcebergType): boolean {
  const ty = source.type;
  if (ty === 'struct' || ty === 'list' || ty === 'map') return false;
  switch (t.kind) {
    case 'identity':
      return ty !== 'unknown';
    case 'void':
      return true;
    case 'bucket':
      return BUCKET_TYPES.has(ty);
    case 'truncate':
      return TRUNCATE_TYPES.has(ty);
    case 'year':
    case 'month':
    case 'day':
      return ty === 'date' || TIME_TYPES.has(ty);
    case 'hour':
      return TIME_TYPES.has(ty);
    case 'unknown':
      return false;
  }
}

export function resultType(t: Transform, source: PrimitiveType): PrimitiveType {
  switch (t.kind) {
    case 'identity':
    case 'truncate':
    case 'void':
      return source;
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return { type: 'int' };
    case 'day':
      return { type: 'date' };
    case 'unknown':
      // Java reads values of unknown transforms as strings.
      return { type: 'string' };
  }
}

/** Whether two transforms order values the same way (Java's Transform.preservesOrder). */
export function preservesOrder(t: Transform): boolean {
  return t.kind !== 'bucket' && t.kind !== 'void' && t.kind !== 'unknown';
}

// Scratch space shared by the per-row hash functions (single-threaded: safe to reuse).
const scratch8 = new DataView(new ArrayBuffer(8));
const scratch16 = new Uint8Array(16);
const scratch16View = new DataView(scratch16.buffer);
let scratchStr = new Uint8Array(256);
const utf8 = new TextEncoder();

function hashBigLong(v: bigint): number {
  scratch8.setBigInt64(0, BigInt.asIntN(64, v), true);
  return murmur3Long(scratch8.getInt32(0, true), scratch8.getInt32(4, true));
}

function hashDecimal(v: bigint): number {
  const min = -(1n << 127n);
  if (v < min || v >= -min) return murmur3(bigintToMinimalBytes(v));
  scratch16View.setBigInt64(0, v >> 64n, false);
  scratch16View.setBigUint64(8, BigInt.asUintN(64, v), false);
  // Drop leading bytes that only repeat the sign of the next one (minimal two's complement).
  let start = 0;
  while (start < 15) {
    const b = scratch16[start] as number;
    const next = (scratch16[start + 1] as number) & 0x80;
    if ((b === 0 && next === 0) || (b === 0xff && next !== 0)) start++;
    else break;
  }
  if (start === 0) return murmur3(scratch16);
  scratch16.copyWithin(0, start);
  return murmur3(scratch16, 0, 16 - start);
}

function hashString(s: string): number {
  if (s.length * 3 > scratchStr.length) scratchStr = new Uint8Array(s.length * 3);
  const { written } = utf8.encodeInto(s, scratchStr);
  return murmur3(scratchStr, 0, written);
}

function hexNibble(c: number, u: string): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new FloeError('VALUE_INVALID', `not a UUID: '${u}'`);
}

function hashUuid(u: string): number {
  let n = 0;
  for (let i = 0; i < u.length && n < 32; i++) {
    const c = u.charCodeAt(i);
    if (c === 45) continue; // '-'
    const nib = hexNibble(c, u);
    if (n % 2 === 0) scratch16[n >> 1] = nib << 4;
    else scratch16[n >> 1] = (scratch16[n >> 1] as number) | nib;
    n++;
  }
  if (n !== 32) throw new FloeError('VALUE_INVALID', `not a UUID: '${u}'`);
  return murmur3(scratch16);
}

/** The hash function of a source type, as the bucket transform defines it (Appendix B). */
export function bucketHasher(source: PrimitiveType): (v: Value) => number {
  switch (source.type) {
    case 'int':
    case 'date':
      return (v) => {
        const x = v as number;
        return murmur3Long(x | 0, x < 0 ? -1 : 0);
      };
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return (v) => hashBigLong(v as bigint);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // Appendix B note 3: nanoseconds are hashed as microseconds so both precisions agree.
      return (v) => hashBigLong(floorDivBig(v as bigint, 1000n));
    case 'decimal':
      return (v) => hashDecimal(v as bigint);
    case 'string':
      return (v) => hashString(v as string);
    case 'uuid':
      return (v) => (typeof v === 'string' ? hashUuid(v) : murmur3(v as Uint8Array));
    case 'fixed':
    case 'binary':
      return (v) => murmur3(v as Uint8Array);
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `bucket transform cannot hash type ${source.type}`);
  }
}

/** Murmur3 hash of a value as the bucket transform defines it (compile with bucketHasher in loops). */
export function bucketHash(v: Value, source: PrimitiveType): number {
  return bucketHasher(source)(v);
}

/** The first `w` code points of a string (not UTF-16 units). */
export function truncateString(s: string, w: number): string {
  if (s.length <= w) return s;
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    if (++count === w) return i + 1 >= s.length ? s : s.slice(0, i + 1);
  }
  return s;
}

const US_PER_HOUR = 3_600_000_000;
const US_PER_HOUR_BIG = 3_600_000_000n;

function toHours(v: bigint, nanos: boolean): number {
  const us = nanos ? floorDivBig(v, 1000n) : v;
  const x = Number(us);
  if (x < 9007199254740992 && x > -9007199254740992) {
    let q = Math.floor(x / US_PER_HOUR);
    if (q * US_PER_HOUR > x) q--;
    return q;
  }
  return Number(floorDivBig(us, US_PER_HOUR_BIG));
}

/** Compiles a transform for a source type into a function of one value (null stays null). */
export function compileTransform(t: Transform, source: PrimitiveType): (v: Value) => Value {
  if (!canTransform(t, source)) throw new FloeError('SCHEMA_INVALID', `transform ${transformToString(t)} cannot apply to type ${source.type}`);
  switch (t.kind) {
    case 'identity':
      return (v) => v ?? null;
    case 'void':
    case 'unknown':
      return () => null;
    case 'bucket': {
      const hash = bucketHasher(source);
      const n = t.n;
      return (v) => (v === null || v === undefined ? null : (hash(v) & 0x7fffffff) % n);
    }
    case 'truncate':
      return compileTruncate(t.width, source);
    case 'year': {
      const days = daysOf(source);
      return (v) => (v === null || v === undefined ? null : Math.floor(monthsFromDays(days(v)) / 12));
    }
    case 'month': {
      const days = daysOf(source);
      return (v) => (v === null || v === undefined ? null : monthsFromDays(days(v)));
    }
    case 'day': {
      const days = daysOf(source);
      return (v) => (v === null || v === undefined ? null : days(v));
    }
    case 'hour': {
      const nanos = source.type.endsWith('_ns');
      return (v) => (v === null || v === undefined ? null : toHours(v as bigint, nanos));
    }
  }
}

function compileTruncate(width: number, source: PrimitiveType): (v: Value) => Value {
  const W = BigInt(width);
  switch (source.type) {
    case 'int':
      // Wraps on overflow as Java's int arithmetic does (the reference engines agree).
      return (v) => (v === null || v === undefined ? null : ((v as number) - ((((v as number) % width) + width) % width)) | 0);
    case 'long':
      return (v) => (v === null || v === undefined ? null : BigInt.asIntN(64, (v as bigint) - ((((v as bigint) % W) + W) % W)));
    case 'decimal':
      return (v) => (v === null || v === undefined ? null : (v as bigint) - ((((v as bigint) % W) + W) % W));
    case 'string':
      return (v) => (v === null || v === undefined ? null : truncateString(v as string, width));
    default:
      return (v) => (v === null || v === undefined ? null : (v as Uint8Array).slice(0, width));
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The human-readable form of a partition value used in partition paths (`ts_day=2024-01-02`,
 * `ts_hour=2024-01-02-10`, `ts_month=2024-01`, `ts_year=2024`), as Java's toHumanString.
 */
export function humanValue(t: Transform, resultTypeOf: PrimitiveType, v: Value): string {
  if (v === null || v === undefined) return 'null';
  switch (t.kind) {
    case 'year':
      return formatYear(1970 + (v as number));
    case 'month': {
      const m = v as number;
      return `${formatYear(1970 + Math.floor(m / 12))}-${pad2((((m % 12) + 12) % 12) + 1)}`;
    }
    case 'day':
      return formatDate(v as number);
    case 'hour': {
      const h = v as number;
      const days = Math.floor(h / 24);
      return `${formatDate(days)}-${pad2(h - days * 24)}`;
    }
    default:
      break;
  }
  switch (resultTypeOf.type) {
    case 'date':
      return formatDate(v as number);
    case 'time':
      return formatTime(v as bigint);
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return formatTimestamp(v as bigint, resultTypeOf.type);
    case 'binary':
    case 'fixed':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'decimal':
      return formatDecimal(v as bigint, resultTypeOf.scale);
    default:
      return String(v);
  }
}
