import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { createFileIO } from '../../../src/io/index.js';
import { ParquetFileWriter } from '../../../src/parquet/writer.js';
import { deserializeValue, serializeValue, truncateBytesLower, truncateBytesUpper, truncateStringLower, truncateStringUpper } from '../../../src/spec/values.js';
import type { IcebergType, NestedField, PrimitiveType, Value } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../../helpers/all-types.js';
import { canonicalOf } from '../../helpers/canonical.js';
import { expectedMetrics } from '../../helpers/expected-metrics.js';
import { genRow, prng } from '../../helpers/gen-rows.js';

async function writeRows(rows: Array<{ [k: string]: Value }>, options = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'floe-pq-'));
  const io = createFileIO();
  const location = `file://${dir}/f.parquet`;
  const w = new ParquetFileWriter({ schema: ALL_TYPES, out: io.create(location), location, options });
  for (const r of rows) await w.write(r);
  const df = await w.close();
  const bytes = await io.read(location);
  await rm(dir, { recursive: true, force: true });
  return { df, buf: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
}

function leaves(fields: readonly NestedField[], out: Array<{ id: number; type: PrimitiveType }> = []) {
  const visit = (id: number, t: IcebergType) => {
    if (t.type === 'struct') leaves(t.fields, out);
    else if (t.type === 'list') visit(t.elementId, t.element);
    else if (t.type === 'map') {
      visit(t.keyId, t.key);
      visit(t.valueId, t.value);
    } else out.push({ id, type: t });
  };
  for (const f of fields) visit(f.id, f.type);
  return out;
}

test('every column, nested ones included, carries its Iceberg field id', async () => {
  const { buf } = await writeRows(ALL_TYPES_ROWS);
  const meta = parquetMetadata(buf);
  const withIds = meta.schema.slice(1).filter((e) => e.field_id !== undefined).map((e) => e.field_id as number);
  const expectedIds: number[] = [];
  const collect = (fs: readonly NestedField[]) => {
    for (const f of fs) {
      expectedIds.push(f.id);
      const t = f.type;
      if (t.type === 'struct') collect(t.fields);
      if (t.type === 'list') {
        expectedIds.push(t.elementId);
        if (t.element.type === 'struct') collect(t.element.fields);
      }
      if (t.type === 'map') expectedIds.push(t.keyId, t.valueId);
    }
  };
  collect(ALL_TYPES.fields);
  assert.deepEqual([...withIds].sort((a, b) => a - b), [...expectedIds].sort((a, b) => a - b));
  assert.equal(meta.row_groups[0]?.columns[0]?.meta_data?.codec, 'ZSTD');
});

/** Compares a data file's metrics with a recomputation from the rows (every map, exactly). */
function assertMetrics(df: Awaited<ReturnType<typeof writeRows>>['df'], rows: ReadonlyArray<{ [k: string]: Value }>, fields: readonly NestedField[]) {
  const e = expectedMetrics(fields, rows);
  assert.equal(df.recordCount, rows.length);
  const sorted = (m: ReadonlyMap<number, unknown>) => [...m].sort((a, b) => a[0] - b[0]);
  assert.deepEqual(sorted(df.valueCounts), sorted(e.valueCounts), 'value counts');
  assert.deepEqual(sorted(df.nullValueCounts), sorted(e.nullValueCounts), 'null counts');
  assert.deepEqual(sorted(df.nanValueCounts), sorted(e.nanValueCounts), 'NaN counts');
  assert.deepEqual([...df.columnSizes.keys()].sort((a, b) => a - b), [...e.valueCounts.keys()].sort((a, b) => a - b), 'a size for every leaf');
  for (const size of df.columnSizes.values()) assert.ok(size > 0);
  const expectBound = (id: number, v: Value, which: 'lower' | 'upper'): Uint8Array | undefined => {
    const t = e.types.get(id) as PrimitiveType;
    let x: Value | undefined = v;
    if (t.type === 'string') x = which === 'lower' ? truncateStringLower(v as string, 16) : truncateStringUpper(v as string, 16);
    if (t.type === 'binary' || t.type === 'fixed') x = which === 'lower' ? truncateBytesLower(v as Uint8Array, 16) : truncateBytesUpper(v as Uint8Array, 16);
    return x === undefined ? undefined : serializeValue(t, x);
  };
  const expLower = new Map([...e.min].map(([id, v]) => [id, expectBound(id, v, 'lower')]));
  const expUpper = new Map<number, Uint8Array>();
  for (const [id, v] of e.max) {
    const b = expectBound(id, v, 'upper');
    if (b) expUpper.set(id, b);
  }
  assert.deepEqual(sorted(df.lowerBounds), sorted(expLower), 'lower bounds');
  assert.deepEqual(sorted(df.upperBounds), sorted(expUpper), 'upper bounds');
}

