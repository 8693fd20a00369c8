import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketHash, canTransform, compileTransform, humanValue, parseTransform, resultType, transformToString } from '../../../src/spec/transforms.js';
import { murmur3 } from '../../../src/spec/murmur3.js';
import { bigintToMinimalBytes } from '../../../src/spec/values.js';
import type { PrimitiveType } from '../../../src/spec/types.js';

const days = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

test('bucket hashes match every test vector of the spec appendix', () => {
  const cases: Array<[PrimitiveType, Parameters<typeof bucketHash>[0], number]> = [
    [{ type: 'int' }, 34, 2017239379],
    [{ type: 'long' }, 34n, 2017239379],
    [{ type: 'decimal', precision: 4, scale: 2 }, 1420n, -500754589],
    [{ type: 'date' }, days('2017-11-16'), -653330422],
    [{ type: 'time' }, (22n * 3600n + 31n * 60n + 8n) * 1_000_000n, -662762989],
    [{ type: 'timestamp' }, micros('2017-11-16T22:31:08Z'), -2047944441],
    [{ type: 'timestamptz' }, micros('2017-11-16T14:31:08-08:00'), -2047944441],
    [{ type: 'timestamp_ns' }, micros('2017-11-16T22:31:08Z') * 1000n + 1n, -2047944441],
    [{ type: 'string' }, 'iceberg', 1210000089],
    [{ type: 'uuid' }, 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
    [{ type: 'fixed', length: 4 }, Uint8Array.of(0, 1, 2, 3), -188683207],
    [{ type: 'binary' }, Uint8Array.of(0, 1, 2, 3), -188683207],
  ];
  for (const [type, v, want] of cases) assert.equal(bucketHash(v, type), want, `${type.type} ${String(v)}`);
});

test('bucket results are in [0, N) and int and long agree', () => {
  const bi = compileTransform({ kind: 'bucket', n: 16 }, { type: 'int' });
  const bl = compileTransform({ kind: 'bucket', n: 16 }, { type: 'long' });
  fc.assert(
    fc.property(fc.integer(), (x) => {
      const b = bi(x) as number;
      assert.ok(b >= 0 && b < 16);
      assert.equal(bl(BigInt(x)), b);
    }),
  );
});

test('truncate follows the spec examples, floor towards negative infinity', () => {
  assert.equal(compileTransform({ kind: 'truncate', width: 10 }, { type: 'int' })(1), 0);
  assert.equal(compileTransform({ kind: 'truncate', width: 10 }, { type: 'int' })(-1), -10);
  assert.equal(compileTransform({ kind: 'truncate', width: 10 }, { type: 'long' })(-1n), -10n);
  assert.equal(compileTransform({ kind: 'truncate', width: 50 }, { type: 'decimal', precision: 9, scale: 2 })(1065n), 1050n);
  assert.equal(compileTransform({ kind: 'truncate', width: 3 }, { type: 'string' })('iceberg'), 'ice');
  assert.equal(compileTransform({ kind: 'truncate', width: 2 }, { type: 'string' })('🎉🎉🎉'), '🎉🎉');
  assert.deepEqual(compileTransform({ kind: 'truncate', width: 2 }, { type: 'binary' })(Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2));
  fc.assert(
    fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1000 }), (v, w) => {
      const t = compileTransform({ kind: 'truncate', width: w }, { type: 'int' })(v) as number;
      assert.ok(t <= v && v - t < w && t % w === 0);
    }),
  );
});

test('time transforms are correct before 1970', () => {
  const ts: PrimitiveType = { type: 'timestamptz' };
  assert.equal(compileTransform({ kind: 'year' }, ts)(micros('1969-12-31T23:59:59Z')), -1);
  assert.equal(compileTransform({ kind: 'month' }, ts)(micros('1969-12-31T23:59:59Z')), -1);
  assert.equal(compileTransform({ kind: 'day' }, ts)(micros('1969-12-31T23:59:59Z')), -1);
  assert.equal(compileTransform({ kind: 'hour' }, ts)(micros('1969-12-31T23:59:59Z')), -1);
  assert.equal(compileTransform({ kind: 'hour' }, ts)(-1n), -1);
  assert.equal(compileTransform({ kind: 'day' }, { type: 'date' })(days('2017-11-16')), days('2017-11-16'));
  assert.equal(compileTransform({ kind: 'month' }, { type: 'date' })(days('2017-11-16')), 47 * 12 + 10);
  assert.equal(compileTransform({ kind: 'year' }, { type: 'date' })(days('1900-03-01')), -70);
  assert.equal(compileTransform({ kind: 'void' }, ts)(5n), null);
  assert.equal(compileTransform({ kind: 'day' }, ts)(null), null);
});

