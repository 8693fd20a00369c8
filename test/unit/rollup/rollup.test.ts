/**
 * Rollup mode's pure parts: planning against the value schema (every refusal names its key) and
 * the batch aggregator, whose partial rows must combine to the aggregate of all records however
 * the stream is cut into batches (the property that makes replays and late events exact).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RollupAggregator, planRollup, LateEventError, rollupViewRequest } from '../../../src/rollup/index.js';
import type { RollupConfig } from '../../../src/config/mapping.js';
import type { Schema, Value } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';

const ORDERS: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'merchant', required: true, type: { type: 'string' } },
    { id: 2, name: 'amount', required: false, type: { type: 'decimal', precision: 12, scale: 2 } },
    { id: 3, name: 'qty', required: true, type: { type: 'int' } },
    { id: 4, name: 'event_time', required: true, type: { type: 'timestamptz' } },
    { id: 5, name: 'score', required: false, type: { type: 'double' } },
    { id: 6, name: 'customer', required: false, type: { type: 'struct', fields: [{ id: 7, name: 'country', required: false, type: { type: 'string' } }, { id: 8, name: 'since', required: false, type: { type: 'date' } }] } },
    { id: 9, name: 'tags', required: false, type: { type: 'list', elementId: 10, elementRequired: false, element: { type: 'string' } } },
    { id: 11, name: 'big', required: false, type: { type: 'long' } },
  ],
};

const cfg = (over: Partial<RollupConfig> = {}): RollupConfig =>
  ({
    timeField: 'event_time',
    window: 60_000,
    groupBy: ['merchant', 'customer.country'],
    measures: [
      { fn: 'count', name: 'count' },
      { fn: 'sum', field: 'amount', name: 'revenue' },
      { fn: 'min', field: 'amount', name: 'min_amount' },
      { fn: 'max', field: 'event_time', name: 'last_seen' },
      { fn: 'sum', field: 'qty', name: 'qty' },
      { fn: 'sum', field: 'score', name: 'score' },
    ],
    ...over,
  }) as RollupConfig;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(isFloeError(err, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${String(err)}`);
    return (err as Error).message;
  }
  assert.fail('expected a refusal');
}

test('the rollup table: window bounds, group columns by their last name, measures typed for exact sums', () => {
  const p = planRollup(cfg(), ORDERS, 'mappings[1]');
  const cols = p.schema.fields.map((f) => `${f.name}:${f.type.type === 'decimal' ? `decimal(${f.type.precision},${f.type.scale})` : f.type.type}${f.required ? '!' : ''}`);
  assert.deepEqual(cols, ['window_start:timestamptz!', 'window_end:timestamptz!', 'merchant:string', 'country:string', 'count:long!', 'revenue:decimal(38,2)', 'min_amount:decimal(12,2)', 'last_seen:timestamptz', 'qty:long', 'score:double']);
  assert.deepEqual(new Set(p.schema.fields.map((f) => f.id)).size, p.schema.fields.length, 'distinct field ids');
  assert.equal(p.windowUs, 60_000_000n);
});

test('invalid rollups are refused naming the key and what is expected', () => {
  assert.match(refusal(() => planRollup(cfg({ measures: [{ fn: 'sum', field: 'merchant', name: 's' }] }), ORDERS, 'mappings[1]')), /^mappings\[1\]\.rollup\.measures\[0\]: sum\(merchant\) needs a numeric field .* 'merchant' is a string/);
  assert.match(refusal(() => planRollup(cfg({ measures: [{ fn: 'max', field: 'tags', name: 's' }] }), ORDERS, 'mappings[0]')), /^mappings\[0\]\.rollup\.measures\[0\]: max\(tags\) needs a numeric, decimal, date, time or timestamp field/);
  assert.match(refusal(() => planRollup(cfg({ groupBy: ['nope'] }), ORDERS, 'mappings[2]')), /^mappings\[2\]\.rollup\.groupBy\[0\]: 'nope' is not a field of the value schema \(it has merchant, amount/);
  assert.match(refusal(() => planRollup(cfg({ groupBy: ['customer.city'] }), ORDERS, 'm')), /^m\.rollup\.groupBy\[0\]: 'customer\.city' is not a field .*customer has country, since/);
  assert.match(refusal(() => planRollup(cfg({ groupBy: ['merchant.x'] }), ORDERS, 'm')), /'merchant' is a string, not a record/);
  assert.match(refusal(() => planRollup(cfg({ groupBy: ['customer'] }), ORDERS, 'm')), /^m\.rollup\.groupBy\[0\]: 'customer' is a struct; group by a primitive field/);
  assert.match(refusal(() => planRollup(cfg({ timeField: 'merchant' }), ORDERS, 'm')), /^m\.rollup\.timeField: 'merchant' is a string; the event time must be a timestamp/);
  assert.match(refusal(() => planRollup(cfg({ window: 0 }), ORDERS, 'm')), /^m\.rollup\.window: must be at least 1s/);
});

const T0 = 1_700_000_000_000_000n; // µs
const row = (merchant: string, amount: bigint | null, at: bigint, country: string | null = 'DE', qty = 1, score: number | null = 0.5): { [k: string]: Value } => ({
  merchant,
  amount,
  qty,
  event_time: at,
  score,
  customer: country === null ? null : { country, since: 19_000 },
  tags: null,
  big: null,
});

test('a hot key yields one row per (window, group) per batch, and windows align to the epoch', () => {
  const a = new RollupAggregator(planRollup(cfg(), ORDERS, 'm'));
  for (let i = 0; i < 10_000; i++) a.add(row('hot', 100n, T0 + BigInt(i) * 1000n), undefined); // 10 s of events
  a.add(row('cold', -5n, T0 - 1n, null), undefined);
  const rows = a.drain();
  const ws = (T0 / 60_000_000n) * 60_000_000n;
  assert.equal(rows.length, 2);
  const hot = rows.find((r) => r.merchant === 'hot') as { [k: string]: Value };
  assert.deepEqual({ ...hot }, { window_start: ws, window_end: ws + 60_000_000n, merchant: 'hot', country: 'DE', count: 10_000n, revenue: 1_000_000n, min_amount: 100n, last_seen: T0 + 9_999_000n, qty: 10_000n, score: 5000 });
  const cold = rows.find((r) => r.merchant === 'cold') as { [k: string]: Value };
  assert.equal(cold.country, null);
  assert.equal(a.size, 0, 'drained');
  // Before the epoch, windows still start at multiples of the window size.
  const b = new RollupAggregator(planRollup(cfg(), ORDERS, 'm'));
  b.add(row('x', 1n, -1n), undefined);
  assert.equal(b.drain()[0]?.window_start, -60_000_000n);
});

test('null measures are skipped as SQL does; a missing event time is a record fault', () => {
  const a = new RollupAggregator(planRollup(cfg(), ORDERS, 'm'));
  a.add(row('m', null, T0, 'DE', 2, null), undefined);
  const [r] = a.drain();
  assert.equal(r?.count, 1n);
  assert.equal(r?.revenue, null);
  assert.equal(r?.qty, 2n);
  assert.equal(r?.score, null);
  assert.throws(() => a.add({ ...row('m', 1n, T0), event_time: null }, undefined), (e: unknown) => isFloeError(e, 'CONVERT_FAILED') && /event-time field 'event_time' is null/.test((e as Error).message));
  assert.equal(a.size, 0, 'nothing added by a refused record');
});

test('the lateness bound compares the event time with the record timestamp; the Kafka timestamp can be the event time', () => {
  const a = new RollupAggregator(planRollup(cfg({ lateness: 300_000 }), ORDERS, 'm'));
  const kafkaMs = Number(T0 / 1000n);
  a.add(row('m', 1n, T0 - 299_000_000n), kafkaMs);
  assert.throws(() => a.add(row('m', 1n, T0 - 301_000_000n), kafkaMs), (e: unknown) => e instanceof LateEventError && /301 s older than its Kafka timestamp, past the lateness bound of 300 s/.test(e.message));
  const k = new RollupAggregator(planRollup(cfg({ timeField: undefined, kafkaTimestamp: true }), ORDERS, 'm'));
  k.add(row('m', 1n, 0n), kafkaMs);
  assert.equal(k.drain()[0]?.window_start, (T0 / 60_000_000n) * 60_000_000n);
});

test('a partial sum that would overflow its column closes the row and opens another: nothing lost', () => {
  const schema: Schema = { schemaId: 0, fields: [{ id: 1, name: 'g', required: true, type: { type: 'string' } }, { id: 2, name: 'v', required: true, type: { type: 'long' } }, { id: 3, name: 't', required: true, type: { type: 'timestamp' } }] };
  const a = new RollupAggregator(planRollup({ timeField: 't', window: 60_000, groupBy: ['g'], measures: [{ fn: 'sum', field: 'v', name: 's' }, { fn: 'count', name: 'n' }] } as RollupConfig, schema, 'm'));
  const max = (1n << 63n) - 1n;
  for (let i = 0; i < 3; i++) a.add({ g: 'x', v: max, t: 0n }, undefined);
  const rows = a.drain();
  assert.equal(rows.length, 3);
  assert.equal(rows.reduce((s, r) => s + (r.s as bigint), 0n), 3n * max);
  assert.equal(rows.reduce((s, r) => s + (r.n as bigint), 0n), 3n);
});

test('groups are told apart by value and type: null, a string that looks like the null key, one and several group columns', () => {
  const single = new RollupAggregator(planRollup(cfg({ groupBy: ['customer.country'] }), ORDERS, 'm'));
  const multi = new RollupAggregator(planRollup(cfg(), ORDERS, 'm'));
  for (const a of [single, multi]) {
    for (const c of [null, '\u0000', '', 'DE', 'DE', null]) a.add(row('m', 1n, T0, c), undefined);
  }
  const counts = (rows: Array<{ [k: string]: Value }>) => rows.map((r) => `${JSON.stringify(r.country)}:${String(r.count)}`).sort();
  assert.deepEqual(counts(single.drain()), ['"":1', '"DE":2', '"\\u0000":1', 'null:2']);
  assert.deepEqual(counts(multi.drain()), ['"":1', '"DE":2', '"\\u0000":1', 'null:2']);
});

test('any cut of a stream into batches: the partial rows combine to the aggregate of the whole stream (property)', () => {
  const plan = planRollup(cfg({ groupBy: ['merchant'] }), ORDERS, 'm');
  const event = fc.record({
    merchant: fc.constantFrom('a', 'b', 'c'),
    amount: fc.option(fc.bigInt({ min: -(10n ** 10n), max: 10n ** 10n }), { nil: null }),
    minute: fc.integer({ min: -3, max: 3 }),
    second: fc.integer({ min: 0, max: 59 }),
    qty: fc.integer({ min: -1000, max: 1000 }),
  });
  fc.assert(
    fc.property(fc.array(event, { maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 10 }), (events, cuts) => {
      const rows = events.map((e) => row(e.merchant, e.amount, T0 + BigInt(e.minute * 60 + e.second) * 1_000_000n, 'DE', e.qty, 1));
      const whole = new RollupAggregator(plan);
      for (const r of rows) whole.add(r, undefined);
      const expected = combineByKey(whole.drain());
      const cutAt = new Set(cuts);
      const parts: Array<{ [k: string]: Value }> = [];
      const agg = new RollupAggregator(plan);
      rows.forEach((r, i) => {
        if (cutAt.has(i)) parts.push(...agg.drain());
        agg.add(r, undefined);
      });
      parts.push(...agg.drain());
      assert.deepEqual(combineByKey(parts), expected);
    }),
    { numRuns: 300 },
  );
});

/** What a reader's GROUP BY window_start, merchant does with partial rows. */
function combineByKey(rows: Array<{ [k: string]: Value }>): Map<string, string> {
  const m = new Map<string, { count: bigint; revenue: bigint | null; min: bigint | null; last: bigint; qty: bigint; score: number }>();
  for (const r of rows) {
    const k = `${String(r.window_start)}|${String(r.merchant)}`;
    const c = m.get(k);
    const rev = r.revenue as bigint | null;
    const mn = r.min_amount as bigint | null;
    if (!c) {
      m.set(k, { count: r.count as bigint, revenue: rev, min: mn, last: r.last_seen as bigint, qty: r.qty as bigint, score: r.score as number });
      continue;
    }
    c.count += r.count as bigint;
    c.revenue = rev === null ? c.revenue : (c.revenue ?? 0n) + rev;
    c.min = mn === null ? c.min : c.min === null || mn < c.min ? mn : c.min;
    c.last = (r.last_seen as bigint) > c.last ? (r.last_seen as bigint) : c.last;
    c.qty += r.qty as bigint;
    c.score += r.score as number;
  }
  return new Map([...m].map(([k, v]) => [k, JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x))]));
}

