import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkContiguity,
  mergeOffsets,
  offsetsKey,
  parseOffsets,
  planResume,
  serializeOffsets,
  storedOffsets,
  tpKey,
  type OffsetMap,
} from '../../../src/commit/index.js';
import { isFloeError } from '../../../src/errors.js';

const offsetMap = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.dictionary(fc.nat(63).map(String), fc.nat({ max: Number.MAX_SAFE_INTEGER })))
  .map((o): OffsetMap => new Map(Object.entries(o).map(([t, ps]) => [t, new Map(Object.entries(ps).map(([p, v]) => [Number(p), v]))])));

test('offset maps survive serialize/parse and serialize canonically', () => {
  fc.assert(
    fc.property(offsetMap, (m) => {
      const s = serializeOffsets(m);
      assert.equal(serializeOffsets(parseOffsets(s)), s);
    }),
  );
});

test('merge keeps every partition of the base and takes the updates', () => {
  fc.assert(
    fc.property(offsetMap, offsetMap, (base, upd) => {
      const merged = mergeOffsets(base, upd);
      for (const [t, ps] of base) for (const [p, o] of ps) assert.equal(merged.get(t)?.get(p), upd.get(t)?.get(p) ?? o);
      for (const [t, ps] of upd) for (const [p, o] of ps) assert.equal(merged.get(t)?.get(p), o);
    }),
  );
});

test('a malformed offset map is refused with METADATA_INVALID', () => {
  for (const bad of ['nope', '[]', '{"t": 3}', '{"t": {"0": -1}}', '{"t": {"x": 1}}', '{"t": {"0": 1.5}}']) {
    assert.throws(() => parseOffsets(bad), (e) => isFloeError(e, 'METADATA_INVALID'), bad);
  }
});

test('stored offsets come from the newest snapshot in the ancestry that has the key', () => {
  const key = offsetsKey('g');
  const ancestry = [
    { snapshotId: 3, summary: { operation: 'delete' } }, // a Spark DELETE after Floe
    { snapshotId: 2, summary: { [key]: '{"t":{"0":7}}' } },
    { snapshotId: 1, summary: { [key]: '{"t":{"0":3}}' } },
  ];
  assert.equal(storedOffsets(ancestry, 'g').get('t')?.get(0), 7);
  assert.equal(storedOffsets(ancestry, 'other').size, 0);
});

test('resume seeks to the smallest table start; unknown partitions use the group offset or the reset policy', () => {
  const tables = new Map<string, OffsetMap>([
    ['a', new Map([['t', new Map([[0, 10], [1, 5]])]])],
    ['b', new Map([['t', new Map([[0, 4]])]])],
  ]);
  const plan = planResume({
    partitions: [0, 1, 2].map((partition) => ({ topic: 't', partition })),
    tables,
    tablesOf: () => ['a', 'b'],
    groupOffset: (_t, p) => (p === 1 ? 8 : undefined),
    logStart: () => 0,
    logEnd: () => 100,
    reset: 'latest',
  });
  assert.equal(plan.seek.get(tpKey('t', 0)), 4);
  assert.equal(plan.seek.get(tpKey('t', 1)), 5, 'table a knows partition 1 at 5; b falls back to the group offset 8');
  assert.equal(plan.starts.get('b')?.get(tpKey('t', 1)), 8);
  assert.equal(plan.seek.get(tpKey('t', 2)), 100, 'nobody knows partition 2: reset policy latest');
  assert.deepEqual(plan.truncated, []);
});

test('a stored offset below the log start is reported and resumes from the log start', () => {
  const plan = planResume({
    partitions: [{ topic: 't', partition: 0 }],
    tables: new Map([['a', new Map([['t', new Map([[0, 3]])]])]]),
    tablesOf: () => ['a'],
    groupOffset: () => undefined,
    logStart: () => 50,
    logEnd: () => 100,
    reset: 'earliest',
  });
  assert.equal(plan.seek.get(tpKey('t', 0)), 50);
  assert.deepEqual(plan.truncated, [{ table: 'a', topic: 't', partition: 0, stored: 3, logStart: 50 }]);
});

test('the fence passes an absent or equal stored offset and names every other partition', () => {
  const stored: OffsetMap = new Map([['t', new Map([[0, 10], [1, 20]])]]);
  const ranges = [
    { topic: 't', partition: 0, start: 10, end: 15 },
    { topic: 't', partition: 1, start: 18, end: 25 },
    { topic: 't', partition: 2, start: 0, end: 5 },
  ];
  assert.deepEqual(checkContiguity(stored, ranges), [{ topic: 't', partition: 1, expected: 18, stored: 20 }]);
});
