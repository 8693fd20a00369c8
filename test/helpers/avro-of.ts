/** Iceberg schema -> an Avro writer schema, and Floe values -> Avro inputs, for producing test records. */
import type { IcebergType, NestedField, Schema, Value } from '../../src/spec/types.js';
import { decimalRequiredBytes } from '../../src/spec/manifest.js';

let n = 0;
function avroOf(t: IcebergType): unknown {
  switch (t.type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return t.type;
    case 'binary':
      return 'bytes';
    case 'decimal':
      return t.precision <= 9
        ? { type: 'bytes', logicalType: 'decimal', precision: t.precision, scale: t.scale }
        : { type: 'fixed', name: `dec${n++}`, size: decimalRequiredBytes(t.precision), logicalType: 'decimal', precision: t.precision, scale: t.scale };
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'local-timestamp-micros' };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros' };
    case 'uuid':
      return { type: 'string', logicalType: 'uuid' };
    case 'fixed':
      return { type: 'fixed', name: `fixed${n++}`, size: t.length };
    case 'struct':
      return { type: 'record', name: `r${n++}`, fields: t.fields.map(fieldOf) };
    case 'list':
      return { type: 'array', items: t.elementRequired ? avroOf(t.element) : ['null', avroOf(t.element)] };
    case 'map':
      return { type: 'map', values: t.valueRequired ? avroOf(t.value) : ['null', avroOf(t.value)] };
    default:
      throw new Error(`no Avro for ${t.type}`);
  }
}

function fieldOf(f: NestedField): unknown {
  return f.required ? { name: f.name, type: avroOf(f.type) } : { name: f.name, type: ['null', avroOf(f.type)], default: null };
}

export function avroSchemaOf(s: Schema, name = 'Row'): { type: 'record'; name: string; fields: unknown[] } {
  return { type: 'record', name, fields: s.fields.map(fieldOf) };
}

/** Floe values -> what avsc (with Floe's logical types) encodes: maps as objects. */
export function avroValue(v: Value, t: IcebergType): unknown {
  if (v === null) return null;
  if (t.type === 'struct') return Object.fromEntries(t.fields.map((f) => [f.name, avroValue((v as { [k: string]: Value })[f.name] ?? null, f.type)]));
  if (t.type === 'list') return (v as Value[]).map((e) => avroValue(e, t.element));
  if (t.type === 'map') return Object.fromEntries((v as Array<[Value, Value]>).map(([k, x]) => [String(k), avroValue(x, t.value)]));
  if (t.type === 'fixed' || t.type === 'binary') return Buffer.from(v as Uint8Array);
  return v;
}
