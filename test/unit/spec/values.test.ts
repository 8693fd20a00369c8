import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bigintToMinimalBytes,
  compareStrings,
  deserializeValue,
  minimalBytesToBigint,
  serializeValue,
  truncateBytesLower,
  truncateBytesUpper,
  truncateStringLower,
  truncateStringUpper,
} from '../../../src/spec/values.js';
import type { PrimitiveType, Value } from '../../../src/spec/types.js';

const roundTrip = (type: PrimitiveType, arb: fc.Arbitrary<Value>) =>
  fc.assert(fc.property(arb, (v) => assert.deepEqual(deserializeValue(type, serializeValue(type, v)), v)));

test('single-value serialization round-trips every primitive type', () => {
  roundTrip({ type: 'boolean' }, fc.boolean());
  roundTrip({ type: 'int' }, fc.integer());
  roundTrip({ type: 'date' }, fc.integer({ min: -1_000_000, max: 3_000_000 }));
  roundTrip({ type: 'long' }, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
  roundTrip({ type: 'timestamptz' }, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
  roundTrip({ type: 'double' }, fc.double({ noNaN: true }));
  roundTrip({ type: 'float' }, fc.float({ noNaN: true }).map((x) => Math.fround(x)));
  roundTrip({ type: 'string' }, fc.string({ unit: 'binary' }));
  roundTrip({ type: 'uuid' }, fc.uuid());
  roundTrip({ type: 'binary' }, fc.uint8Array());
  roundTrip({ type: 'decimal', precision: 38, scale: 10 }, fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }));
});

test('decimals use minimal two-complement big-endian bytes (spec examples)', () => {
  assert.deepEqual([...bigintToMinimalBytes(0n)], [0x00]);
  assert.deepEqual([...bigintToMinimalBytes(127n)], [0x7f]);
  assert.deepEqual([...bigintToMinimalBytes(128n)], [0x00, 0x80]);
  assert.deepEqual([...bigintToMinimalBytes(-1n)], [0xff]);
  assert.deepEqual([...bigintToMinimalBytes(-128n)], [0x80]);
  assert.deepEqual([...bigintToMinimalBytes(-129n)], [0xff, 0x7f]);
  assert.deepEqual([...bigintToMinimalBytes(1420n)], [0x05, 0x8c]);
  fc.assert(fc.property(fc.bigInt(), (v) => assert.equal(minimalBytesToBigint(bigintToMinimalBytes(v)), v)));
});

test('little-endian layouts as the spec says', () => {
  assert.deepEqual([...serializeValue({ type: 'int' }, 1)], [1, 0, 0, 0]);
  assert.deepEqual([...serializeValue({ type: 'long' }, -2n)], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...serializeValue({ type: 'uuid' }, 'f79c3e09-677c-4bbd-a479-3f349cb785e7')].slice(0, 2), [0xf7, 0x9c]);
});

test('strings order by code point, like their UTF-8 bytes', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareStrings(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }),
  );
  assert.ok(compareStrings('\uffff', '\u{10000}') < 0);
});

test('truncated bounds enclose the value', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 20 }), (s, n) => {
      const lo = truncateStringLower(s, n);
      const hi = truncateStringUpper(s, n);
      assert.ok(compareStrings(lo, s) <= 0);
      if (hi !== undefined) assert.ok(compareStrings(s, hi) <= 0, `${JSON.stringify(s)} <= ${JSON.stringify(hi)}`);
      assert.ok(Array.from(lo).length <= n);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 20 }), (b, n) => {
      const lo = truncateBytesLower(b, n);
      const hi = truncateBytesUpper(b, n);
      assert.ok(Buffer.compare(lo, b) <= 0);
      if (hi !== undefined) assert.ok(Buffer.compare(b, hi) <= 0);
    }),
  );
  assert.equal(truncateStringUpper('abcdef', 3), 'abd');
  assert.equal(truncateBytesUpper(Uint8Array.of(1, 0xff, 0xff, 3), 3)?.join(','), '2');
  assert.equal(truncateBytesUpper(Uint8Array.of(0xff, 0xff, 3), 2), undefined);
});
