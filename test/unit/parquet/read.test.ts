import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileIO } from '../../../src/io/local.js';
import { TableWriter } from '../../../src/iceberg/index.js';
import { readDataFile } from '../../../src/parquet/read.js';
import { newTableMetadata } from '../../../src/spec/create.js';
import type { Value } from '../../../src/spec/types.js';
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
