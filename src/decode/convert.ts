/**
 * Converters from decoded values to rows of a table's schema: one function per field, chosen
 * once per (writer schema, table schema) pair, never per record (Kafka Connect's
 * RecordConverter, compiled). When the writer is an Avro schema its values are known to have
 * the writer's types, so identical types pass through unchecked and promotions (int -> long,
 * decimal scale) are exact. Anything that does not fit throws CONVERT_FAILED naming the field
 * path, and the pipeline sends the record to the dead-letter table.
 *
 * Paths are built only on failure (a fault carries its path up through the structs, lists and
 * maps it passes), and each struct's row is made by a generated function with a fixed shape.
 */
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Value } from '../spec/types.js';
import { ConvertFault, decimalFrom, fault, genericConv, type Conv } from './convert-values.js';

export type Row = { [name: string]: Value };

export interface WriterSchema {
  readonly fields: readonly NestedField[];
  /** True when values are decoded by this schema (Avro): they carry its types exactly. */
  readonly trusted: boolean;
}

/** Marks a converter that returns its input unchanged, so generated code can skip the call. */
const IDENTITY: Conv = (v) => v as Value;

function samePrimitive(a: IcebergType, b: IcebergType): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'decimal' && b.type === 'decimal') return a.precision === b.precision && a.scale === b.scale;
  if (a.type === 'fixed' && b.type === 'fixed') return a.length === b.length;
  return a.type !== 'struct' && a.type !== 'list' && a.type !== 'map';
}

const POW10 = Array.from({ length: 39 }, (_, i) => 10n ** BigInt(i));

function decimalConv(t: IcebergType & { type: 'decimal' }, writer: IcebergType | undefined): Conv {
  const limit = POW10[t.precision] as bigint;
  const check = (u: bigint, v: unknown): bigint => (u < limit && u > -limit ? u : fault(t, v, `more than ${t.precision} digits`));
  if (writer?.type === 'decimal') {
    const d = t.scale - writer.scale;
    if (d === 0) return (v) => check(v as bigint, v);
    if (d > 0) {
      const f = POW10[d] as bigint;
      return (v) => check((v as bigint) * f, v);
    }
    const f = POW10[-d] as bigint;
    return (v) => ((v as bigint) % f === 0n ? check((v as bigint) / f, v) : fault(t, v, `the value has scale ${writer.scale}; scale ${t.scale} would lose digits`));
  }
  return (v) => check(decimalFrom(v, t), v);
}

/** A converter from values typed by a trusted writer type, or undefined when none is exact. */
function trustedConv(t: IcebergType, w: IcebergType): Conv | undefined {
  if (t.type === 'decimal') return w.type === 'decimal' ? decimalConv(t, w) : undefined;
  if (samePrimitive(t, w)) return IDENTITY;
  switch (`${w.type}>${t.type}`) {
    case 'int>long':
      return (v) => BigInt(v as number);
    case 'int>float':
    case 'int>double':
    case 'float>double':
    case 'timestamp>timestamptz':
    case 'timestamptz>timestamp':
      return IDENTITY;
    case 'long>double':
    case 'long>float':
      return (v) => Number(v as bigint);
    case 'date>timestamp':
    case 'date>timestamptz':
      return (v) => BigInt(v as number) * 86_400_000_000n;
    default:
      return undefined;
  }
}

function withNull(required: boolean, t: IcebergType, c: Conv): Conv {
  return required ? (v) => (v === null || v === undefined ? fault(t, v, 'required, but the record has no value') : c(v)) : (v) => (v === null || v === undefined ? null : c(v));
}

function listConv(t: IcebergType & { type: 'list' }, w: IcebergType | undefined, trusted: boolean): Conv {
  const el = withNull(t.elementRequired, t.element, convFor(t.element, w?.type === 'list' ? w.element : undefined, trusted));
  return (v) => {
    if (!Array.isArray(v)) return fault(t, v, 'expected a list');
    const out = new Array<Value>(v.length);
    for (let i = 0; i < v.length; i++) {
      try {
        out[i] = el(v[i]);
      } catch (err) {
        throw ConvertFault.at(err, `[${i}]`);
      }
    }
    return out;
  };
}

