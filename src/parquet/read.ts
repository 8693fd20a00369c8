/**
 * Reads a data file back into rows of Floe's values, exactly, for rewrites (compaction): Parquet
 * → Arrow through parquet-wasm, then Arrow's buffers read by the Iceberg type: 64-bit integers,
 * timestamps and times as bigint from the raw values (Arrow JS's `get` turns timestamps into
 * milliseconds), decimals from their 128-bit words, structs as objects, lists as arrays, maps as
 * [key, value] pairs. Columns are matched by field id (`PARQUET:field_id`), else by name. A column
 * promoted since the file was written (int to long, float to double, a wider decimal) reads as
 * the table's type.
 */
import { readParquet } from 'parquet-wasm/node';
import { tableFromIPC, type Data, type Field } from 'apache-arrow';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema, Value } from '../spec/types.js';

export type Row = { [k: string]: Value };

const utf8 = new TextDecoder();

function fieldIdOf(f: Field): number | undefined {
  const v = f.metadata.get('PARQUET:field_id');
  return v === undefined ? undefined : Number(v);
}

/** The child of a struct-like Arrow type for an Iceberg field: by field id, else by name. */
function childIndex(children: readonly Field[], f: NestedField): number {
  let k = children.findIndex((c) => fieldIdOf(c) === f.id);
  if (k < 0) k = children.findIndex((c) => c.name === f.name);
  return k;
}

function read(d: Data, i: number, t: IcebergType): Value {
  if (!d.getValid(i)) return null;
  const k = d.offset + i;
  switch (t.type) {
    case 'long': {
      // A column promoted from int (schema evolution) is still 32-bit in the files written before.
      const v = (d.values as BigInt64Array | Int32Array)[k] as bigint | number;
      return typeof v === 'bigint' ? v : BigInt(v);
    }
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'time':
      return (d.values as BigInt64Array)[k] as bigint;
    case 'int':
    case 'date':
    case 'float':
    case 'double':
      return (d.values as ArrayLike<number>)[k] as number;
    case 'boolean':
      return (((d.values as Uint8Array)[k >> 3] as number) & (1 << (k & 7))) !== 0;
    case 'decimal': {
      const w = d.values as Uint32Array;
      const x = BigInt(w[k * 4] as number) | (BigInt(w[k * 4 + 1] as number) << 32n) | (BigInt(w[k * 4 + 2] as number) << 64n) | (BigInt(w[k * 4 + 3] as number) << 96n);
      return ((w[k * 4 + 3] as number) & 0x80000000) !== 0 ? x - (1n << 128n) : x;
    }
    case 'string':
    case 'binary': {
      const o = d.valueOffsets as Int32Array;
      const bytes = (d.values as Uint8Array).subarray(o[k] as number, o[k + 1] as number);
      return t.type === 'string' ? utf8.decode(bytes) : Uint8Array.from(bytes);
    }
    case 'uuid':
    case 'fixed': {
      const w = t.type === 'fixed' ? t.length : 16;
      return Uint8Array.from((d.values as Uint8Array).subarray(k * w, (k + 1) * w));
    }
    case 'struct': {
      const children = (d.type as { children: Field[] }).children;
      const out: Row = {};
      for (const f of t.fields) {
        const c = childIndex(children, f);
        out[f.name] = c < 0 ? null : read(d.children[c] as Data, i, f.type);
      }
      return out;
    }
    case 'list': {
      const o = d.valueOffsets as Int32Array;
      const child = d.children[0] as Data;
      const out: Value[] = [];
      for (let j = o[k] as number; j < (o[k + 1] as number); j++) out.push(read(child, j, t.element));
      return out;
    }
    case 'map': {
      const o = d.valueOffsets as Int32Array;
      const entries = d.children[0] as Data;
      const out: Array<[Value, Value]> = [];
      for (let j = o[k] as number; j < (o[k + 1] as number); j++) out.push([read(entries.children[0] as Data, j, t.key), read(entries.children[1] as Data, j, t.value)]);
      return out;
    }
    default:
      throw new FloeError('SCHEMA_INVALID', `type ${t.type} cannot be read back`);
  }
}

/** The rows of a data file written with (a version of) `schema`; columns it lacks read as null. */
export function readDataFile(bytes: Uint8Array, schema: Pick<Schema, 'fields'>): Row[] {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const rows: Row[] = Array.from({ length: table.numRows }, () => ({}));
  for (const f of schema.fields) {
    const c = childIndex(table.schema.fields, f);
    const col = c < 0 ? null : table.getChildAt(c);
    let i = 0;
    if (!col) {
      for (const r of rows) r[f.name] = null;
      continue;
    }
    for (const d of col.data) for (let j = 0; j < d.length; j++, i++) (rows[i] as Row)[f.name] = read(d, j, f.type);
  }
  return rows;
}
