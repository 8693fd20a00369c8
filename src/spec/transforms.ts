/**
 * Partition transforms (spec: "Partition Transforms"): identity, bucket[N], truncate[W], year,
 * month, day, hour, void. Each is compiled once per (transform, source type) into a function of
 * one value, since it runs per row.
 */
import { FloeError } from '../errors.js';
import { murmur3 } from './murmur3.js';
import type { IcebergType, PrimitiveType, Value } from './types.js';
import { bigintToMinimalBytes, uuidToBytes } from './values.js';

export type Transform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'bucket'; readonly n: number }
  | { readonly kind: 'truncate'; readonly width: number }
  | { readonly kind: 'year' }
  | { readonly kind: 'month' }
  | { readonly kind: 'day' }
  | { readonly kind: 'hour' }
  | { readonly kind: 'void' };

export function parseTransform(s: string): Transform {
  const t = s.trim().toLowerCase();
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(t);
  if (m) {
    const n = Number(m[2]);
    if (!(n > 0)) throw new FloeError('SCHEMA_INVALID', `transform '${s}': the width must be a positive integer`);
    return m[1] === 'bucket' ? { kind: 'bucket', n } : { kind: 'truncate', width: n };
  }
  if (['identity', 'year', 'month', 'day', 'hour', 'void'].includes(t)) return { kind: t } as Transform;
  throw new FloeError('SCHEMA_INVALID', `unknown partition transform '${s}': expected identity, bucket[N], truncate[W], year, month, day, hour or void`);
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

const TIME_TYPES = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

export function canTransform(t: Transform, source: IcebergType): boolean {
  const ty = source.type;
  if (ty === 'struct' || ty === 'list' || ty === 'map') return false;
  switch (t.kind) {
    case 'identity':
    case 'void':
      return true;
    case 'bucket':
      return ['int', 'long', 'decimal', 'date', 'time', 'string', 'uuid', 'fixed', 'binary'].includes(ty) || TIME_TYPES.has(ty);
    case 'truncate':
      return ['int', 'long', 'decimal', 'string', 'binary'].includes(ty);
    case 'year':
    case 'month':
    case 'day':
      return ty === 'date' || TIME_TYPES.has(ty);
    case 'hour':
      return TIME_TYPES.has(ty);
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
  }
}

const US_PER_DAY = 86_400_000_000n;
const US_PER_HOUR = 3_600_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** Days since epoch of a date value or a timestamp (µs; ns types are divided first). */
function toDays(v: Value, source: PrimitiveType): number {
  if (source.type === 'date') return v as number;
  const us = source.type.endsWith('_ns') ? floorDiv(v as bigint, 1000n) : (v as bigint);
  return Number(floorDiv(us, US_PER_DAY));
}

function civil(days: number): { y: number; m: number } {
  const d = new Date(days * 86_400_000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() };
}

function hashBytes(v: Value, source: PrimitiveType): Uint8Array {
  const b = Buffer.alloc(8);
  switch (source.type) {
    case 'int':
    case 'date':
      b.writeBigInt64LE(BigInt(v as number));
      return b;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      b.writeBigInt64LE(BigInt(v as bigint));
      return b;
    case 'timestamp_ns':
    case 'timestamptz_ns':
      b.writeBigInt64LE(floorDiv(v as bigint, 1000n));
      return b;
    case 'decimal':
      return bigintToMinimalBytes(v as bigint);
    case 'string':
      return Buffer.from(v as string, 'utf8');
    case 'uuid':
      return typeof v === 'string' ? uuidToBytes(v) : (v as Uint8Array);
    default:
      return v as Uint8Array;
  }
}

/** Murmur3 hash of a value as the bucket transform defines it. */
export function bucketHash(v: Value, source: PrimitiveType): number {
  return murmur3(hashBytes(v, source));
}

function truncateString(s: string, w: number): string {
  // Truncate by code points, not UTF-16 units.
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    if (++count === w) return s.slice(0, i + 1);
  }
  return s;
}

/** Compiles a transform for a source type into a function of one value (null stays null). */
export function compileTransform(t: Transform, source: PrimitiveType): (v: Value) => Value {
  if (!canTransform(t, source)) throw new FloeError('SCHEMA_INVALID', `transform ${transformToString(t)} cannot apply to type ${source.type}`);
  switch (t.kind) {
    case 'identity':
      return (v) => v ?? null;
    case 'void':
      return () => null;
    case 'bucket':
      return (v) => (v === null || v === undefined ? null : (bucketHash(v, source) & 0x7fffffff) % t.n);
    case 'truncate': {
      const W = BigInt(t.width);
      // int and long wrap on overflow as Java's int/long arithmetic does (the reference engines).
      if (source.type === 'int') return (v) => (v === null || v === undefined ? null : ((v as number) - ((((v as number) % t.width) + t.width) % t.width)) | 0);
      if (source.type === 'long') return (v) => (v === null || v === undefined ? null : BigInt.asIntN(64, (v as bigint) - ((((v as bigint) % W) + W) % W)));
      if (source.type === 'decimal') return (v) => (v === null || v === undefined ? null : (v as bigint) - ((((v as bigint) % W) + W) % W));
      if (source.type === 'string') return (v) => (v === null || v === undefined ? null : truncateString(v as string, t.width));
      return (v) => (v === null || v === undefined ? null : (v as Uint8Array).slice(0, t.width));
    }
    case 'year':
      return (v) => (v === null || v === undefined ? null : civil(toDays(v, source)).y - 1970);
    case 'month':
      return (v) => {
        if (v === null || v === undefined) return null;
        const { y, m } = civil(toDays(v, source));
        return (y - 1970) * 12 + m;
      };
    case 'day':
      return (v) => (v === null || v === undefined ? null : toDays(v, source));
    case 'hour':
      return (v) => {
        if (v === null || v === undefined) return null;
        const us = source.type.endsWith('_ns') ? floorDiv(v as bigint, 1000n) : (v as bigint);
        return Number(floorDiv(us, US_PER_HOUR));
      };
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The human-readable form of a partition value used in paths (`ts_day=2024-01-02`). */
export function humanValue(t: Transform, resultTypeOf: PrimitiveType, v: Value): string {
  if (v === null || v === undefined) return 'null';
  switch (t.kind) {
    case 'year':
      return String(1970 + (v as number));
    case 'month': {
      const m = v as number;
      const y = 1970 + Math.floor(m / 12);
      return `${y}-${pad(((m % 12) + 12) % 12 + 1)}`;
    }
    case 'day':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'hour': {
      const d = new Date((v as number) * 3_600_000);
      return `${d.toISOString().slice(0, 10)}-${pad(d.getUTCHours())}`;
    }
    default:
      break;
  }
  switch (resultTypeOf.type) {
    case 'date':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'timestamp':
    case 'timestamptz': {
      const us = v as bigint;
      const iso = new Date(Number(floorDiv(us, 1000n))).toISOString().slice(0, 19);
      return `${iso}.${pad(Number(((us % 1_000_000n) + 1_000_000n) % 1_000_000n), 6)}${resultTypeOf.type === 'timestamptz' ? '+00:00' : ''}`;
    }
    case 'binary':
    case 'fixed':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'decimal': {
      const s = resultTypeOf.scale;
      const u = v as bigint;
      const neg = u < 0n;
      const digits = (neg ? -u : u).toString().padStart(s + 1, '0');
      return (neg ? '-' : '') + (s > 0 ? `${digits.slice(0, -s)}.${digits.slice(-s)}` : digits);
    }
    default:
      return String(v);
  }
}