function mapConv(t: IcebergType & { type: 'map' }, w: IcebergType | undefined, trusted: boolean): Conv {
  const wm = w?.type === 'map' ? w : undefined;
  const k = withNull(true, t.key, convFor(t.key, wm?.key, trusted));
  const x = withNull(t.valueRequired, t.value, convFor(t.value, wm?.value, trusted));
  return (v) => {
    const entries: Array<[unknown, unknown]> = Array.isArray(v) ? (v as Array<[unknown, unknown]>) : v instanceof Map ? [...v] : typeof v === 'object' && v !== null ? Object.entries(v) : fault(t, v, 'expected a map');
    const out = new Array<[Value, Value]>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [kk, vv] = entries[i] as [unknown, unknown];
      try {
        out[i] = [k(kk), x(vv)];
      } catch (err) {
        throw ConvertFault.at(err, `{${String(kk)}}`);
      }
    }
    return out;
  };
}

function convFor(t: IcebergType, w: IcebergType | undefined, trusted: boolean): Conv {
  if (t.type === 'struct') return structConv(t.fields, w?.type === 'struct' ? w.fields : undefined, trusted);
  if (t.type === 'list') return listConv(t, w, trusted);
  if (t.type === 'map') return mapConv(t, w, trusted);
  if (t.type === 'decimal') return decimalConv(t, trusted && w?.type === 'decimal' ? w : undefined);
  return (trusted && w ? trustedConv(t, w) : undefined) ?? genericConv(t);
}

function isRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * A struct's converter as generated code: each field read, converted and kept in a local, then
 * one object literal, so every row has the same hidden class and no path string is built.
 * Names are JSON string literals; `__proto__` is computed, as a literal key it sets the prototype.
 */
function structConv(fields: readonly NestedField[], writer: readonly NestedField[] | undefined, trusted: boolean): Conv {
  const byName = new Map(writer?.map((f) => [f.name, f]));
  const convs: Conv[] = [];
  const lines: string[] = [];
  fields.forEach((f, i) => {
    const wf = byName.get(f.name);
    const key = JSON.stringify(f.name);
    const c = convFor(f.type, wf?.type, trusted && !!wf);
    if (c === IDENTITY && !f.required) {
      lines.push(`x${i} = v[${key}]; if (x${i} === undefined) x${i} = null;`);
    } else {
      convs[i] = withNull(f.required, f.type, c);
      lines.push(`x${i} = c[${i}](v[${key}]);`);
    }
    lines.push(`k = ${i + 1};`);
  });
  const t: IcebergType = { type: 'struct', fields };
  const locals = fields.map((_, i) => `x${i}`).join(', ');
  const body = `
    return function (v) {
      if (!isRecord(v)) return fault(t, v, 'expected a record (an object)');
      var k = 0${locals ? `, ${locals}` : ''};
      try {
        ${lines.join('\n        ')}
      } catch (err) {
        throw at(err, names[k]);
      }
      return { ${fields.map((f, i) => `${f.name === '__proto__' ? '["__proto__"]' : JSON.stringify(f.name)}: x${i}`).join(', ')} };
    };`;
  const names = fields.map((f) => f.name);
  const make = new Function('c', 'isRecord', 'fault', 't', 'at', 'names', body) as (...a: unknown[]) => Conv;
  return make(convs, isRecord, fault, t, (err: unknown, name: string) => ConvertFault.at(err, name), names);
}

/**
 * Compiles the converter from decoded values to rows of the table's fields, matched by name.
 * With `writer`, conversions are chosen from the writer's types; without, from the values.
 * A required table field the record lacks fails with CONVERT_FAILED.
 */
export function compileConverter(fields: readonly NestedField[], writer?: WriterSchema): (decoded: unknown) => Row {
  const conv = structConv(fields, writer?.fields, writer?.trusted ?? false);
  return (decoded) => {
    try {
      return conv(decoded) as Row;
    } catch (err) {
      if (err instanceof ConvertFault) throw new FloeError('CONVERT_FAILED', err.describe(), { details: { field: err.pathString() } });
      throw err;
    }
  };
}
