/**
 * Row validation against an Iceberg schema, compiled once per schema. A row is checked whole
 * before any column builder sees it, so a bad value never leaves columns of unequal length; the
 * error names the field path, the value and the expected type (it goes to the dead-letter table).
 */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Value } from '../spec/types.js';

type Check = (v: Value, path: string) => void;

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function fail(path: string, t: IcebergType, v: unknown, why = ''): never {
  const shown = typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : JSON.stringify(v);
  throw new FloeError('CONVERT_FAILED', `field '${path}': ${shown} is not a valid ${describe(t)}${why ? ` (${why})` : ''}`);
}

function describe(t: IcebergType): string {
  if (t.type === 'decimal') return `decimal(${t.precision},${t.scale})`;
  if (t.type === 'fixed') return `fixed[${t.length}]`;
  return t.type;
}

function checkFor(t: IcebergType): Check {
  switch (t.type) {
    case 'boolean':
      return (v, p) => void (typeof v === 'boolean' || fail(p, t, v));
    case 'int':
    case 'date':
      return (v, p) => void ((typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) || fail(p, t, v));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return (v, p) => void ((typeof v === 'bigint' ? v >= I64_MIN && v <= I64_MAX : typeof v === 'number' && Number.isSafeInteger(v)) || fail(p, t, v));
    case 'float':
    case 'double':
      return (v, p) => void (typeof v === 'number' || fail(p, t, v));
    case 'decimal': {
      const limit = 10n ** BigInt(t.precision);
      return (v, p) => {
        if (typeof v !== 'bigint') fail(p, t, v);
        if (v >= limit || v <= -limit) fail(p, t, v, `unscaled value has more than ${t.precision} digits`);
      };
    }
    case 'string':
      return (v, p) => void (typeof v === 'string' || fail(p, t, v));
    case 'uuid':
      return (v, p) => void ((typeof v === 'string' && UUID_RE.test(v)) || (v instanceof Uint8Array && v.length === 16) || fail(p, t, v));
    case 'fixed':
      return (v, p) => void ((v instanceof Uint8Array && v.length === t.length) || fail(p, t, v));
    case 'binary':
      return (v, p) => void (v instanceof Uint8Array || fail(p, t, v));
    case 'struct':
      return structCheck(t.fields);
    case 'list': {
      const el = checkFor(t.element);
      return (v, p) => {
        if (!Array.isArray(v)) fail(p, t, v);
        for (const e of v as Value[]) {
          if (e === null || e === undefined) {
            if (t.elementRequired) fail(`${p}[]`, t.element, null, 'elements are required');
          } else el(e, `${p}[]`);
        }
      };
    }
    case 'map': {
      const key = checkFor(t.key);
      const val = checkFor(t.value);
      return (v, p) => {
        if (!Array.isArray(v)) fail(p, t, v);
        for (const pair of v as Value[]) {
          if (!Array.isArray(pair) || pair.length !== 2) fail(p, t, v, 'a map is a list of [key, value] pairs');
          const [k, x] = pair as [Value, Value];
          if (k === null || k === undefined) fail(`${p}{}`, t.key, null, 'map keys are never null');
          key(k, `${p}{}`);
          if (x === null || x === undefined) {
            if (t.valueRequired) fail(`${p}{}`, t.value, null, 'values are required');
          } else val(x, `${p}{}`);
        }
      };
    }
    default:
      return (v, p) => fail(p, t, v, 'type not supported');
  }
}

function structCheck(fields: readonly NestedField[]): Check {
  const checks = fields.map((f) => ({ f, check: checkFor(f.type) }));
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(path || '<row>', { type: 'struct', fields }, v);
    const obj = v as { [k: string]: Value };
    for (const { f, check } of checks) {
      const x = obj[f.name];
      const p = path ? `${path}.${f.name}` : f.name;
      if (x === null || x === undefined) {
        if (f.required) throw new FloeError('CONVERT_FAILED', `field '${p}' is required but missing or null`);
      } else check(x, p);
    }
  };
}

/** Compiles a row validator for a schema's fields. */
export function rowValidator(fields: readonly NestedField[]): (row: { [k: string]: Value }) => void {
  const check = structCheck(fields);
  return (row) => check(row, '');
}
