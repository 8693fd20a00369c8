import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionedWriter, RollingWriter, type RowFileWriter } from '../../../src/iceberg/writers/index.js';
import type { Value } from '../../../src/spec/types.js';

interface FakeFile {
  partition: string;
  rows: Value[];
  flushes: number;
}

/** An in-memory file writer: each row costs 10 bytes; a flush moves buffered rows to written. */
function factory(files: FakeFile[]) {
  return (p: { key: string } | undefined): RowFileWriter<FakeFile> => {
    const f: FakeFile = { partition: p?.key ?? '', rows: [], flushes: 0 };
    let buffered = 0;
    return {
      write: (row) => {
        f.rows.push(row);
        buffered += 10;
      },
      estimatedBytes: () => f.rows.length * 10,
      bufferedBytes: () => buffered,
      flush: async () => {
        buffered = 0;
        f.flushes++;
      },
      close: async () => {
        files.push(f);
        return f;
      },
      abort: async () => undefined,
    };
  };
}

test('rolling writer starts a new file at the target size and returns every file', async () => {
  const files: FakeFile[] = [];
  const w = new RollingWriter(factory(files), 30, undefined, 1);
  for (let i = 0; i < 7; i++) await w.write({ i });
  const out = await w.close();
  assert.deepEqual(out.map((f) => f.rows.length), [3, 3, 1]);
  assert.throws(() => w.write({ i: 8 }), /write after close/);
});

test('partitioned writer keeps one partition per file and bounds open writers and buffered bytes', async () => {
  const files: FakeFile[] = [];
  const w = new PartitionedWriter(factory(files), (row) => {
    const k = String((row as { k: string }).k);
    return { key: k, values: [k] };
  }, { targetFileBytes: 1000, maxOpenWriters: 2, maxBufferedBytes: 50, checkEvery: 1 });
  const keys = ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'a', 'a', 'a'];
  for (const [i, k] of keys.entries()) await w.write({ k, i });
  const out = await w.close();
  for (const f of out) for (const r of f.rows) assert.equal((r as { k: string }).k, f.partition, 'a file holds one partition');
  assert.equal(out.reduce((n, f) => n + f.rows.length, 0), keys.length, 'no row lost');
  // With two files open, 'c' closes 'b' (least recently written), the second 'b' closes 'c';
  // close() then finishes 'b' and 'a' in order of last write.
  assert.deepEqual(out.map((f) => f.partition), ['b', 'c', 'b', 'a']);
  assert.ok(out.some((f) => f.flushes > 0), 'buffered bytes over the bound forced a flush');
});
