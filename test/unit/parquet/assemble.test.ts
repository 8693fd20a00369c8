import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import fc from 'fast-check';
import { createFileIO } from '../../../src/io/index.js';
import { ParquetFileWriter } from '../../../src/parquet/writer.js';
import { decodeStruct, encodeStruct, T, type TList, type TStruct, type TValue } from '../../../src/parquet/thrift.js';
import type { Value } from '../../../src/spec/types.js';
import { ALL_TYPES } from '../../helpers/all-types.js';
import { genRow, prng } from '../../helpers/gen-rows.js';

async function write(rows: Array<{ [k: string]: Value }>, options: object): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-asm-'));
  const io = createFileIO();
  const location = `file://${dir}/f.parquet`;
  const w = new ParquetFileWriter({ schema: ALL_TYPES, out: io.create(location), location, options: { compression: 'snappy', ...options } });
  for (const r of rows) await w.write(r);
  const df = await w.close();
  const bytes = await io.read(location);
  assert.equal(df.fileSizeInBytes, bytes.length);
  await rm(dir, { recursive: true, force: true });
  return bytes;
}

const rows = (n: number, seed: number) => {
  const r = prng(seed);
  return Array.from({ length: n }, (_, i) => ({ ...genRow(ALL_TYPES.fields, r, 0.2), id: BigInt(i) }));
};

test('row groups encoded in worker threads and joined equal the same file encoded inline, byte for byte', async () => {
  const data = rows(2000, 11);
  const inline = await write(data, { rowGroupRows: 300, encoderThreads: 0 });
  const threaded = await write(data, { rowGroupRows: 300, encoderThreads: 2 });
  assert.deepEqual(threaded, inline);
  assert.equal(parquetMetadata(inline.buffer.slice(inline.byteOffset, inline.byteOffset + inline.length) as ArrayBuffer).row_groups.length, 7);
});

test('every page offset in the joined file (chunk metadata and offset index) points at a page header', async () => {
  const bytes = await write(rows(1500, 12), { rowGroupRows: 400, pageBytes: 1024 });
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  const header = (at: number) => {
    const { value, end } = decodeStruct(bytes, at);
    const get = (id: number) => value.fields.find((f) => f.id === id)?.value as number;
    return { type: get(1), compressed: get(3), length: end - at };
  };
  let pages = 0;
  meta.row_groups.forEach((rg, g) => {
    assert.equal(rg.ordinal, g);
    for (const col of rg.columns) {
      const md = col.meta_data;
      assert.ok(md);
      if (md.dictionary_page_offset !== undefined) assert.equal(header(Number(md.dictionary_page_offset)).type, 2, 'dictionary page');
      assert.ok([0, 3].includes(header(Number(md.data_page_offset)).type), 'data page');
      assert.ok(col.offset_index_offset !== undefined && col.offset_index_length !== undefined);
      const ix = decodeStruct(bytes, Number(col.offset_index_offset));
      assert.equal(ix.end - Number(col.offset_index_offset), col.offset_index_length);
      const locs = (ix.value.fields.find((f) => f.id === 1)?.value as TList).items as TStruct[];
      for (const loc of locs) {
        const at = Number(loc.fields.find((f) => f.id === 1)?.value);
        const size = loc.fields.find((f) => f.id === 2)?.value as number;
        const h = header(at);
        assert.ok([0, 3].includes(h.type));
        assert.equal(h.length + h.compressed, size, 'page location size = header + compressed page');
        pages++;
      }
    }
  });
  assert.ok(pages > meta.row_groups.length * 10);
  const back = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, columns: ['id'] });
  assert.deepEqual(back.map((r) => (r as { id: bigint }).id), Array.from({ length: 1500 }, (_, i) => BigInt(i)));
});

test('an empty file has the schema and no rows', async () => {
  const bytes = await write([], {});
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  assert.equal(meta.num_rows, 0n);
  assert.ok(meta.schema.length > ALL_TYPES.fields.length);
});

const plain = (v: TValue): TValue => (typeof v === 'object' && !(v instanceof Uint8Array) && 'items' in v ? { elemType: v.elemType, items: v.items } : v);

test('thrift compact structs round-trip', () => {
  const arb: fc.Arbitrary<TStruct> = fc.letrec<{ s: TStruct }>((tie) => ({
    s: fc
      .uniqueArray(
        fc.oneof(
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.BOOL), value: fc.boolean() }),
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.I32), value: fc.integer() }),
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.I64), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.BINARY), value: fc.uint8Array({ maxLength: 40 }) }),
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.LIST), value: fc.record({ elemType: fc.constant<number>(T.I64), items: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 20 }) }) }),
          fc.record({ id: fc.integer({ min: 1, max: 40 }), type: fc.constant<number>(T.STRUCT), value: tie('s') }),
        ),
        { selector: (f) => f.id, maxLength: 6, depthIdentifier: 'struct' },
      )
      // fast-check records have no prototype; the decoder builds plain objects.
      .map((fields) => ({ fields: fields.map((f) => ({ ...f, value: plain(f.value) })).sort((a, b) => a.id - b.id) })),
  })).s;
  fc.assert(
    fc.property(arb, (s) => {
      assert.deepEqual(decodeStruct(encodeStruct(s)).value, s);
    }),
  );
});