test('metrics equal a recomputation from the rows', async () => {
  const { df } = await writeRows(ALL_TYPES_ROWS);
  assertMetrics(df, ALL_TYPES_ROWS, ALL_TYPES.fields);
  // Spot checks of the rules the recomputation encodes.
  assert.equal(df.valueCounts.get(23), 6, 'list element: 4 elements, one entry for the empty and one for the null list');
  assert.equal(df.nullValueCounts.get(23), 3);
  assert.equal(df.lowerBounds.has(23), false, 'no bounds inside lists');
  assert.equal(df.nanValueCounts.get(27), 1, 'NaN inside a list of structs is counted');
  assert.equal(df.nullValueCounts.get(22), 3, 'struct children under a null struct count as nulls');
  const typeOf = new Map(leaves(ALL_TYPES.fields).map((l) => [l.id, l.type]));
  const bound = (id: number, which: 'lower' | 'upper') => {
    const b = (which === 'lower' ? df.lowerBounds : df.upperBounds).get(id);
    return b === undefined ? undefined : deserializeValue(typeOf.get(id) as PrimitiveType, b);
  };
  assert.equal(bound(5, 'upper'), Number.POSITIVE_INFINITY, 'NaN is not a bound');
  assert.equal(bound(7, 'lower'), -(10n ** 37n) - 12345n);
  assert.equal(bound(10, 'lower'), -62135596800000000n);
  assert.equal(bound(12, 'upper'), 'aaaaaaaaaaaaaaab', 'the max (40 a) truncated to 16 code points, last one incremented');
  assert.equal(bound(13, 'upper'), 'ffffffff-ffff-ffff-ffff-ffffffffffff');
  assert.deepEqual(df.splitOffsets, [4]);
});

test('metrics equal a recomputation for random rows with nulls at every level, across row groups', async () => {
  const r = prng(7);
  const rows = Array.from({ length: 3000 }, () => genRow(ALL_TYPES.fields, r, 0.2));
  const { df, buf } = await writeRows(rows, { rowGroupRows: 700 });
  assertMetrics(df, rows, ALL_TYPES.fields);
  const meta = parquetMetadata(buf);
  assert.equal(meta.row_groups.length, 5);
  assert.deepEqual(df.splitOffsets, meta.row_groups.map((g) => Number(g.columns[0]?.meta_data?.dictionary_page_offset ?? g.columns[0]?.meta_data?.data_page_offset)));
});

// hyparquet reads snappy without a plug-in; the codec does not change what is encoded.
test('rows read back equal what was written, every type and null level', async () => {
  const { buf } = await writeRows(ALL_TYPES_ROWS, { compression: 'snappy' });
  const rows = (await parquetReadObjects({ file: buf, utf8: true })) as Array<Record<string, unknown>>;
  assert.equal(rows.length, ALL_TYPES_ROWS.length);
  const r0 = rows[0] as Record<string, unknown>;
  assert.equal(r0.id, 1n);
  assert.equal(r0.name, 'Zoë 日本 🎉');
  assert.deepEqual(r0.tags, ['a', null, '']);
  assert.deepEqual(r0.st, { a: 1, b: { c: 'deep' } });
  assert.equal(rows[2]?.st ?? null, null, 'a null struct reads as null');
  // hyparquet reads a null nested struct as undefined.
  assert.deepEqual({ ...(rows[1]?.st as object), b: (rows[1]?.st as { b?: unknown }).b ?? null }, { a: null, b: null });
  // Decimal, date and timestamp values through the canonical forms.
  assert.equal(canonicalOf(ALL_TYPES_ROWS[0]?.dec9 ?? null, { type: 'decimal', precision: 9, scale: 2 }), '-12345.67');
  assert.equal(String(r0.dec9), '-12345.67');
});

test('many row groups stream out; split offsets name each', async () => {
  const rows = Array.from({ length: 2500 }, (_, i) => ({ ...ALL_TYPES_ROWS[i % 4], id: BigInt(i) }) as { [k: string]: Value });
  const { df, buf } = await writeRows(rows, { rowGroupRows: 1000 });
  const meta = parquetMetadata(buf);
  assert.equal(meta.row_groups.length, 3);
  assert.equal(df.splitOffsets.length, 3);
  assert.equal(df.recordCount, 2500);
  assert.equal(df.fileSizeInBytes, buf.byteLength);
});

