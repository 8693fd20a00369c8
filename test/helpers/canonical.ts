/**
 * One canonical JSON form per Iceberg type, so that what Floe wrote and what Trino, Spark and
 * PyIceberg read back can be compared value by value:
 *   int, float, double -> number (float rounded to float32); non-finite -> "NaN" | "Infinity" | "-Infinity"
 *   long -> decimal string; decimal(p,s) -> plain string with exactly s digits after the point
 *   date -> "YYYY-MM-DD"; time -> "HH:MM:SS.ffffff"
 *   timestamp -> "YYYY-MM-DDTHH:MM:SS.ffffff"; timestamptz -> the same in UTC with "Z"
 *   string -> string; uuid -> lower-case 8-4-4-4-12; binary, fixed -> lower-case hex
 *   struct -> object by field name; list -> array; map -> [key, value] pairs sorted by key
 */
import type { IcebergType, NestedField, Schema, Value } from '../../src/spec/types.js';

export type Canon = null | boolean | number | string | Canon[] | { [k: string]: Canon };

const nonFinite = (x: number): Canon => (Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity');

function num(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (raw === 'NaN') return NaN;
  if (raw === 'Infinity' || raw === '+Infinity') return Infinity;
  if (raw === '-Infinity') return -Infinity;
  return Number(raw);
}

function decimalString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (neg ? '-' : '') + digits;
}

function parseDecimal(raw: string, scale: number): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(raw.trim());
  if (!m) throw new Error(`not a decimal: ${raw}`);
  let int = m[2] ?? '';
  let frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  if (exp > 0) { int += frac.slice(0, exp).padEnd(exp, '0'); frac = frac.slice(exp); }
  if (exp < 0) { frac = int.slice(exp).padStart(-exp, '0') + frac; int = int.slice(0, exp) || '0'; }
  const unscaled = BigInt((int || '0') + frac.padEnd(scale, '0').slice(0, scale));
  return decimalString(m[1] === '-' ? -unscaled : unscaled, scale);
}

function fraction6(f: string | undefined): string {
  return (f ?? '').padEnd(6, '0').slice(0, 6);
}

/** Accepts "YYYY-MM-DD[T ]HH:MM:SS[.f][Z|+00:00| UTC]" with optional sign/extended years. */
function timestampString(raw: string, tz: boolean): string {
  const m = /^([+-]?\d{4,6})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/.exec(raw.trim());
  if (!m) throw new Error(`not a timestamp: ${raw}`);
  const [, , , , , , , f, zone] = m;
  let [, y, mo, d, h, mi, s] = m;
  if (zone && zone !== 'Z' && zone !== 'UTC' && !/^[+-]00:?00$/.test(zone)) {
    // Shift to UTC: only whole-minute offsets occur.
    const sign = zone.startsWith('-') ? -1 : 1;
    const off = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi) - off, Number(s ?? 0));
    const iso = new Date(t).toISOString();
    [y, mo, d, h, mi, s] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19)];
  }
  const year = String(Number(y)).padStart(4, '0');
  return `${year}-${mo}-${d}T${h}:${mi}:${s ?? '00'}.${fraction6(f)}${tz ? 'Z' : ''}`;
}

function hex(raw: unknown): string {
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('hex');
  return String(raw).toLowerCase();
}

function uuidString(raw: unknown): string {
  const h = (raw instanceof Uint8Array ? Buffer.from(raw).toString('hex') : String(raw)).replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function sortPairs(pairs: Canon[][]): Canon[] {
  return pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : JSON.stringify(a[0]) > JSON.stringify(b[0]) ? 1 : 0));
}

