/** Decoded values -> table rows: compiled converters, their errors, and exact conversions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { avroToIceberg, avroType, compileConverter, declaredSchema } from '../../../src/decode/index.js';
import { isFloeError } from '../../../src/errors.js';
import type { NestedField } from '../../../src/spec/types.js';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'qty', type: 'int' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'customer', type: ['null', { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: ['null', 'int'] }] }] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
  ],
};
const writer = avroToIceberg(ORDER);
const avro = avroType(ORDER);
const decoded = (v: Record<string, unknown>) => avro.fromBuffer(avro.toBuffer(v)) as Record<string, unknown>;
const order = { order_id: 1n, qty: 2, amount: 1250n, at: 1_700_000_000_000_000n, customer: { name: 'Zoë', tier: null }, tags: ['a', 'b'], attrs: { k: 2n } };

/** The CONVERT_FAILED message of a conversion. */
function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isFloeError(err, 'CONVERT_FAILED'), String(err));
    assert.ok(!err.retryable);
    return err.message;
  }
  assert.fail('the value was converted');
}

const col = (name: string, type: NestedField['type'], required = false, id = 1): NestedField => ({ id, name, required, type });

test('an Avro record converts to a row of the auto-created table, values untouched and maps as pairs', () => {
  const conv = compileConverter(writer.fields, { fields: writer.fields, trusted: true });
  const row = conv(decoded(order));
  assert.deepEqual(row, { ...order, attrs: [['k', 2n]], customer: { name: 'Zoë', tier: null } });
  assert.deepEqual(Object.keys(row), ['order_id', 'qty', 'amount', 'at', 'customer', 'tags', 'attrs'], 'columns in table order');
});

test('a required field the record lacks fails naming the path, nested too', () => {
  const table = declaredSchema([
    { name: 'order_id', type: 'long', required: true },
    { name: 'customer', type: 'struct<name: string, email: string not null>', required: false },
  ]).fields;
  const conv = compileConverter(table, { fields: writer.fields, trusted: true });
  assert.match(refused(() => conv({ ...decoded(order), order_id: null })), /^field 'order_id': cannot convert null to long: required, but the record has no value$/);
  assert.match(refused(() => conv(decoded(order))), /^field 'customer\.email': cannot convert nothing to string: required, but the record has no value$/);
  assert.deepEqual(conv({ ...decoded(order), customer: null }), { order_id: 1n, customer: null });
});

test('a string where a long is expected fails naming the field', () => {
  const conv = compileConverter([col('order_id', { type: 'long' }, true), col('tags', { type: 'list', elementId: 2, elementRequired: true, element: { type: 'long' } })]);
  assert.match(refused(() => conv({ order_id: 'abc' })), /^field 'order_id': cannot convert "abc" to long$/);
  assert.match(refused(() => conv({ order_id: 1, tags: [1, 2, 'x'] })), /^field 'tags\[2\]': cannot convert "x" to long$/);
  assert.match(refused(() => conv({ order_id: 1, tags: [1, null] })), /^field 'tags\[1\]': cannot convert null to long: required/);
  assert.match(refused(() => conv({ order_id: 2 ** 60 })), /beyond 2\^53 a JSON number has lost digits; send it as a string/);
  assert.deepEqual(conv({ order_id: '9223372036854775807' }), { order_id: 9223372036854775807n, tags: null });
});

test('decimal precision overflow and lossy scale fail; writer decimals are rescaled exactly', () => {
  const table = [col('amount', { type: 'decimal', precision: 5, scale: 3 })];
  const fromAvro = compileConverter(table, { fields: writer.fields, trusted: true });
  assert.deepEqual(fromAvro(decoded({ ...order, amount: 1250n })), { amount: 12500n }, '12.50 at scale 3 is 12500');
  assert.match(refused(() => fromAvro(decoded({ ...order, amount: 10000n }))), /^field 'amount': cannot convert 10000 to decimal\(5,3\): more than 5 digits$/);
  const narrower = compileConverter([col('amount', { type: 'decimal', precision: 12, scale: 1 })], { fields: writer.fields, trusted: true });
  assert.deepEqual(narrower(decoded({ ...order, amount: 1250n })), { amount: 125n });
  assert.match(refused(() => narrower(decoded({ ...order, amount: 1255n }))), /has scale 2; scale 1 would lose digits/);
  const json = compileConverter([col('amount', { type: 'decimal', precision: 9, scale: 2 })]);
  assert.deepEqual(json({ amount: '12.5' }), { amount: 1250n });
  assert.deepEqual(json({ amount: 12.34 }), { amount: 1234n });
  assert.deepEqual(json({ amount: '-1.5e2' }), { amount: -15000n });
  assert.match(refused(() => json({ amount: '1.234' })), /more than 2 digits after the point/);
  assert.match(refused(() => json({ amount: '12345678.9' })), /more than 9 digits/);
});

