import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { createFileIO } from '../../../src/io/index.js';
import { ParquetFileWriter } from '../../../src/parquet/writer.js';
import { deserializeValue } from '../../../src/spec/values.js';
import type { IcebergType, NestedField, PrimitiveType, Value } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../../helpers/all-types.js';
import { canonicalOf } from '../../helpers/canonical.js';

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

test('metrics equal a recomputation from the rows', async () => {
  const { df } = await writeRows(ALL_TYPES_ROWS);
  assert.equal(df.recordCount, ALL_TYPES_ROWS.length);
  // Top-level leaves: one value per row; nulls counted.
  for (const f of ALL_TYPES.fields.filter((x) => !['struct', 'list', 'map'].includes(x.type.type))) {
    const vals = ALL_TYPES_ROWS.map((r) => r[f.name] ?? null);
    assert.equal(df.valueCounts.get(f.id), vals.length, `value count of ${f.name}`);
    assert.equal(df.nullValueCounts.get(f.id), vals.filter((v) => v === null).length, `null count of ${f.name}`);
    assert.ok((df.columnSizes.get(f.id) ?? 0) > 0, `column size of ${f.name}`);
  }
  assert.equal(df.nanValueCounts.get(5), 1);
  assert.equal(df.nanValueCounts.get(27), 1, 'NaN inside a list of structs is counted');
  // Leaves in lists and maps: value counts are element counts; no bounds.
  assert.equal(df.valueCounts.get(23), 4);
  assert.equal(df.nullValueCounts.get(23), 1);
  assert.equal(df.valueCounts.get(24), 3);
  assert.equal(df.lowerBounds.has(23), false);
  // Struct children under a null struct count as nulls.
  assert.equal(df.nullValueCounts.get(22), 3);
  const typeOf = new Map(leaves(ALL_TYPES.fields).map((l) => [l.id, l.type]));
  const bound = (id: number, which: 'lower' | 'upper') => {
    const b = (which === 'lower' ? df.lowerBounds : df.upperBounds).get(id);
    return b === undefined ? undefined : deserializeValue(typeOf.get(id) as PrimitiveType, b);
  };
  assert.equal(bound(3, 'lower'), -2147483648);
  assert.equal(bound(3, 'upper'), 2147483647);
  assert.equal(bound(5, 'upper'), Number.POSITIVE_INFINITY, 'NaN is not a bound');
  assert.equal(bound(7, 'lower'), -(10n ** 37n) - 12345n);
  assert.equal(bound(10, 'lower'), -62135596800000000n);
  assert.equal(bound(12, 'lower'), '');
  assert.equal(bound(12, 'upper'), 'aaaaaaaaaaaaaaab', 'the max (40 a) truncated to 16 code points, last one incremented');
  assert.equal(bound(22, 'upper'), 'deep');
  assert.equal(bound(13, 'lower'), '00000000-0000-0000-0000-000000000000');
  assert.deepEqual(df.splitOffsets, [4]);
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
