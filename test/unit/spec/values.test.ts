import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bigintToMinimalBytes,
  comparatorFor,
  compareStrings,
  deserializeValue,
  minimalBytesToBigint,
  serializeValue,
  truncateBytesLower,
  truncateBytesUpper,
  truncateStringLower,
  truncateStringUpper,
  uuidToBytes,
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
  // Any UTF-16 text, lone surrogates included (UTF-8 writes them as U+FFFD), and shared prefixes.
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', maxLength: 3 }), (a, b, p) => {
      for (const [x, y] of [[a, b], [p + a, p + b], [p, p + b]] as const) {
        assert.equal(Math.sign(compareStrings(x, y)), Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
      }
    }),
  );
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

test('single-value serialization round-trips the remaining types and reads v1 promoted bounds', () => {
  roundTrip({ type: 'time' }, fc.bigInt({ min: 0n, max: 86_400_000_000n - 1n }));
  roundTrip({ type: 'timestamp_ns' }, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
  roundTrip({ type: 'fixed', length: 3 }, fc.uint8Array({ minLength: 3, maxLength: 3 }));
  assert.equal(deserializeValue({ type: 'long' }, serializeValue({ type: 'int' }, -5)), -5n);
  assert.equal(deserializeValue({ type: 'double' }, serializeValue({ type: 'float' }, 1.5)), 1.5);
  assert.throws(() => serializeValue({ type: 'unknown' }, null), /no single-value serialization/);
});

test('comparators order each type as Iceberg does', () => {
  const dbl = comparatorFor({ type: 'double' });
  assert.ok(dbl(-0, 0) < 0 && dbl(0, -0) > 0 && dbl(0, 0) === 0 && dbl(-1, 2) < 0);
  const uuid = comparatorFor({ type: 'uuid' });
  fc.assert(fc.property(fc.uuid(), fc.uuid(), (a, b) => assert.equal(Math.sign(uuid(a, b)), Math.sign(Buffer.compare(uuidToBytes(a), uuidToBytes(b))))));
  const bin = comparatorFor({ type: 'binary' });
  assert.ok(bin(Uint8Array.of(0x7f), Uint8Array.of(0x80)) < 0, 'bytes compare unsigned');
  assert.ok(bin(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0, 'a prefix orders first');
  const lng = comparatorFor({ type: 'long' });
  fc.assert(fc.property(fc.bigInt(), fc.bigInt(), (a, b) => assert.equal(Math.sign(lng(a, b)), a < b ? -1 : a > b ? 1 : 0)));
  assert.ok(comparatorFor({ type: 'boolean' })(false, true) < 0);
});

test('truncated upper bounds skip what cannot be incremented', () => {
  assert.equal(truncateStringUpper('a\u{10FFFF}\u{10FFFF}z', 3), 'b');
  assert.equal(truncateStringUpper('\u{10FFFF}\u{10FFFF}z', 2), undefined);
  assert.equal(truncateStringUpper('a\uD7FFz', 2), 'a\uE000', 'the surrogate block is skipped');
  assert.equal(truncateStringLower('🎉🎉🎉', 2), '🎉🎉');
  assert.equal(truncateStringUpper('ab', 2), 'ab', 'short values are their own bounds');
  assert.deepEqual(truncateBytesUpper(Uint8Array.of(1, 2), 2), Uint8Array.of(1, 2));
});