test('human-readable partition values', () => {
  assert.equal(humanValue({ kind: 'day' }, { type: 'date' }, days('2024-01-02')), '2024-01-02');
  assert.equal(humanValue({ kind: 'hour' }, { type: 'int' }, Number(micros('2024-01-02T10:00:00Z') / 3_600_000_000n)), '2024-01-02-10');
  assert.equal(humanValue({ kind: 'month' }, { type: 'int' }, -1), '1969-12');
  assert.equal(humanValue({ kind: 'year' }, { type: 'int' }, 54), '2024');
  assert.equal(humanValue({ kind: 'identity' }, { type: 'decimal', precision: 9, scale: 2 }, -5n), '-0.05');
  assert.equal(humanValue({ kind: 'identity' }, { type: 'string' }, null), 'null');
});

test('transform strings parse and print, bad ones are refused clearly', () => {
  for (const s of ['identity', 'bucket[16]', 'truncate[4]', 'year', 'month', 'day', 'hour', 'void']) assert.equal(transformToString(parseTransform(s)), s);
  assert.throws(() => parseTransform('bucket[0]'), /positive integer/);
  assert.throws(() => parseTransform('weekly'), /unknown partition transform 'weekly'/);
  assert.throws(() => compileTransform({ kind: 'hour' }, { type: 'date' }), /cannot apply to type date/);
  assert.deepEqual(resultType({ kind: 'day' }, { type: 'timestamptz' }), { type: 'date' });
});

test('bucket: the remaining appendix vectors (microsecond steps, nanoseconds hashed as micros)', () => {
  const base = micros('2017-11-16T22:31:08Z');
  assert.equal(bucketHash(base + 1n, { type: 'timestamp' }), -1207196810);
  assert.equal(bucketHash(base + 1n, { type: 'timestamptz' }), -1207196810);
  assert.equal(bucketHash((base + 1n) * 1000n + 1n, { type: 'timestamp_ns' }), -1207196810);
  assert.equal(bucketHash(base * 1000n, { type: 'timestamptz_ns' }), -2047944441);
  assert.equal(bucketHash('F79C3E09-677C-4BBD-A479-3F349CB785E7', { type: 'uuid' }), 1488055340);
  assert.equal(bucketHash(Uint8Array.from(Buffer.from('f79c3e09677c4bbda4793f349cb785e7', 'hex')), { type: 'uuid' }), 1488055340);
  assert.throws(() => compileTransform({ kind: 'bucket', n: 4 }, { type: 'double' }), /cannot apply to type double/);
});

test('bucket fast paths equal Murmur3 over the bytes the appendix names', () => {
  const le8 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    return b;
  };
  fc.assert(
    fc.property(fc.integer(), (x) => assert.equal(bucketHash(x, { type: 'int' }), murmur3(le8(BigInt(x))))),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (x) => assert.equal(bucketHash(x, { type: 'long' }), murmur3(le8(x)))),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (x) =>
      assert.equal(bucketHash(x, { type: 'decimal', precision: 38, scale: 0 }), murmur3(bigintToMinimalBytes(x))),
    ),
  );
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => assert.equal(bucketHash(s, { type: 'string' }), murmur3(Buffer.from(s, 'utf8')))));
  fc.assert(fc.property(fc.uuid(), (u) => assert.equal(bucketHash(u, { type: 'uuid' }), murmur3(Buffer.from(u.replace(/-/g, ''), 'hex')))));
  // A long string after a short one: the shared scratch buffer grows and stays correct.
  const long = 'é'.repeat(5000);
  assert.equal(bucketHash(long, { type: 'string' }), murmur3(Buffer.from(long, 'utf8')));
});

