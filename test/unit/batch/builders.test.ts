import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { FIELD_ID_KEY, RecordBatchBuilder } from '../../../src/batch/index.js';
import type { IcebergType, NestedField, Value } from '../../../src/spec/types.js';
import { bytesToUuid } from '../../../src/spec/values.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../../helpers/all-types.js';
import { canonicalOf } from '../../helpers/canonical.js';
import { genRow, prng } from '../../helpers/gen-rows.js';

const utf8 = new TextDecoder();

/**
 * Reads one value back from Arrow buffers by the columnar format's layout: an oracle written
 * independently of the builders (apache-arrow's own getters take timestamps as milliseconds).
 */
function read(data: arrow.Data, i: number, t: IcebergType): Value {
  if (!data.getValid(i)) return null;
  const at = data.offset + i;
  const d = data as arrow.Data & { values: ArrayLike<number | bigint> & { subarray(a: number, b: number): Uint8Array }; valueOffsets: Int32Array };
  switch (t.type) {
    case 'boolean':
      return ((d.values[at >> 3] as number) & (1 << (at & 7))) !== 0;
    case 'int':
    case 'date':
    case 'float':
    case 'double':
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return d.values[at] as number | bigint;
    case 'decimal': {
      let x = 0n;
      for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(d.values[at * 4 + k] as number);
      return x >= 1n << 127n ? x - (1n << 128n) : x;
    }
    case 'string':
      return utf8.decode(d.values.subarray(d.valueOffsets[at] as number, d.valueOffsets[at + 1] as number));
    case 'binary':
      return d.values.subarray(d.valueOffsets[at] as number, d.valueOffsets[at + 1] as number).slice();
    case 'uuid':
      return bytesToUuid(d.values.subarray(at * 16, at * 16 + 16));
    case 'fixed':
      return d.values.subarray(at * t.length, (at + 1) * t.length).slice();
    case 'struct': {
      const o: { [k: string]: Value } = {};
      t.fields.forEach((f, k) => (o[f.name] = read(data.children[k] as arrow.Data, at, f.type)));
      return o;
    }
    case 'list':
    case 'map': {
      const out: Value[] = [];
      const child = data.children[0] as arrow.Data;
      for (let j = d.valueOffsets[at] as number; j < (d.valueOffsets[at + 1] as number); j++) {
        if (t.type === 'list') out.push(read(child, j, t.element));
        else out.push([read(child.children[0] as arrow.Data, j, t.key), read(child.children[1] as arrow.Data, j, t.value)]);
      }
      return out;
    }
    default:
      throw new Error(`no reader for ${t.type}`);
  }
}

function roundTrip(fields: readonly NestedField[], rows: ReadonlyArray<{ [k: string]: Value }>) {
  const b = new RecordBatchBuilder({ fields });
  for (const r of rows) b.append(r);
  // Through IPC and back, so that apache-arrow checks the buffers we handed it.
  const table = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table([b.flush()]), 'stream'));
  const batch = table.batches[0] as arrow.RecordBatch;
  return rows.map((_, i) => {
    const o: { [k: string]: unknown } = {};
    fields.forEach((f, k) => (o[f.name] = canonicalOf(read(batch.data.children[k] as arrow.Data, i, f.type), f.type)));
    return o;
  });
}

const canonicalRow = (fields: readonly NestedField[], r: { [k: string]: Value }) => Object.fromEntries(fields.map((f) => [f.name, canonicalOf(r[f.name] ?? null, f.type)]));

test('every type at its edges reads back from the Arrow buffers as written', () => {
  assert.deepEqual(roundTrip(ALL_TYPES.fields, ALL_TYPES_ROWS), ALL_TYPES_ROWS.map((r) => canonicalRow(ALL_TYPES.fields, r)));
});

test('random rows with nulls at every level read back as written (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 60 }), (seed, n) => {
      const r = prng(seed);
      const rows = Array.from({ length: n }, () => genRow(ALL_TYPES.fields, r, 0.25));
      assert.deepEqual(roundTrip(ALL_TYPES.fields, rows), rows.map((x) => canonicalRow(ALL_TYPES.fields, x)));
    }),
    { numRuns: 40 },
  );
});

test('the Arrow schema carries the Iceberg field id on every field, list elements and map entries included', () => {
  const b = new RecordBatchBuilder(ALL_TYPES);
  const ids: number[] = [];
  const walk = (f: arrow.Field) => {
    const id = f.metadata.get(FIELD_ID_KEY);
    if (id !== undefined) ids.push(Number(id));
    else assert.ok(['key_value', 'entries'].includes(f.name), `only the map's entries struct has no id (field '${f.name}')`);
    for (const c of f.type.children ?? []) walk(c);
  };
  for (const f of b.arrowSchema.fields) walk(f);
  assert.deepEqual(
    ids.sort((x, y) => x - y),
    Array.from({ length: 28 }, (_, i) => i + 1),
  );
});

test('successive batches of one builder are independent, and a refused row leaves no trace', () => {
  const b = new RecordBatchBuilder(ALL_TYPES);
  b.append(ALL_TYPES_ROWS[0] as { [k: string]: Value });
  const first = b.flush();
  assert.throws(() => b.append({ ...ALL_TYPES_ROWS[1], tags: 'not a list' } as never), (e) => isFloeError(e, 'CONVERT_FAILED'));
  b.append(ALL_TYPES_ROWS[1] as { [k: string]: Value });
  const second = b.flush();
  assert.equal(first.numRows, 1);
  assert.equal(second.numRows, 1);
  assert.equal(second.getChild('id')?.get(0), 2n);
  assert.equal(first.getChild('id')?.get(0), 1n);
});