test('sums near the column limits: however cut, every partial row fits its column and the rows add up exactly (property)', () => {
  const schema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: 'g', required: true, type: { type: 'string' } },
      { id: 2, name: 'v', required: false, type: { type: 'long' } },
      { id: 3, name: 'd', required: false, type: { type: 'decimal', precision: 38, scale: 4 } },
      { id: 4, name: 't', required: true, type: { type: 'timestamp' } },
    ],
  };
  const plan = planRollup({ timeField: 't', window: 1000, groupBy: ['g'], measures: [{ fn: 'count', name: 'n' }, { fn: 'sum', field: 'v', name: 'sv' }, { fn: 'sum', field: 'd', name: 'sd' }] } as RollupConfig, schema, 'm');
  const LONG = (1n << 63n) - 1n;
  const DEC = 10n ** 38n - 1n;
  // Also small values and values around 2^53, where the aggregator's sums move from doubles to bigints.
  const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
  const nearSafe = fc.oneof(fc.bigInt({ min: SAFE - 3000n, max: SAFE + 3000n }), fc.bigInt({ min: -SAFE - 3000n, max: -SAFE + 3000n }), fc.bigInt({ min: -1000n, max: 1000n }));
  const rec = fc.record({
    g: fc.constantFrom('x', 'y'),
    v: fc.option(fc.oneof(fc.bigInt({ min: -LONG - 1n, max: LONG }), fc.constantFrom(LONG, -LONG - 1n), nearSafe, nearSafe), { nil: null }),
    d: fc.option(fc.oneof(fc.bigInt({ min: -DEC, max: DEC }), fc.constantFrom(DEC, -DEC), nearSafe, nearSafe), { nil: null }),
    t: fc.bigInt({ min: 0n, max: 3_000_000n }),
  });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 5 }), (recs, cuts) => {
      const agg = new RollupAggregator(plan);
      const rows: Array<{ [k: string]: Value }> = [];
      const cutAt = new Set(cuts);
      recs.forEach((r, i) => {
        if (cutAt.has(i)) rows.push(...agg.drain());
        agg.add(r, undefined);
      });
      rows.push(...agg.drain());
      for (const r of rows) {
        const sv = r.sv as bigint | null;
        const sd = r.sd as bigint | null;
        assert.ok(sv === null || (sv <= LONG && sv >= -LONG - 1n), `long sum ${String(sv)} fits`);
        assert.ok(sd === null || (sd <= DEC && sd >= -DEC), `decimal sum ${String(sd)} fits decimal(38, 4)`);
      }
      const total = (f: (r: { [k: string]: Value }) => Value | undefined) => rows.reduce((s, r) => s + ((f(r) as bigint | null) ?? 0n), 0n);
      assert.equal(total((r) => r.n), BigInt(recs.length));
      assert.equal(total((r) => r.sv), recs.reduce((s, r) => s + (r.v ?? 0n), 0n));
      assert.equal(total((r) => r.sd), recs.reduce((s, r) => s + (r.d ?? 0n), 0n));
    }),
    { numRuns: 300 },
  );
});

