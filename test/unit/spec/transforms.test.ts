import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketHash, compileTransform, humanValue, parseTransform, resultType, transformToString } from '../../../src/spec/transforms.js';
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
