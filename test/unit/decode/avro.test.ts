/**
 * Avro decoding to Floe's values. Records are encoded by plain avsc (no hooks: the raw Avro
 * representation, independent of Floe's code) and by Floe's own type (hooks on the way in),
 * then decoded by Floe and compared with the values of src/spec/types.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import fc from 'fast-check';
import { avroType, BIGINT_LONG, unscaledFromBytes, unscaledToBytes } from '../../../src/decode/index.js';

/** Encodes with plain avsc (raw values), decodes with Floe. */
function viaPlain(type: unknown, raw: unknown): unknown {
  const schema = { type: 'record', name: 'R', fields: [{ name: 'v', type }] };
  const buf = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: false }).toBuffer({ v: raw });
  return (avroType(schema).fromBuffer(buf) as { v: unknown }).v;
}

/** Encodes and decodes with Floe (its hooks both ways). */
function roundTrip(type: unknown, value: unknown): unknown {
  const t = avroType({ type: 'record', name: 'R', fields: [{ name: 'v', type }] });
  return (t.fromBuffer(t.toBuffer({ v: value })) as { v: unknown }).v;
}

/** Two's complement big-endian bytes, written out by hand for the plain encoder. */
function twos(v: bigint, size?: number): Buffer {
  const n = size ?? Math.max(1, Math.ceil(((v < 0n ? -v - 1n : v).toString(2).length + 1) / 8));
  const out = Buffer.alloc(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let i = n - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

test('decimal in bytes -> the unscaled bigint, any precision up to 38 digits', () => {
  const t = { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 2 };
  for (const v of [0n, 1n, -1n, 127n, 128n, -128n, -129n, -123456789n, 10n ** 37n - 1n, -(10n ** 37n) + 1n, 2n ** 47n, -(2n ** 47n)]) {
    assert.equal(viaPlain(t, twos(v)), v, `${v}`);
    assert.equal(roundTrip(t, v), v, `${v}`);
  }
});

test('decimal in fixed -> the unscaled bigint, sign-extended from the full width', () => {
  const t = { type: 'fixed', name: 'D', size: 9, logicalType: 'decimal', precision: 20, scale: 4 };
  for (const v of [0n, 5n, -5n, 10n ** 19n, -(10n ** 19n)]) {
    assert.equal(viaPlain(t, twos(v, 9)), v);
    assert.equal(roundTrip(t, v), v);
  }
  assert.throws(() => unscaledToBytes(2n ** 80n, 9), /does not fit in 9 bytes/);
});

test('date -> days since the epoch (a number)', () => {
  const t = { type: 'int', logicalType: 'date' };
  for (const d of [0, -1, 19_700, -719_162]) assert.equal(viaPlain(t, d), d);
});

test('time-millis and time-micros -> µs since midnight (bigint)', () => {
  assert.equal(viaPlain({ type: 'int', logicalType: 'time-millis' }, 3_723_004), 3_723_004_000n);
  assert.equal(roundTrip({ type: 'int', logicalType: 'time-millis' }, 86_399_999_000n), 86_399_999_000n);
  assert.equal(viaPlain({ type: 'long', logicalType: 'time-micros' }, 86_399_999_999), 86_399_999_999n);
});

test('timestamp-millis/micros and local-timestamp-millis/micros -> µs since the epoch (bigint)', () => {
  for (const lt of ['timestamp-millis', 'local-timestamp-millis']) {
    const t = { type: 'long', logicalType: lt };
    assert.equal(viaPlain(t, 1_700_000_000_123), 1_700_000_000_123_000n, lt);
    assert.equal(viaPlain(t, -1), -1000n, `${lt}: before the epoch`);
    assert.equal(viaPlain(t, 0), 0n);
    assert.equal(roundTrip(t, -1000n), -1000n);
    // Far beyond 2^53 µs: the long is read through BigInt, exact.
    assert.equal(roundTrip(t, 9_223_372_036_854_775_000n), 9_223_372_036_854_775_000n);
  }
  for (const lt of ['timestamp-micros', 'local-timestamp-micros']) {
    const t = { type: 'long', logicalType: lt };
    assert.equal(viaPlain(t, 1_700_000_000_123_456), 1_700_000_000_123_456n, lt);
    assert.equal(roundTrip(t, 2n ** 53n + 1n), 2n ** 53n + 1n, `${lt}: exact beyond 2^53`);
    assert.equal(roundTrip(t, -(2n ** 62n)), -(2n ** 62n));
  }
});

test('millis -> µs is exact for every long', () => {
  const t = avroType({ type: 'long', logicalType: 'timestamp-millis' });
  const plain = avro.Type.forSchema('long');
  // avsc's number encoder is exact up to 2^52 (it doubles the value for the zigzag).
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (ms) => {
      assert.equal(t.fromBuffer(plain.toBuffer(ms)), BigInt(ms) * 1000n);
    }),
  );
});

