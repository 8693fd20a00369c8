/**
 * The wire format and the Decoder with schemas from a fixed SchemaSource (the registry client
 * itself is tested against the real registry in test/integration/registry.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { avroType, Decoder, frame, LruCache, parseWire, schemaIdOf, type RegisteredSchema, type SchemaSource } from '../../../src/decode/index.js';
import { FloeError, isFloeError } from '../../../src/errors.js';

const ORDER = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }, { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } }] };
const JSON_ORDER = { type: 'object', properties: { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' } }, required: ['id'] };
const WHERE = 'orders[3]@1234';

/** Schemas by id; counts lookups. */
function source(schemas: Record<number, Omit<RegisteredSchema, 'id' | 'references' | 'referenced'>>): SchemaSource & { lookups: number } {
  const s = {
    lookups: 0,
    schemaById(id: number): Promise<RegisteredSchema> {
      s.lookups++;
      const found = schemas[id];
      if (!found) return Promise.reject(new FloeError('DECODE_FAILED', `unknown schema id ${id}`));
      return Promise.resolve({ id, references: [], referenced: [], ...found });
    },
  };
  return s;
}

function decodeFailed(p: () => unknown, re: RegExp): void {
  assert.throws(p, (e) => isFloeError(e, 'DECODE_FAILED') && !e.retryable && re.test(e.message));
}

async function decodeFailedAsync(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e) => isFloeError(e, 'DECODE_FAILED') && !e.retryable && re.test(e.message));
}

test('wire format: id and payload back; too short, bad magic and tombstones named with the record', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array(), (id, payload) => {
      const { schemaId, payload: back } = parseWire(frame(id, payload), WHERE);
      assert.equal(schemaId, id);
      assert.deepEqual([...back], [...payload]);
      assert.equal(schemaIdOf(frame(id, payload)), id);
    }),
  );
  decodeFailed(() => parseWire(Uint8Array.of(0, 1), WHERE), /^orders\[3\]@1234: 2 bytes is too short for the schema registry wire format/);
  decodeFailed(() => parseWire(Buffer.from('{"a":1}'), WHERE), /^orders\[3\]@1234: the magic byte is 123, expected 0: the record was not written by a schema registry serializer/);
  decodeFailed(() => parseWire(null, WHERE), /^orders\[3\]@1234: the record has no value \(a tombstone\)/);
  assert.equal(schemaIdOf(Uint8Array.of(1, 0, 0, 0, 1)), -1);
});

test('Avro: the first record of an id is decoded asynchronously, later ones synchronously; one lookup per id', async () => {
  const src = source({ 7: { schemaType: 'AVRO', schema: JSON.stringify(ORDER) } });
  const d = new Decoder('avro', src);
  const value = frame(7, avroType(ORDER).toBuffer({ id: 2n ** 60n, amount: -1250n }));
  assert.equal(d.decodeCached(value, () => WHERE), undefined, 'not known yet');
  const [a, b] = await Promise.all([d.decode(value, WHERE), d.decode(value, WHERE)]);
  assert.equal(src.lookups, 1, 'concurrent first records share one lookup');
  assert.deepEqual({ ...(a.value as object) }, { id: 2n ** 60n, amount: -1250n });
  assert.equal(b.schemaId, 7);
  const c = d.decodeCached(value, () => WHERE);
  assert.deepEqual({ ...(c?.value as object) }, { id: 2n ** 60n, amount: -1250n });
  assert.equal(src.lookups, 1);
});