test('the totals view: one SELECT per dialect that combines partial rows (sum of counts and sums, min of mins, max of maxes), the table\'s columns', () => {
  const plan = planRollup(cfg(), ORDERS, 'mappings[1]');
  const req = rollupViewRequest(plan, { namespace: ['shop'], name: 'rev' }, { name: 'rev_totals', catalog: 'lake' }, 1000);
  const [trino, spark] = req['view-version'].representations;
  assert.equal(
    trino?.sql,
    'SELECT "window_start", "window_end", "merchant", "country", sum("count") AS "count", sum("revenue") AS "revenue", min("min_amount") AS "min_amount", max("last_seen") AS "last_seen", sum("qty") AS "qty", sum("score") AS "score" FROM "shop"."rev" GROUP BY "window_start", "window_end", "merchant", "country"',
  );
  assert.equal(spark?.dialect, 'spark');
  assert.match(spark?.sql ?? '', /^SELECT `window_start`, .* sum\(`count`\) AS `count`, .* FROM `shop`\.`rev` GROUP BY `window_start`, `window_end`, `merchant`, `country`$/);
  assert.deepEqual([req['view-version']['default-catalog'], req['view-version']['default-namespace'], req.name], ['lake', ['shop'], 'rev_totals']);
  const fields = (req.schema as { fields: Array<{ id: number; name: string; required: boolean; type: unknown }> }).fields;
  assert.deepEqual(fields.map((f) => f.name), plan.schema.fields.map((f) => f.name));
  assert.deepEqual(fields.map((f) => f.id), plan.schema.fields.map((_, i) => i + 1));
  assert.ok(fields.every((f) => !f.required));
  assert.deepEqual(fields.find((f) => f.name === 'revenue')?.type, 'decimal(38,2)');
});
