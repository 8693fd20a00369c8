/**
 * Calendar arithmetic on Iceberg's epoch-relative values (days, microseconds, nanoseconds),
 * exact before 1970 (floor division) and free of Date objects on the per-row paths.
 */
import { FloeError } from '../errors.js';
import type { PrimitiveType, Value } from './types.js';

export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_BIG = 86_400_000_000n;
const MAX_SAFE = 9007199254740992;

/** floor(us / 1 day) with number arithmetic when exact, bigint otherwise. */
export function microsToDays(us: bigint): number {
  const x = Number(us);
  // |x| < 2^53 means the conversion was exact (comparing as numbers: bigint comparisons are slow).
  if (x < MAX_SAFE && x > -MAX_SAFE) {
    let q = Math.floor(x / US_PER_DAY);
    if (q * US_PER_DAY > x) q--; // the float quotient may round up across a day boundary
    return q;
  }
  return Number(floorDivBig(us, US_PER_DAY_BIG));
}

/** Days since epoch of a date value, or of a timestamp (µs; the _ns types in ns). */
export function toDays(v: Value, source: PrimitiveType): number {
  return daysOf(source)(v);
}

/** The days-since-epoch function of a source type, chosen once per column. */
export function daysOf(source: PrimitiveType): (v: Value) => number {
  if (source.type === 'date') return (v) => v as number;
  if (source.type.endsWith('_ns')) return (v) => microsToDays(floorDivBig(v as bigint, 1000n));
  return (v) => microsToDays(v as bigint);
}

/**
 * Months since 1970-01 of a day number (proleptic Gregorian, H. Hinnant's civil_from_days),
 * integer arithmetic only.
 */
export function monthsFromDays(days: number): number {
  const { year, month } = civilFromDays(days);
  return (year - 1970) * 12 + month - 1;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');

export function formatYear(y: number): string {
  // ISO-8601 as java.time prints it: four digits, a sign beyond 9999 or before year 0.
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return (y < 0 ? '-' : '+') + pad(Math.abs(y), 4);
}

/** `2017-11-16` */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${formatYear(year)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function formatClock(secondsOfDay: number, fraction: bigint, digits: number): string {
  const h = Math.floor(secondsOfDay / 3600);
  const m = Math.floor((secondsOfDay % 3600) / 60);
  const s = secondsOfDay % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(fraction, digits)}`;
}

/** `22:31:08.123456` (microseconds since midnight). */
export function formatTime(micros: bigint): string {
  return formatClock(Number(micros / 1_000_000n), micros % 1_000_000n, 6);
}

/** ISO-8601 timestamp with 6 (µs types) or 9 (ns types) fraction digits; `+00:00` for the tz types. */
export function formatTimestamp(v: bigint, type: PrimitiveType['type']): string {
  const nanos = type === 'timestamp_ns' || type === 'timestamptz_ns';
  const unitsPerSecond = nanos ? 1_000_000_000n : 1_000_000n;
  const unitsPerDay = 86_400n * unitsPerSecond;
  const days = floorDivBig(v, unitsPerDay);
  const inDay = v - days * unitsPerDay;
  const clock = formatClock(Number(inDay / unitsPerSecond), inDay % unitsPerSecond, nanos ? 9 : 6);
  const tz = type === 'timestamptz' || type === 'timestamptz_ns' ? '+00:00' : '';
  return `${formatDate(Number(days))}T${clock}${tz}`;
}

const DATE_RE = /^([+-]?\d{4,})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const TS_RE = /^([+-]?\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:\d{2})?$/;

function bad(what: string, s: string): FloeError {
  return new FloeError('VALUE_INVALID', `not an ISO-8601 ${what}: '${s}'`);
}

export function parseDate(s: string): number {
  const m = DATE_RE.exec(s);
  if (!m) throw bad('date', s);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) throw bad('date', s);
  return daysFromCivil(Number(m[1]), month, day);
}

/** Units (µs or ns) since midnight. */
function parseClock(s: string, digits: number): bigint {
  const m = TIME_RE.exec(s);
  if (!m) throw bad('time', s);
  const secs = BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0));
  const frac = (m[4] ?? '').padEnd(9, '0').slice(0, digits);
  return secs * 10n ** BigInt(digits) + BigInt(frac || '0');
}

export function parseTime(s: string): bigint {
  return parseClock(s, 6);
}

/** Microseconds (or nanoseconds for the _ns types) since epoch; a zone offset is converted to UTC. */
export function parseTimestamp(s: string, type: PrimitiveType['type']): bigint {
  const m = TS_RE.exec(s);
  if (!m) throw bad('timestamp', s);
  const digits = type === 'timestamp_ns' || type === 'timestamptz_ns' ? 9 : 6;
  const unitsPerSecond = 10n ** BigInt(digits);
  let v = BigInt(parseDate(m[1] as string)) * 86_400n * unitsPerSecond + parseClock(m[2] as string, digits);
  const zone = m[3];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const minutes = BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    v -= sign * minutes * 60n * unitsPerSecond;
  }
  return v;
}
