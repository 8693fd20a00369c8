import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import avro from 'avsc';
import { readAvroFile, writeAvroFile } from '../../../src/iceberg/avro.js';
import { isFloeError } from '../../../src/errors.js';

const SCHEMA = {
  type: 'record',
  name: 'r',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'name', type: ['null', 'string'], default: null, 'field-id': 2 },
    { name: 'tags', type: ['null', { type: 'array', items: 'int', 'element-id': 4 }], default: null, 'field-id': 3 },
  ],
};

// avsc decodes records as instances of generated classes: compare their fields.
const plain = (r: unknown) => ({ ...(r as object) });

const record = fc.record({
  id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  name: fc.option(fc.string(), { nil: null }),
  tags: fc.option(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { nil: null }),
}).map(plain);

test('container files round-trip records, with either codec and any block size', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), fc.constantFrom('deflate' as const, 'null' as const), fc.integer({ min: 1, max: 25 }), (records, codec, blockRecords) => {
      const bytes = writeAvroFile(SCHEMA, records, { codec, blockRecords, metadata: { k: 'v' } });
      const file = readAvroFile(bytes);
      assert.deepEqual(file.records.map(plain), records);
      assert.equal(file.metadata['avro.codec'], codec);
      assert.equal(file.metadata.k, 'v');
    }),
  );
});

test('the header holds the schema exactly as given, field ids included', () => {
  const file = readAvroFile(writeAvroFile(SCHEMA, [{ id: 1n, name: null, tags: null }]));
  assert.deepEqual(file.schema, SCHEMA);
  assert.equal(file.metadata['avro.codec'], 'deflate', 'deflate by default, as Java writes manifests');
});

test('files that avsc itself writes are read, and files written here are read by avsc', async () => {
  const type = avro.Type.forSchema({ type: 'record', name: 'x', fields: [{ name: 'a', type: 'int' }, { name: 's', type: 'string' }] });
  const recs = Array.from({ length: 500 }, (_v, i) => ({ a: i, s: `row ${i}` }));
  // avsc's own container encoder (streams) as an independent implementation of the format.
  const chunks: Buffer[] = [];
  const enc = new avro.streams.BlockEncoder(type, { codec: 'deflate', blockSize: 512 });
  enc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => enc.on('end', r));
  for (const r of recs) enc.write(r);
  enc.end();
  await done;
  assert.deepEqual(readAvroFile(Buffer.concat(chunks)).records.map(plain), recs);

  const ours = writeAvroFile(JSON.parse(JSON.stringify(type.schema())) as object, recs, { blockRecords: 64 });
  const got: unknown[] = [];
  const dec = new avro.streams.BlockDecoder();
  const ended = new Promise((r) => dec.on('end', r));
  dec.on('data', (r: unknown) => got.push(r));
  dec.end(ours);
  await ended;
  assert.deepEqual(got.map(plain), recs);
});

test('something that is not a container file is refused with METADATA_INVALID', () => {
  assert.throws(() => readAvroFile(Buffer.from('PAR1 not avro at all, but long enough to hold a header')), (e: unknown) => isFloeError(e, 'METADATA_INVALID'));
});
