import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileIO, joinLocation, parseLocation } from '../../../src/io/index.js';
import { isFloeError } from '../../../src/errors.js';

test('parseLocation understands s3, s3a, file URIs and absolute paths', () => {
  assert.deepEqual(parseLocation('s3://wh/a/b.parquet'), { scheme: 's3', bucket: 'wh', path: 'a/b.parquet' });
  assert.deepEqual(parseLocation('s3a://wh/x'), { scheme: 's3', bucket: 'wh', path: 'x' });
  assert.deepEqual(parseLocation('file:///tmp/a%20b'), { scheme: 'file', bucket: '', path: '/tmp/a b' });
  assert.deepEqual(parseLocation('/tmp/x'), { scheme: 'file', bucket: '', path: '/tmp/x' });
  assert.throws(() => parseLocation('relative/path'), /unsupported location/);
  assert.equal(joinLocation('s3://wh/base/', '/data/', 'f.parquet'), 's3://wh/base/data/f.parquet');
});

test('local FileIO writes atomically, streams, lists, deletes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-io-'));
  const io = createFileIO();
  try {
    const a = `file://${dir}/t/metadata/a.json`;
    assert.equal(await io.exists(a), false);
    assert.equal(await io.write(a, new TextEncoder().encode('{"x":1}')), 7);
    assert.equal(new TextDecoder().decode(await io.read(a)), '{"x":1}');

    const b = `file://${dir}/t/data/b.bin`;
    const out = io.create(b);
    await out.write(new Uint8Array([1, 2, 3]));
    assert.equal(await io.exists(b), false, 'a streamed file is invisible until close');
    await out.write(new Uint8Array([4]));
    assert.equal(await out.close(), 4);
    assert.deepEqual([...(await io.read(b))], [1, 2, 3, 4]);

    const aborted = io.create(`file://${dir}/t/data/c.bin`);
    await aborted.write(new Uint8Array([9]));
    await aborted.abort();

    const listed: string[] = [];
    for await (const l of io.list(`file://${dir}/t`)) listed.push(l);
    assert.deepEqual(listed.sort(), [b, a].sort());

    await io.delete(a);
    await assert.rejects(io.read(a), (err) => isFloeError(err, 'NOT_FOUND'));
  } finally {
    await io.close();
    await rm(dir, { recursive: true, force: true });
  }
});
