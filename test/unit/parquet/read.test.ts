import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileIO } from '../../../src/io/local.js';
import { TableWriter } from '../../../src/iceberg/index.js';
import { readDataFile } from '../../../src/parquet/read.js';
import { newTableMetadata } from '../../../src/spec/create.js';
import { evolveSchema } from '../../../src/spec/evolve.js';
import type { NestedField, Schema, Value } from '../../../src/spec/types.js';
import { uuidToBytes } from '../../../src/spec/values.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../../helpers/all-types.js';
import { canonicalRows } from '../../helpers/canonical.js';
import { genRow, prng } from '../../helpers/gen-rows.js';

test('readDataFile gives back exactly what TableWriter wrote: every type, nested, nulls, edges, several row groups', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-read-'));
  try {
    const io = new LocalFileIO();
    const meta = newTableMetadata({ schema: ALL_TYPES, location: `file://${dir}` });
    const r = prng(11);
    const rows = [...ALL_TYPES_ROWS, ...Array.from({ length: 700 }, () => genRow(ALL_TYPES.fields, r))].map((row, i) => ({ ...row, id: BigInt(i) }) as { [k: string]: Value });
    const w = new TableWriter(meta, io, { rowGroupRows: 128 });
    for (const row of rows) await w.write(row);
    const files = await w.close();
    const back = [];
    for (const f of files) back.push(...readDataFile(await io.read(f.filePath), meta.schemas[0]!));
    // uuids come back as their 16 bytes, which the writer takes as well as the text form.
    const asText = (rs: Array<{ [k: string]: Value }>) => rs.map((x) => ({ ...x, uid: x.uid instanceof Uint8Array ? x.uid : typeof x.uid === 'string' ? uuidToBytes(x.uid) : x.uid }));
    assert.deepEqual(canonicalRows(asText(back), ALL_TYPES, true), canonicalRows(asText(rows), ALL_TYPES, true));
    assert.equal(back.length, rows.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readDataFile reads a file written before a promotion as the promoted types: int as long, float as double, decimal(9,2) as decimal(20,2)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-read-'));
  try {
    const io = new LocalFileIO();
    const before: Schema = {
      schemaId: 0,
      fields: [
        { id: 1, name: 'n', required: true, type: { type: 'int' } },
        { id: 2, name: 'score', required: false, type: { type: 'float' } },
        { id: 3, name: 'amount', required: false, type: { type: 'decimal', precision: 9, scale: 2 } },
        { id: 4, name: 'xs', required: false, type: { type: 'list', elementId: 5, elementRequired: true, element: { type: 'int' } } },
      ],
    };
    const after = evolveSchema(before, { schemaId: 0, fields: before.fields.map((f) => ({ ...f, type: f.name === 'n' ? { type: 'long' } : f.name === 'score' ? { type: 'double' } : f.name === 'amount' ? { type: 'decimal', precision: 20, scale: 2 } : { ...(f.type as object), element: { type: 'long' } } }) as NestedField) }, 5, 1);
    assert.deepEqual(after?.widened, ['n: int -> long', 'score: float -> double', 'amount: decimal(9,2) -> decimal(20,2)', 'xs.element: int -> long']);
    const w = new TableWriter(newTableMetadata({ schema: before, location: `file://${dir}` }), io, {});
    const rows = [
      { n: 2147483647, score: 1.5, amount: 999999999n, xs: [-2147483648, 0] },
      { n: -2147483648, score: null, amount: -1n, xs: null },
      { n: 0, score: 3.4028234663852886e38, amount: null, xs: [] },
    ];
    for (const row of rows) await w.write(row);
    const [file] = await w.close();
    assert.ok(file && after);
    assert.deepEqual(readDataFile(await io.read(file.filePath), after.schema), [
      { n: 2147483647n, score: 1.5, amount: 999999999n, xs: [-2147483648n, 0n] },
      { n: -2147483648n, score: null, amount: -1n, xs: null },
      { n: 0n, score: 3.4028234663852886e38, amount: null, xs: [] },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