test('a value that does not fit is refused with the field path, and the writer stays usable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-pq-'));
  const io = createFileIO();
  const location = `file://${dir}/g.parquet`;
  const w = new ParquetFileWriter({ schema: ALL_TYPES, out: io.create(location), location, options: { compression: 'snappy' } });
  await w.write(ALL_TYPES_ROWS[0] as { [k: string]: Value });
  assert.throws(() => w.write({ ...ALL_TYPES_ROWS[1], st: { a: 'x' } } as never), (e) => isFloeError(e, 'CONVERT_FAILED') && /field 'st\.a'/.test(e.message));
  assert.throws(() => w.write({ ...ALL_TYPES_ROWS[1], dec9: 10n ** 9n } as never), /does not fit|more than 9 digits/);
  assert.throws(() => w.write({ name: 'no id' }), /field 'id' is required/);
  await w.write(ALL_TYPES_ROWS[1] as { [k: string]: Value });
  const df = await w.close();
  assert.equal(df.recordCount, 2);
  const rows = await parquetReadObjects({ file: (await io.read(location)).buffer as ArrayBuffer });
  assert.deepEqual(rows.map((r) => (r as { id: bigint }).id), [1n, 2n]);
  await rm(dir, { recursive: true, force: true });
});

test('uuid columns carry the Parquet UUID logical type on fixed_len_byte_array(16); fixed[16] does not', async () => {
  const schema = {
    fields: [
      { id: 1, name: 'u', required: false, type: { type: 'uuid' } },
      { id: 2, name: 'us', required: false, type: { type: 'list', elementId: 3, elementRequired: false, element: { type: 'uuid' } } },
      { id: 4, name: 'f16', required: false, type: { type: 'fixed', length: 16 } },
    ] satisfies NestedField[],
  };
  const dir = await mkdtemp(join(tmpdir(), 'floe-pq-'));
  try {
    const io = createFileIO();
    const location = `file://${dir}/u.parquet`;
    // Three row groups, encoded in worker threads and joined: the annotation is in the joined footer.
    const w = new ParquetFileWriter({ schema, out: io.create(location), location, options: { rowGroupRows: 2, encoderThreads: 2 } });
    const uuid = 'f79c3e09-677c-4bbd-a479-3f349cb785e7';
    const rows = [
      { u: uuid, us: [uuid, null], f16: new Uint8Array(16).fill(1) },
      { u: null, us: null, f16: null },
      { u: '00000000-0000-0000-0000-000000000000', us: [], f16: new Uint8Array(16) },
      { u: uuid, us: [uuid], f16: new Uint8Array(16).fill(255) },
      { u: null, us: [null], f16: new Uint8Array(16).fill(2) },
    ];
    for (const r of rows) await w.write(r);
    const df = await w.close();
    const bytes = await io.read(location);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    assert.equal(meta.row_groups.length, 3);
    assert.equal(df.splitOffsets.length, 3);
    const byId = new Map(meta.schema.filter((e) => e.field_id !== undefined).map((e) => [e.field_id, e]));
    for (const id of [1, 3]) {
      assert.equal(byId.get(id)?.type, 'FIXED_LEN_BYTE_ARRAY');
      assert.equal(byId.get(id)?.type_length, 16);
      assert.deepEqual(byId.get(id)?.logical_type, { type: 'UUID' }, `field ${id}`);
    }
    assert.equal(byId.get(4)?.logical_type, undefined, 'a fixed[16] is not a uuid');
    // The uuid bounds stay byte-ordered (UUID's sort order in Parquet is unsigned, as fixed's).
    assert.deepEqual([...(df.lowerBounds.get(1) ?? [])], new Array(16).fill(0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pageVersion 2 writes v2 data pages with delta fallbacks; the rows and metrics are the same as with v1', async () => {
  const r = prng(7);
  const rows = Array.from({ length: 3000 }, () => genRow(ALL_TYPES.fields, r));
  // A 1 KiB dictionary limit makes the high-cardinality columns fall back.
  const v1 = await writeRows(rows, { rowGroupRows: 1000, dictionaryPageBytes: 1024, compression: 'snappy' as const });
  const v2 = await writeRows(rows, { rowGroupRows: 1000, dictionaryPageBytes: 1024, compression: 'snappy' as const, pageVersion: 2 as const });
  const encodings = (buf: ArrayBuffer) => new Set(parquetMetadata(buf).row_groups.flatMap((g) => g.columns.flatMap((c) => c.meta_data?.encodings ?? [])));
  assert.ok(!encodings(v1.buf).has('DELTA_BINARY_PACKED'));
  assert.ok(encodings(v2.buf).has('DELTA_BINARY_PACKED') || encodings(v2.buf).has('DELTA_BYTE_ARRAY'), `v2 encodings: ${[...encodings(v2.buf)].join(', ')}`);
  const read = async (buf: ArrayBuffer) => JSON.stringify(await parquetReadObjects({ file: buf, utf8: true }), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v));
  assert.equal(await read(v2.buf), await read(v1.buf));
  for (const k of ['recordCount', 'valueCounts', 'nullValueCounts', 'nanValueCounts', 'lowerBounds', 'upperBounds'] as const) assert.deepEqual(v2.df[k], v1.df[k], k);
});