test('year, month, day and hour agree with floor division and the calendar for any instant', () => {
  const y = compileTransform({ kind: 'year' }, { type: 'timestamptz' });
  const mo = compileTransform({ kind: 'month' }, { type: 'timestamp' });
  const d = compileTransform({ kind: 'day' }, { type: 'timestamptz' });
  const h = compileTransform({ kind: 'hour' }, { type: 'timestamptz' });
  const hns = compileTransform({ kind: 'hour' }, { type: 'timestamptz_ns' });
  const dateMonth = compileTransform({ kind: 'month' }, { type: 'date' });
  const floor = (a: bigint, b: bigint) => (a % b !== 0n && a < 0n ? a / b - 1n : a / b);
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), (us) => {
      assert.equal(BigInt(d(us) as number), floor(us, 86_400_000_000n));
      assert.equal(BigInt(h(us) as number), floor(us, 3_600_000_000n));
      assert.equal(hns(us * 1000n + 999n), h(us));
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: -8_000_000_000_000, max: 8_000_000_000_000 }), (ms) => {
      const dt = new Date(ms);
      const us = BigInt(ms) * 1000n;
      assert.equal(y(us), dt.getUTCFullYear() - 1970);
      assert.equal(mo(us), (dt.getUTCFullYear() - 1970) * 12 + dt.getUTCMonth());
      assert.equal(dateMonth(Math.floor(ms / 86_400_000)), mo(us));
    }),
  );
});

test('day and hour path values format like ISO dates for every day', () => {
  fc.assert(
    fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), fc.integer({ min: 0, max: 23 }), (day, hr) => {
      const iso = new Date(day * 86_400_000).toISOString();
      assert.equal(humanValue({ kind: 'day' }, { type: 'date' }, day), iso.slice(0, 10));
      assert.equal(humanValue({ kind: 'hour' }, { type: 'int' }, day * 24 + hr), `${iso.slice(0, 10)}-${String(hr).padStart(2, '0')}`);
    }),
  );
  assert.equal(humanValue({ kind: 'month' }, { type: 'int' }, 647), '2023-12');
  assert.equal(humanValue({ kind: 'year' }, { type: 'int' }, -1), '1969');
  assert.equal(humanValue({ kind: 'identity' }, { type: 'timestamptz' }, 1_700_000_000_123_456n), '2023-11-14T22:13:20.123456+00:00');
  assert.equal(humanValue({ kind: 'identity' }, { type: 'timestamp_ns' }, -1n), '1969-12-31T23:59:59.999999999');
  assert.equal(humanValue({ kind: 'identity' }, { type: 'time' }, 81_068_000_001n), '22:31:08.000001');
});

test('truncate strings by code points and keep the prefix property', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (s, w) => {
      const t = compileTransform({ kind: 'truncate', width: w }, { type: 'string' })(s) as string;
      assert.ok(s.startsWith(t));
      assert.equal(Array.from(t).length, Math.min(w, Array.from(s).length));
    }),
  );
  // Java's int and long arithmetic wraps at the minimum value; the engines compute the same.
  assert.equal(compileTransform({ kind: 'truncate', width: 10 }, { type: 'int' })(-2147483648), 2147483646);
  assert.equal(compileTransform({ kind: 'truncate', width: 10 }, { type: 'long' })(-(2n ** 63n)), 2n ** 63n - 2n);
});

test('unknown transforms are read leniently and never applied', () => {
  const t = parseTransform('zorder', true);
  assert.deepEqual(t, { kind: 'unknown', name: 'zorder' });
  assert.equal(transformToString(t), 'zorder');
  assert.equal(canTransform(t, { type: 'int' }), false);
  assert.throws(() => compileTransform(t, { type: 'int' }), /cannot apply/);
  assert.equal(canTransform({ kind: 'bucket', n: 2 }, { type: 'struct', fields: [] }), false);
  assert.equal(canTransform({ kind: 'void' }, { type: 'float' }), true);
  assert.deepEqual(resultType({ kind: 'bucket', n: 3 }, { type: 'string' }), { type: 'int' });
  assert.deepEqual(resultType({ kind: 'truncate', width: 3 }, { type: 'string' }), { type: 'string' });
});
