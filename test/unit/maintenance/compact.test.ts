import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineRows } from '../../../src/maintenance/index.js';
import type { Row } from '../../../src/parquet/read.js';
import type { Schema } from '../../../src/spec/types.js';

const ROLLUP: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'window_start', required: true, type: { type: 'timestamptz' } },
    { id: 2, name: 'window_end', required: true, type: { type: 'timestamptz' } },
    { id: 3, name: 'merchant', required: false, type: { type: 'string' } },
    { id: 4, name: 'count', required: true, type: { type: 'long' } },
    { id: 5, name: 'revenue', required: false, type: { type: 'decimal', precision: 38, scale: 2 } },
    { id: 6, name: 'lo', required: false, type: { type: 'long' } },
    { id: 7, name: 'hi', required: false, type: { type: 'timestamptz' } },
  ],
};
const MEASURES = [
  { name: 'count', fn: 'count' as const },
  { name: 'revenue', fn: 'sum' as const },
  { name: 'lo', fn: 'min' as const },
  { name: 'hi', fn: 'max' as const },
];
const opts = { groups: ['merchant'], measures: MEASURES };

/** The totals per key as the view computes them: a map from key to [count, revenue, lo, hi]. */
function totals(rows: readonly Row[]): Map<string, string> {
  const m = new Map<string, { c: bigint; r: bigint | null; lo: bigint | null; hi: bigint | null }>();
  for (const r of rows) {
    const k = `${String(r.window_start)}|${String(r.merchant)}`;
    const t = m.get(k) ?? { c: 0n, r: null, lo: null, hi: null };
    t.c += r.count as bigint;
    if (r.revenue !== null) t.r = (t.r ?? 0n) + (r.revenue as bigint);
    if (r.lo !== null && (t.lo === null || (r.lo as bigint) < t.lo)) t.lo = r.lo as bigint;
    if (r.hi !== null && (t.hi === null || (r.hi as bigint) > t.hi)) t.hi = r.hi as bigint;
    m.set(k, t);
  }
  return new Map([...m].map(([k, t]) => [k, `${t.c} ${String(t.r)} ${String(t.lo)} ${String(t.hi)}`]));
}

const partial = fc.record({
  w: fc.integer({ min: 0, max: 3 }),
  merchant: fc.constantFrom('a', 'b', null),
  count: fc.bigInt({ min: 1n, max: 1000n }),
  revenue: fc.option(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n })),
  lo: fc.option(fc.bigInt({ min: -100n, max: 100n })),
  hi: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n })),
});
const toRow = (p: { w: number; merchant: string | null; count: bigint; revenue: bigint | null; lo: bigint | null; hi: bigint | null }): Row => ({
  window_start: BigInt(p.w) * 60_000_000n,
  window_end: BigInt(p.w + 1) * 60_000_000n,
  merchant: p.merchant,
  count: p.count,
  revenue: p.revenue,
  lo: p.lo,
  hi: p.hi,
});

test('combineRows: one row per key, the same totals as the partial rows, and combining in any pieces gives the same', () => {
  fc.assert(
    fc.property(fc.array(partial, { maxLength: 80 }), fc.integer({ min: 1, max: 80 }), (ps, cut) => {
      const rows = ps.map(toRow);
      const once = combineRows(rows, ROLLUP, opts);
      assert.equal(once.length, new Set(rows.map((r) => `${String(r.window_start)}|${String(r.merchant)}`)).size);
      assert.deepEqual(totals(once), totals(rows));
      // Two compactions (of a prefix, then of the result with the rest) = one.
      const twice = combineRows([...combineRows(rows.slice(0, cut), ROLLUP, opts), ...rows.slice(cut)], ROLLUP, opts);
      assert.deepEqual(totals(twice), totals(rows));
      assert.equal(twice.length, once.length);
    }),
  );
});

test('combineRows: a sum that would leave decimal(38) or long starts another row for the key, and nothing is lost', () => {
  const big = 10n ** 38n - 1n;
  const dec = combineRows([big, 5n, big - 10n].map((revenue) => toRow({ w: 0, merchant: 'a', count: 1n, revenue, lo: null, hi: null })), ROLLUP, opts);
  assert.deepEqual(dec.map((r) => [r.count, r.revenue]), [[1n, big], [2n, big - 5n]]);
  const half = 1n << 62n;
  const long = combineRows([half, half, 1n].map((count) => toRow({ w: 0, merchant: 'a', count, revenue: 1n, lo: null, hi: null })), ROLLUP, opts);
  assert.deepEqual(long.map((r) => [r.count, r.revenue]), [[half, 1n], [half + 1n, 2n]]);
});
