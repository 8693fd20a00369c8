/**
 * Converters for values whose type is known only from the value itself: parsed JSON, or a
 * writer type that differs from the table's. Lenient where Kafka Connect's RecordConverter is
 * (numbers into strings, ISO text or epoch millis into timestamps, decimal text), exact
 * everywhere: nothing is rounded or truncated silently.
 */
import type { IcebergType, Value } from '../spec/types.js';

export type Conv = (v: unknown) => Value;

export function typeName(t: IcebergType): string {
  if (t.type === 'decimal') return `decimal(${t.precision},${t.scale})`;
  if (t.type === 'fixed') return `fixed[${t.length}]`;
  if (t.type === 'list') return `list<${typeName(t.element)}>`;
  if (t.type === 'map') return `map<${typeName(t.key)},${typeName(t.value)}>`;
  return t.type;
}

/**
 * A value that does not fit its column. Thrown without a path; each struct, list and map it
 * passes on the way up adds its segment, so paths cost nothing unless something fails.
 */
export class ConvertFault extends Error {
  readonly path: string[] = [];
  constructor(
    readonly target: IcebergType,
    readonly value: unknown,
    readonly why: string | undefined,
  ) {
    super('value does not fit its column');
  }

  static at(err: unknown, segment: string): unknown {
    if (err instanceof ConvertFault) err.path.unshift(segment);
    return err;
  }

  pathString(): string {
    return this.path.reduce((s, p) => (p.startsWith('[') || p.startsWith('{') || !s ? s + p : `${s}.${p}`), '') || '<value>';
  }

  describe(): string {
    const v = this.value;
    const shown = v === undefined ? 'nothing' : typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `<${v.length} bytes>` : (JSON.stringify(v) ?? String(v));
    return `field '${this.pathString()}': cannot convert ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown} to ${typeName(this.target)}${this.why ? `: ${this.why}` : ''}`;
  }
}

export function fault(t: IcebergType, v: unknown, why?: string): never {
  throw new ConvertFault(t, v, why);
}

/** Decimal text or number -> unscaled bigint at the type's scale; a bigint is taken as already unscaled. */
export function decimalFrom(v: unknown, t: IcebergType & { type: 'decimal' }): bigint {
  if (typeof v === 'bigint') return v;
  const s = typeof v === 'number' ? (Number.isFinite(v) ? v.toString() : fault(t, v)) : typeof v === 'string' ? v.trim() : fault(t, v);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) return fault(t, v, 'expected a decimal number');
  let int = m[2] ?? '';
  let frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  if (exp > 0) {
    int += frac.slice(0, exp).padEnd(exp, '0');
    frac = frac.slice(exp);
  } else if (exp < 0) {
    frac = int.padStart(-exp, '0').slice(exp) + frac;
    int = int.length > -exp ? int.slice(0, exp) : '';
  }
  if (frac.replace(/0+$/, '').length > t.scale) fault(t, v, `more than ${t.scale} digits after the point`);
  const u = BigInt((int || '0') + frac.slice(0, t.scale).padEnd(t.scale, '0'));
  return m[1] === '-' ? -u : u;
}

const ISO_TS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO-8601 text or epoch millis -> µs since the epoch (UTC); an offset is applied, none means UTC. */
export function timestampFrom(v: unknown, t: IcebergType): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v) * 1000n;
  if (typeof v !== 'string') return fault(t, v, 'expected an ISO-8601 timestamp or epoch milliseconds');
  const m = ISO_TS.exec(v.trim());
  if (!m) return fault(t, v, 'expected an ISO-8601 timestamp or epoch milliseconds');
  const [, y, mo, d, h, mi, s, f, z] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 60) fault(t, v, 'a date or time part is out of range');
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (z && z !== 'Z' && z !== 'z') {
    const sign = z.startsWith('-') ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return BigInt(ms) * 1000n + BigInt((f ?? '').padEnd(6, '0').slice(0, 6));
}

const UUID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

export function genericConv(t: IcebergType): Conv {
  switch (t.type) {
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : fault(t, v));
    case 'int':
      return (v) => {
        const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
        return typeof n === 'number' && Number.isInteger(n) && n >= INT_MIN && n <= INT_MAX ? n : fault(t, v, 'expected an integer between -2^31 and 2^31-1');
      };
    case 'long':
      return (v) => {
        if (typeof v === 'bigint') return v >= -(2n ** 63n) && v < 2n ** 63n ? v : fault(t, v, 'out of the 64-bit range');
        if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : fault(t, v, Number.isInteger(v) ? 'beyond 2^53 a JSON number has lost digits; send it as a string' : 'expected an integer');
        if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return BigInt(v);
        return fault(t, v);
      };
    case 'float':
    case 'double':
      return (v) => {
        if (typeof v === 'number') return v;
        if (typeof v === 'bigint') return Number(v);
        if (v === 'NaN') return NaN;
        if (v === 'Infinity') return Infinity;
        if (v === '-Infinity') return -Infinity;
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
        return fault(t, v);
      };
    case 'date':
      return (v) => {
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
        if (!m) return fault(t, v, 'expected YYYY-MM-DD or days since 1970-01-01');
        const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
        if (new Date(ms).getUTCDate() !== Number(m[3])) fault(t, v, 'no such day');
        return ms / 86_400_000;
      };
    case 'time':
      return (v) => {
        if (typeof v === 'bigint') return v;
        const m = typeof v === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(v) : null;
        if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return fault(t, v, 'expected HH:MM[:SS[.ffffff]]');
        return BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0').slice(0, 6));
      };
    case 'timestamp':
    case 'timestamptz':
      return (v) => timestampFrom(v, t);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // Decoded Avro timestamps are µs; text carries up to 9 digits, kept exactly.
      return (v) => {
        if (typeof v === 'bigint') return v * 1000n;
        const us = timestampFrom(v, t);
        const ns = typeof v === 'string' ? /[.,]\d{6}(\d{1,3})/.exec(v)?.[1] : undefined;
        return us * 1000n + BigInt((ns ?? '').padEnd(3, '0'));
      };
    case 'string':
      return (v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
        if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
        return fault(t, v);
      };
    case 'uuid':
      return (v) => {
        if (v instanceof Uint8Array && v.length === 16) return Buffer.from(v).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
        const m = typeof v === 'string' ? UUID.exec(v) : null;
        return m ? `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase() : fault(t, v, 'expected a UUID');
      };
    case 'binary':
    case 'fixed':
      return (v) => {
        const b = v instanceof Uint8Array ? v : typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? Buffer.from(v, 'base64') : fault(t, v, 'expected bytes or base64 text');
        if (t.type === 'fixed' && b.length !== t.length) fault(t, v, `expected exactly ${t.length} bytes, got ${b.length}`);
        return b;
      };
    default:
      return (v) => fault(t, v, 'the table column type is not supported by the converter');
  }
}