test('decimal text -> unscaled is exact for every value and scale', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), fc.integer({ min: 0, max: 18 }), (u, scale) => {
      const digits = (u < 0n ? -u : u).toString().padStart(scale + 1, '0');
      const text = `${u < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale ? `.${digits.slice(-scale)}` : ''}`;
      const conv = compileConverter([col('d', { type: 'decimal', precision: 38, scale })]);
      assert.equal(conv({ d: text }).d, u, text);
    }),
  );
});

test('an int column refuses values outside 32 bits; Avro ints widen to long exactly', () => {
  const conv = compileConverter([col('n', { type: 'int' })]);
  assert.deepEqual(conv({ n: -2147483648 }), { n: -2147483648 });
  assert.match(refused(() => conv({ n: 2147483648 })), /^field 'n': cannot convert 2147483648 to int/);
  assert.match(refused(() => conv({ n: 1.5 })), /to int/);
  const widened = compileConverter([col('qty', { type: 'long' }), col('at', { type: 'timestamptz' })], { fields: writer.fields, trusted: true });
  assert.deepEqual(widened(decoded(order)), { qty: 2n, at: 1_700_000_000_000_000n });
});

test('JSON values: timestamps, dates, times, uuids, binary, booleans and numbers as text', () => {
  const conv = compileConverter([
    col('at', { type: 'timestamptz' }),
    col('local', { type: 'timestamp' }),
    col('day', { type: 'date' }),
    col('tod', { type: 'time' }),
    col('id', { type: 'uuid' }),
    col('raw', { type: 'binary' }),
    col('s', { type: 'string' }),
    col('ok', { type: 'boolean' }),
    col('ns', { type: 'timestamptz_ns' }),
  ]);
  assert.deepEqual(
    conv({ at: '2024-01-02T03:04:05.123456+01:00', local: 1_700_000_000_123, day: '2024-02-29', tod: '23:59:59.5', id: 'F79C3E09677C4BBDA4793F349CB785E7', raw: 'eHl6', s: 42, ok: true, ns: '1970-01-01T00:00:00.123456789Z' }),
    {
      at: 1704161045123456n,
      local: 1_700_000_000_123_000n,
      day: 19782,
      tod: 86_399_500_000n,
      id: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
      raw: Buffer.from('xyz'),
      s: '42',
      ok: true,
      ns: 123_456_789n,
    },
  );
  assert.match(refused(() => conv({ day: '2023-02-29' })), /^field 'day': cannot convert "2023-02-29" to date: no such day$/);
  assert.match(refused(() => conv({ at: 'yesterday' })), /^field 'at': cannot convert "yesterday" to timestamptz: expected an ISO-8601 timestamp or epoch milliseconds$/);
  assert.match(refused(() => conv({ id: 'not-a-uuid' })), /to uuid: expected a UUID/);
  assert.match(refused(() => conv({ ok: 'yes' })), /to boolean/);
});

test('paths name list indexes and map keys, and nested structs', () => {
  const table = declaredSchema([{ name: 'a', type: 'struct<b: list<struct<c: map<string, int>>>>', required: false }]).fields;
  const conv = compileConverter(table);
  assert.match(refused(() => conv({ a: { b: [{ c: {} }, { c: { x: 1, y: 'two' } }] } })), /^field 'a\.b\[1\]\.c\{y\}': cannot convert "two" to int/);
  assert.match(refused(() => conv({ a: 'flat' })), /^field 'a': cannot convert "flat" to struct: expected a record/);
  assert.match(refused(() => conv([1])), /^field '<value>': cannot convert \[1\] to struct/);
});

test('fixed length is checked', () => {
  const conv = compileConverter([col('h', { type: 'fixed', length: 4 })]);
  assert.deepEqual(conv({ h: Uint8Array.of(1, 2, 3, 4) }), { h: Uint8Array.of(1, 2, 3, 4) });
  assert.match(refused(() => conv({ h: Uint8Array.of(1, 2) })), /^field 'h': cannot convert <2 bytes> to fixed\[4\]: expected exactly 4 bytes, got 2$/);
});

test('field names that are not JavaScript identifiers are safe in the generated code', () => {
  const names = ['a-b', 'with space', "quote'", 'back\\slash', '__proto__', 'constructor', '0'];
  const conv = compileConverter(names.map((n, i) => col(n, { type: 'int' }, false, i + 1)));
  const input = Object.fromEntries(names.map((n, i) => [n, i]));
  const row = conv(JSON.parse(JSON.stringify(input)));
  for (const [i, n] of names.entries()) assert.equal(Object.getOwnPropertyDescriptor(row, n)?.value, i, n);
});