test('uuid as string or fixed(16) -> canonical lower-case text', () => {
  assert.equal(viaPlain({ type: 'string', logicalType: 'uuid' }, 'F79C3E09-677C-4BBD-A479-3F349CB785E7'), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  const bytes = Buffer.from('f79c3e09677c4bbda4793f349cb785e7', 'hex');
  assert.equal(viaPlain({ type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' }, bytes), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  assert.equal(roundTrip({ type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' }, '00000000-0000-0000-0000-0000000000ff'), '00000000-0000-0000-0000-0000000000ff');
});

test('longs are bigint and exact over the whole 64-bit range', () => {
  for (const v of [0n, -1n, 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 49n, 2n ** 49n - 1n, -(2n ** 49n)]) assert.equal(roundTrip('long', v), v);
  assert.equal(viaPlain('long', 42), 42n);
  const plainLong = avro.Type.forSchema('long');
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const buf = BIGINT_LONG.toBuffer(v);
      assert.equal(BIGINT_LONG.fromBuffer(buf), v);
      // The same bytes as avsc's own long encoding, wherever a number holds the value.
      if (v >= -(2n ** 52n) && v <= 2n ** 52n) assert.deepEqual(buf, plainLong.toBuffer(Number(v)));
    }),
  );
});

test('decimal bytes <-> bigint is a bijection', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 38n), max: 10n ** 38n }), (v) => {
      assert.equal(unscaledFromBytes(unscaledToBytes(v)), v);
      assert.equal(unscaledFromBytes(twos(v)), v);
    }),
  );
});

test('unions with null, nested records, arrays, maps, enums, fixed and bytes', () => {
  const schema = {
    type: 'record',
    name: 'Order',
    namespace: 'shop',
    fields: [
      { name: 'fee', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }], default: null },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
      { name: 'customer', type: ['null', { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: ['null', 'int'] }] }] },
      { name: 'previous', type: ['null', 'Customer'], default: null },
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'attrs', type: { type: 'map', values: 'long' } },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
      { name: 'blob', type: 'bytes' },
      { name: 'score', type: ['null', 'double'] },
    ],
  };
  const plain = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: false });
  const buf = plain.toBuffer({
    fee: twos(-250n),
    status: 'PAID',
    customer: { name: 'Zoë', tier: null },
    previous: null,
    tags: ['a', null],
    attrs: { k: 2, big: 2 ** 52 },
    hash: Buffer.from([1, 2, 3, 4]),
    blob: Buffer.from('xyz'),
    score: 0.5,
  });
  const v = avroType(schema).fromBuffer(buf) as Record<string, unknown>;
  assert.equal(v.fee, -250n);
  assert.equal(v.status, 'PAID');
  assert.deepEqual({ ...(v.customer as object) }, { name: 'Zoë', tier: null });
  assert.equal(v.previous, null);
  assert.deepEqual(v.tags, ['a', null]);
  assert.deepEqual({ ...(v.attrs as object) }, { k: 2n, big: 2n ** 52n });
  assert.ok(v.hash instanceof Uint8Array && v.blob instanceof Uint8Array);
  assert.deepEqual([...(v.hash as Uint8Array)], [1, 2, 3, 4]);
  assert.equal(v.score, 0.5);
});

test('named types referenced from another schema (registry references) resolve', () => {
  const customer = { type: 'record', name: 'Customer', namespace: 'shop', fields: [{ name: 'id', type: 'long' }] };
  const t = avroType({ type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'customer', type: 'shop.Customer' }] }, [customer]);
  assert.deepEqual({ ...(t.fromBuffer(t.toBuffer({ customer: { id: 3n } })) as { customer: object }).customer }, { id: 3n });
  assert.throws(() => avroType({ type: 'record', name: 'O', fields: [{ name: 'c', type: 'shop.Customer' }] }), /undefined type name|shop\.Customer/);
});

test('the caller’s schema object is not modified', () => {
  const schema = { type: 'record', name: 'R', fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }] };
  const before = JSON.stringify(schema);
  avroType(schema);
  assert.equal(JSON.stringify(schema), before);
});
