/**
 * Converters from decoded values (Avro records with Floe's logical-type hooks, or parsed JSON)
 * to rows of a table schema, one function per field compiled once per (writer schema, table
 * schema) — never chosen per record. A value that cannot be converted throws CONVERT_FAILED
 * naming the field path, and the record goes to the dead-letter table.
 */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Value } from '../spec/types.js';

type Conv = (v: unknown, path: string) => Value;

function fail(path: string, t: IcebergType, v: unknown, why?: string): never {
  const shown = typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `<${v.length} bytes>` : JSON.stringify(v);
  throw new FloeError('CONVERT_FAILED', `field '${path}': cannot convert ${shown} to ${t.type === 'decimal' ? `decimal(${t.precision},${t.scale})` : t.type}${why ? `: ${why}` : ''}`);
}

function decimalFrom(v: unknown, scale: number, path: string, t: IcebergType): bigint {
  if (typeof v === 'bigint') return v;
  const s = typeof v === 'number' ? (Number.isFinite(v) ? v.toString() : fail(path, t, v)) : typeof v === 'string' ? v.trim() : fail(path, t, v);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) fail(path, t, v);
  let int = m[2] ?? '';
  let frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  if (exp > 0) {
    int += frac.slice(0, exp).padEnd(exp, '0');
    frac = frac.slice(exp);
  } else if (exp < 0) {
    frac = int.slice(exp).padStart(-exp, '0') + frac;
    int = int.slice(0, exp);
  }
  if (frac.replace(/0+$/, '').length > scale) fail(path, t, v, `more than ${scale} digits after the point`);
  const u = BigInt((int || '0') + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -u : u;
}

const ISO_TS = /^(\d{4,6})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

function timestampFrom(v: unknown, path: string, t: IcebergType): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v) * 1000n; // JSON epoch millis
  if (typeof v !== 'string') fail(path, t, v);
  const m = ISO_TS.exec(v);
  if (!m) fail(path, t, v, 'expected an ISO-8601 timestamp or epoch milliseconds');
  const [, y, mo, d, h, mi, s, f, z] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (z && z !== 'Z') {
    const sign = z.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(z.slice(1, 3)) * 60 + Number(z.slice(-2))) * 60_000;
  }
  return BigInt(ms) * 1000n + BigInt((f ?? '').padEnd(6, '0').slice(0, 6));
}

function convFor(t: IcebergType): Conv {
  switch (t.type) {
    case 'boolean':
      return (v, p) => (typeof v === 'boolean' ? v : fail(p, t, v));
    case 'int':
      return (v, p) => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2147483648 ? v : fail(p, t, v));
    case 'long':
      return (v, p) => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : fail(p, t, v));
    case 'float':
    case 'double':
      return (v, p) => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : fail(p, t, v));
    case 'decimal':
      return (v, p) => decimalFrom(v, t.scale, p, t);
    case 'date':
      return (v, p) => {
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00Z`) / 86_400_000;
        return fail(p, t, v);
      };
    case 'time':
      return (v, p) => {
        if (typeof v === 'bigint') return v;
        const m = typeof v === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(v) : null;
        if (!m) return fail(p, t, v);
        return (BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) * 1_000_000n) + BigInt((m[4] ?? '').padEnd(6, '0').slice(0, 6));
      };
    case 'timestamp':
    case 'timestamptz':
      return (v, p) => timestampFrom(v, p, t);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return (v, p) => (typeof v === 'bigint' ? v * 1000n : timestampFrom(v, p, t) * 1000n);
    case 'string':
      return (v, p) => (typeof v === 'string' ? v : fail(p, t, v));
    case 'uuid':
      return (v, p) => (typeof v === 'string' && /^[0-9a-fA-F-]{32,36}$/.test(v) ? v.toLowerCase() : fail(p, t, v));
    case 'binary':
    case 'fixed':
      return (v, p) => {
        const b = v instanceof Uint8Array ? v : typeof v === 'string' ? Buffer.from(v, 'base64') : fail(p, t, v);
        if (t.type === 'fixed' && b.length !== t.length) fail(p, t, v, `expected ${t.length} bytes`);
        return b;
      };
    case 'struct':
      return structConv(t.fields);
    case 'list': {
      const el = convFor(t.element);
      return (v, p) => (Array.isArray(v) ? v.map((e) => (e === null || e === undefined ? null : el(e, `${p}[]`))) : fail(p, t, v));
    }
    case 'map': {
      const k = convFor(t.key);
      const x = convFor(t.value);
      return (v, p) => {
        const entries: Array<[unknown, unknown]> = Array.isArray(v) ? (v as Array<[unknown, unknown]>) : v instanceof Map ? [...v] : typeof v === 'object' && v !== null ? Object.entries(v) : fail(p, t, v);
        return entries.map(([kk, vv]) => [k(kk, `${p}{}`), vv === null || vv === undefined ? null : x(vv, `${p}{}`)] as [Value, Value]);
      };
    }
    default:
      return (v, p) => fail(p, t, v, 'type not supported');
  }
}

function structConv(fields: readonly NestedField[]): Conv {
  const convs = fields.map((f) => ({ name: f.name, conv: convFor(f.type) }));
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path || '<value>', { type: 'struct', fields }, v);
    const src = v as Record<string, unknown>;
    const out: { [k: string]: Value } = {};
    for (const c of convs) {
      const x = src[c.name];
      out[c.name] = x === null || x === undefined ? null : c.conv(x, path ? `${path}.${c.name}` : c.name);
    }
    return out;
  };
}

/**
 * Compiles a converter from a decoded record to a row of the table's fields, matched by name.
 * Fields the record lacks are null (required ones are then refused by the writer).
 */
export function compileConverter(fields: readonly NestedField[]): (decoded: unknown) => { [k: string]: Value } {
  const conv = structConv(fields);
  return (decoded) => conv(decoded, '') as { [k: string]: Value };
}