/** Canonical form of a value an engine returned (raw JSON per scripts/py/floe_engines.py). */
export function canonical(raw: unknown, type: IcebergType): Canon {
  if (raw === null || raw === undefined) return null;
  switch (type.type) {
    case 'boolean':
      return raw === true || raw === 'true';
    case 'int':
      return Number(raw);
    case 'long':
      return BigInt(raw as string | number).toString();
    case 'float': {
      const x = num(raw);
      return Number.isFinite(x) ? Math.fround(x) : nonFinite(x);
    }
    case 'double': {
      const x = num(raw);
      return Number.isFinite(x) ? x : nonFinite(x);
    }
    case 'decimal':
      return parseDecimal(String(raw), type.scale);
    case 'date':
      return String(raw).slice(0, String(raw).lastIndexOf('-') + 3);
    case 'time': {
      const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/.exec(String(raw));
      if (!m) throw new Error(`not a time: ${String(raw)}`);
      return `${m[1]}:${m[2]}:${m[3] ?? '00'}.${fraction6(m[4])}`;
    }
    case 'timestamp':
    case 'timestamp_ns':
      return timestampString(String(raw), false);
    case 'timestamptz':
    case 'timestamptz_ns':
      return timestampString(String(raw), true);
    case 'string':
      return String(raw);
    case 'uuid':
      return uuidString(raw);
    case 'binary':
    case 'fixed':
      return hex(raw);
    case 'struct': {
      const obj = raw as Record<string, unknown>;
      const out: Record<string, Canon> = {};
      for (const f of type.fields) out[f.name] = canonical(obj[f.name], f.type);
      return out;
    }
    case 'list':
      return (raw as unknown[]).map((e) => canonical(e, type.element));
    case 'map': {
      const pairs: Array<[unknown, unknown]> = Array.isArray(raw) ? (raw as Array<[unknown, unknown]>) : Object.entries(raw as object);
      return sortPairs(pairs.map(([k, v]) => [canonical(k, type.key), canonical(v, type.value)]));
    }
    default:
      return String(raw);
  }
}

const EPOCH_DAY = 86_400_000;

function microsToIso(us: bigint, tz: boolean): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // "YYYY-MM-DDTHH:MM:SS.mmmZ" or "+YYYYYY-..."
  const base = iso.slice(0, iso.indexOf('.'));
  return timestampString(`${base}.${frac.toString().padStart(6, '0')}`, tz);
}

/** Canonical form of a value in Floe's in-memory representation (src/spec/types.ts). */
export function canonicalOf(v: Value, type: IcebergType): Canon {
  if (v === null || v === undefined) return null;
  switch (type.type) {
    case 'decimal':
      return decimalString(v as bigint, type.scale);
    case 'date':
      return new Date((v as number) * EPOCH_DAY).toISOString().slice(0, 10);
    case 'time': {
      const us = v as bigint;
      const s = Number(us / 1_000_000n);
      const hh = String(Math.floor(s / 3600)).padStart(2, '0');
      const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
      const ss = String(s % 60).padStart(2, '0');
      return `${hh}:${mm}:${ss}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
    }
    case 'timestamp':
      return microsToIso(v as bigint, false);
    case 'timestamptz':
      return microsToIso(v as bigint, true);
    case 'timestamp_ns':
      return microsToIso((v as bigint) / 1000n, false);
    case 'timestamptz_ns':
      return microsToIso((v as bigint) / 1000n, true);
    case 'struct': {
      const obj = v as Record<string, Value>;
      const out: Record<string, Canon> = {};
      for (const f of type.fields) out[f.name] = canonicalOf(obj[f.name] ?? null, f.type);
      return out;
    }
    case 'list':
      return (v as Value[]).map((e) => canonicalOf(e, type.element));
    case 'map':
      return sortPairs((v as Array<[Value, Value]>).map(([k, x]) => [canonicalOf(k, type.key), canonicalOf(x, type.value)]));
    default:
      return canonical(typeof v === 'bigint' ? v.toString() : v, type);
  }
}

export function canonicalRow(row: Record<string, unknown>, fields: readonly NestedField[], fromFloe = false): Record<string, Canon> {
  const out: Record<string, Canon> = {};
  for (const f of fields) out[f.name] = fromFloe ? canonicalOf((row[f.name] ?? null) as Value, f.type) : canonical(row[f.name], f.type);
  return out;
}

/** Canonical rows sorted by their JSON, for order-insensitive comparison. */
export function canonicalRows(rows: ReadonlyArray<Record<string, unknown>>, schema: Pick<Schema, 'fields'>, fromFloe = false): Array<Record<string, Canon>> {
  return rows
    .map((r) => canonicalRow(r, schema.fields, fromFloe))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}
