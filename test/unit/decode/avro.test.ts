import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroToIceberg, avroType, compileConverter, frame, parseWire } from '../../../src/decode/index.js';
import { isFloeError } from '../../../src/errors.js';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'fee', type: ['null', { type: 'fixed', name: 'Fee', size: 8, logicalType: 'decimal', precision: 10, scale: 4 }], default: null },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'at_us', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'tod', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'customer', type: ['null', { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: ['null', 'int'] }] }] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
  ],
};

const value = {
  order_id: 9007199254740993n,
  amount: -123456789n,
  fee: 5n,
  day: -1,
  at: -1000n, // values are given in Floe's representation: µs, encoded as millis
  at_us: 1700000000123456n,
  local: 5n,
  tod: 1_000_000n,
  id: 'F79C3E09-677C-4BBD-A479-3F349CB785E7',
  status: 'PAID',
  customer: { name: 'Zoë', tier: null },
  tags: ['a'],
  attrs: { k: 2n },
};

test('Avro with every logical type decodes to Floe values, longs exact', () => {
  const t = avroType(ORDER);
  const back = t.fromBuffer(t.toBuffer(value)) as Record<string, unknown>;
  assert.equal(back.order_id, 9007199254740993n);
  assert.equal(back.amount, -123456789n);
  assert.equal(back.fee, 5n);
  assert.equal(back.at, -1000n, 'millis round-trip through micros');
  assert.equal(back.at_us, 1700000000123456n);
  assert.equal(back.tod, 1_000_000n);
  assert.equal(back.id, 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  const schema = avroToIceberg(ORDER);
  assert.deepEqual(schema.fields.map((f) => `${f.name}:${f.type.type}${f.required ? '' : '?'}`), [
    'order_id:long', 'amount:decimal', 'fee:decimal?', 'day:date', 'at:timestamptz', 'at_us:timestamptz', 'local:timestamp',
    'tod:time', 'id:uuid', 'status:string', 'customer:struct?', 'tags:list', 'attrs:map',
  ]);
  const row = compileConverter(schema.fields)(back);
  assert.deepEqual(row.attrs, [['k', 2n]], 'maps become [key, value] pairs');
  assert.deepEqual(row.customer, { name: 'Zoë', tier: null });
});

test('wire format errors name the problem', () => {
  assert.deepEqual(parseWire(frame(42, Uint8Array.of(1, 2)), 'x').schemaId, 42);
  assert.throws(() => parseWire(Uint8Array.of(0, 1), 't[0]@5'), (e) => isFloeError(e, 'DECODE_FAILED') && /t\[0\]@5: 2 bytes is too short/.test(e.message));
  assert.throws(() => parseWire(Uint8Array.of(123, 34, 97, 34, 125), 'w'), /magic byte is 123, expected 0/);
  assert.throws(() => parseWire(null, 'w'), /tombstone/);
});

test('converter errors name the field path', () => {
  const conv = compileConverter(avroToIceberg(ORDER).fields);
  const t = avroType(ORDER);
  const decoded = t.fromBuffer(t.toBuffer(value)) as Record<string, unknown>;
  assert.throws(() => conv({ ...decoded, customer: { name: 5 } }), (e) => isFloeError(e, 'CONVERT_FAILED') && /field 'customer\.name'/.test(e.message));
  const json = compileConverter([
    { id: 1, name: 'amount', required: true, type: { type: 'decimal', precision: 9, scale: 2 } },
    { id: 2, name: 'at', required: true, type: { type: 'timestamptz' } },
  ]);
  assert.deepEqual(json({ amount: '12.5', at: '2024-01-02T03:04:05.123456+01:00' }), { amount: 1250n, at: 1704161045123456n });
  assert.throws(() => json({ amount: '1.234', at: 0 }), /more than 2 digits after the point/);
});
