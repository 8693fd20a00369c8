/**
 * JSON single-value serialization (spec Appendix D): field defaults (`initial-default`,
 * `write-default`) and partition values in REST messages. Longs come and go as bigint, for
 * parseJson/stringifyJson to keep them exact.
 */
import { FloeError } from '../errors.js';
import { formatDate, formatTime, formatTimestamp, parseDate, parseTime, parseTimestamp } from './time.js';
import type { IcebergType, Value } from './types.js';
import { bytesToUuid, formatDecimal, uuidToBytes } from './values.js';

function bad(type: IcebergType, j: unknown, why = ''): FloeError {
  const t = type.type === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.type === 'fixed' ? `fixed[${type.length}]` : type.type;
  return new FloeError('VALUE_INVALID', `cannot read ${JSON.stringify(j, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))} as a ${t} value${why ? `: ${why}` : ''}`);
}

const isInt = (j: unknown): j is number | bigint => (typeof j === 'number' && Number.isInteger(j)) || typeof j === 'bigint';

/** Parses a decimal literal (`14.20`, `-0.5`, `2E+20`) to its unscaled value at `scale`; the literal's own scale must match. */
export function parseDecimal(s: string, scale: number): bigint {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) throw new FloeError('VALUE_INVALID', `not a decimal: '${s}'`);
  const frac = m[3] ?? '';
  const litScale = frac.length - Number(m[4] ?? 0);
  if (litScale !== scale) throw new FloeError('VALUE_INVALID', `decimal '${s}' has scale ${litScale}, the type's scale is ${scale}`);
  const unscaled = BigInt(`${m[2]}${frac}`);
  return m[1] === '-' ? -unscaled : unscaled;
}

function decimalToJson(unscaled: bigint, scale: number): string {
  if (scale >= 0) return formatDecimal(unscaled, scale);
  return `${unscaled}E+${-scale}`; // a negative scale is written in scientific notation
}

function floatToJson(x: number): number | string {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

function floatFromJson(type: IcebergType, j: unknown): number {
  // parseJson hands integral literals beyond 2^53 over as bigint.
  if (typeof j === 'number' || typeof j === 'bigint') return type.type === 'float' ? Math.fround(Number(j)) : Number(j);
  if (j === 'NaN') return Number.NaN;
  if (j === 'Infinity') return Number.POSITIVE_INFINITY;
  if (j === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw bad(type, j);
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function valueToJson(type: IcebergType, v: Value): unknown {
  if (v === null || v === undefined) return null;
  switch (type.type) {
    case 'boolean':
    case 'string':
      return v;
    case 'int':
      return v;
    case 'long':
      return BigInt(v as bigint);
    case 'float':
    case 'double':
      return floatToJson(v as number);
    case 'decimal':
      return decimalToJson(v as bigint, type.scale);
    case 'date':
      return formatDate(v as number);
    case 'time':
      return formatTime(v as bigint);
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return formatTimestamp(v as bigint, type.type);
    case 'uuid':
      return typeof v === 'string' ? v.toLowerCase() : bytesToUuid(v as Uint8Array);
    case 'fixed':
    case 'binary':
      return Buffer.from(v as Uint8Array).toString('hex');
    case 'unknown':
      return null;
    case 'struct': {
      const o: Record<string, unknown> = {};
      const row = v as { [k: string]: Value };
      for (const f of type.fields) {
        const x = row[f.name];
        if (x !== undefined && x !== null) o[String(f.id)] = valueToJson(f.type, x);
      }
      return o;
    }
    case 'list':
      return (v as Value[]).map((e) => valueToJson(type.element, e));
    case 'map': {
      const entries = v as Array<[Value, Value]>;
      return { keys: entries.map(([k]) => valueToJson(type.key, k)), values: entries.map(([, x]) => valueToJson(type.value, x)) };
    }
  }
}

export function valueFromJson(type: IcebergType, j: unknown): Value {
  if (j === null || j === undefined) return null;
  switch (type.type) {
    case 'boolean':
      if (typeof j !== 'boolean') throw bad(type, j);
      return j;
    case 'int':
      if (!isInt(j) || Number(j) < -2147483648 || Number(j) > 2147483647) throw bad(type, j, 'expected a 32-bit integer');
      return Number(j);
    case 'long':
      if (!isInt(j) || BigInt.asIntN(64, BigInt(j)) !== BigInt(j)) throw bad(type, j, 'expected a 64-bit integer');
      return BigInt(j);
    case 'float':
    case 'double':
      return floatFromJson(type, j);
    case 'decimal':
      if (typeof j !== 'string') throw bad(type, j, 'decimals are JSON strings');
      return parseDecimal(j, type.scale);
    case 'date':
      if (typeof j !== 'string') throw bad(type, j);
      return parseDate(j);
    case 'time':
      if (typeof j !== 'string') throw bad(type, j);
      return parseTime(j);
    case 'timestamp':
    case 'timestamp_ns':
    case 'timestamptz':
    case 'timestamptz_ns': {
      if (typeof j !== 'string') throw bad(type, j);
      const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(j);
      const tz = type.type === 'timestamptz' || type.type === 'timestamptz_ns';
      if (hasZone !== tz) throw bad(type, j, tz ? 'a zone offset is required' : 'must not have a zone offset');
      return parseTimestamp(j, type.type);
    }
    case 'string':
      if (typeof j !== 'string') throw bad(type, j);
      return j;
    case 'uuid':
      if (typeof j !== 'string') throw bad(type, j);
      return bytesToUuid(uuidToBytes(j));
    case 'fixed':
    case 'binary': {
      if (typeof j !== 'string' || !HEX.test(j)) throw bad(type, j, 'expected a hexadecimal string');
      const b = Uint8Array.from(Buffer.from(j, 'hex'));
      if (type.type === 'fixed' && b.length !== type.length) throw bad(type, j, `expected ${type.length} bytes`);
      return b;
    }
    case 'unknown':
      throw bad(type, j, 'unknown-typed values are always null');
    case 'struct': {
      if (typeof j !== 'object' || Array.isArray(j)) throw bad(type, j, 'expected an object keyed by field id');
      const o = j as Record<string, unknown>;
      const row: { [k: string]: Value } = {};
      for (const f of type.fields) row[f.name] = valueFromJson(f.type, o[String(f.id)]);
      return row;
    }
    case 'list':
      if (!Array.isArray(j)) throw bad(type, j, 'expected an array');
      return j.map((e) => valueFromJson(type.element, e));
    case 'map': {
      const o = j as { keys?: unknown; values?: unknown };
      if (typeof o !== 'object' || !Array.isArray(o.keys) || !Array.isArray(o.values) || o.keys.length !== o.values.length) {
        throw bad(type, j, 'expected {"keys": [...], "values": [...]} of equal length');
      }
      const values = o.values;
      return o.keys.map((k, i) => [valueFromJson(type.key, k), valueFromJson(type.value, values[i])] as [Value, Value]);
    }
  }
}