test('Avro: truncated and trailing bytes, unknown ids and schemas of the wrong kind are record faults naming the record', async () => {
  const src = source({ 7: { schemaType: 'AVRO', schema: JSON.stringify(ORDER) }, 8: { schemaType: 'JSON', schema: '{}' }, 9: { schemaType: 'AVRO', schema: '{"type": "record", "name": "X", "fields": [{"name": "u", "type": "Nowhere"}]}' } });
  const d = new Decoder('avro', src);
  const good = avroType(ORDER).toBuffer({ id: 1n, amount: 1n });
  await d.decode(frame(7, good), WHERE);
  decodeFailed(() => d.decodeCached(frame(7, good.subarray(0, good.length - 1)), () => WHERE), /^orders\[3\]@1234: the avro value does not decode with schema id 7: the value is truncated$/);
  decodeFailed(() => d.decodeCached(frame(7, Buffer.concat([good, Buffer.from([0])])), () => WHERE), /1 bytes are left after the Avro value/);
  decodeFailed(() => d.decodeCached(Uint8Array.of(0, 0, 0), () => WHERE), /too short/);
  await decodeFailedAsync(d.decode(frame(99, good), WHERE), /^orders\[3\]@1234: unknown schema id 99/);
  await decodeFailedAsync(d.decode(frame(8, good), WHERE), /^orders\[3\]@1234: schema id 8 is a JSON schema, but the mapping's format is avro/);
  await decodeFailedAsync(d.decode(frame(9, Uint8Array.of(0)), WHERE), /schema id 9 is not a usable Avro schema/);
  const lookups = src.lookups;
  decodeFailed(() => d.decodeCached(frame(9, Uint8Array.of(0)), () => WHERE), /schema id 9 is not a usable Avro schema/);
  assert.equal(src.lookups, lookups, 'an unusable schema is not fetched again');
});

test('a registry outage passes through as the retryable error it is', async () => {
  const d = new Decoder('avro', { schemaById: () => Promise.reject(new FloeError('REGISTRY_ERROR', 'down', { retryable: true })) });
  await assert.rejects(d.decode(frame(1, Uint8Array.of(2)), WHERE), (e) => isFloeError(e, 'REGISTRY_ERROR') && e.retryable);
});

test('JSON Schema records: framed JSON decoded, the table schema from the JSON Schema, values converted', async () => {
  const d = new Decoder('json-schema', source({ 3: { schemaType: 'JSON', schema: JSON.stringify(JSON_ORDER) } }));
  const value = frame(3, Buffer.from(JSON.stringify({ id: 5, at: '2024-01-01T00:00:00Z' })));
  const r = await d.decode(value, WHERE);
  const schema = await d.tableSchema(3);
  assert.deepEqual(schema.fields.map((f) => `${f.name}:${f.type.type}:${f.required}`), ['id:long:true', 'at:timestamptz:false']);
  assert.deepEqual(d.converter(3, schema.fields)(r.value), { id: 5n, at: 1_704_067_200_000_000n });
  decodeFailed(() => d.decodeCached(frame(3, Buffer.from('{"id":')), () => WHERE), /^orders\[3\]@1234: the json-schema value does not decode with schema id 3: /);
});

test('plain JSON: parsed against the declared schema; framing tolerated; bad JSON and bad UTF-8 are record faults', async () => {
  const declared = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' as const } }] };
  const d = new Decoder('json', undefined, declared);
  const r = d.decodeCached(Buffer.from('{"id": 12}'), () => WHERE);
  assert.deepEqual(r, { schemaId: 0, value: { id: 12 } });
  assert.deepEqual(d.decodeCached(frame(1, Buffer.from('{"id": 1}')), () => WHERE)?.value, { id: 1 });
  assert.equal(await d.tableSchema(0), declared);
  decodeFailed(() => d.decodeCached(Buffer.from('{"id": '), () => WHERE), /^orders\[3\]@1234: the value is not JSON/);
  decodeFailed(() => d.decodeCached(Uint8Array.of(0x7b, 0xff, 0x7d), () => WHERE), /not JSON/);
  decodeFailed(() => d.decodeCached(null, () => WHERE), /tombstone/);
});

test('converters are compiled once per (schema id, table fields) and know the writer', async () => {
  const d = new Decoder('avro', source({ 7: { schemaType: 'AVRO', schema: JSON.stringify(ORDER) } }));
  const value = frame(7, avroType(ORDER).toBuffer({ id: 1n, amount: 1250n }));
  await d.decode(value, WHERE);
  const fields = [{ id: 1, name: 'amount', required: true, type: { type: 'decimal' as const, precision: 10, scale: 3 } }];
  const c = d.converter(7, fields);
  assert.equal(d.converter(7, fields), c, 'cached');
  assert.notEqual(d.converter(7, [...fields]), c, 'another table schema, another converter');
  // Knowing the writer's scale (2), 12.50 becomes 12500 at scale 3; without it a bigint is taken as is.
  assert.deepEqual(c(d.decodeCached(value, () => WHERE)?.value), { amount: 12500n });
  assert.equal(new Decoder('json', undefined).format, 'json');
  assert.throws(() => new Decoder('avro', undefined), (e) => isFloeError(e, 'CONFIG_INVALID'));
});

test('the LRU cache keeps the most recently used entries', () => {
  const c = new LruCache<number, string>(2);
  c.set(1, 'a');
  c.set(2, 'b');
  assert.equal(c.get(1), 'a');
  c.set(3, 'c');
  assert.equal(c.has(2), false, 'the least recently used went');
  assert.equal(c.get(1), 'a');
  assert.equal(c.get(3), 'c');
  assert.equal(c.size, 2);
  assert.throws(() => new LruCache(0), RangeError);
});
