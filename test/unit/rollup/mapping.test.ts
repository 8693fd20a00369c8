/**
 * Rollup mappings as the pipeline builds them: refused at start, naming the key, when the
 * declared value schema, the partitioning or the other mappings do not fit the rollup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { buildMapping } from '../../../src/pipeline/mapping.js';
import { isFloeError } from '../../../src/errors.js';
import kafkajs from 'kafkajs';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { Metrics, silentLogger } from '../../../src/observability/index.js';
import type { TableOps } from '../../../src/iceberg/index.js';
import type { FileIO } from '../../../src/io/file-io.js';

const config = (rollup: string, extra = '') =>
  parseConfig(`kafka:
  brokers: ["127.0.0.1:9092"]
  groupId: g
catalog:
  uri: http://127.0.0.1:8181
mappings:
  - topics: [orders]
    table: shop.orders
    format: json
    schema: [{ name: merchant, type: string }]
  - topics: [orders]
    table: shop.revenue
    format: json
    schema:
      - { name: merchant, type: string }
      - { name: amount, type: "decimal(12, 2)" }
      - { name: note, type: string }
      - { name: ts, type: timestamptz }
      - { name: customer, type: "struct<country: string>" }
    mode: rollup
${extra}    rollup: ${rollup}
`);

function refusal(text: ReturnType<typeof config>, i = 1): string {
  try {
    buildMapping(text.mappings[i] as NonNullable<(typeof text.mappings)[number]>, text, undefined, i);
  } catch (err) {
    assert.ok(isFloeError(err, 'CONFIG_INVALID'), String(err));
    return (err as Error).message;
  }
  assert.fail('expected a refusal');
}

test('a rollup on a declared schema is planned at start; a bad one is refused naming the key', () => {
  const ok = config('{timeField: ts, window: 1m, groupBy: [merchant, customer.country], measures: [count, sum(amount) as revenue]}');
  const m = buildMapping(ok.mappings[1] as NonNullable<(typeof ok.mappings)[number]>, ok, undefined, 1);
  const plan = m.rollupPlan?.(0, { schemaId: 0, fields: [] }); // the declared schema's plan, made at start
  assert.deepEqual(plan?.schema.fields.map((f) => f.name), ['window_start', 'window_end', 'merchant', 'country', 'count', 'revenue']);
  assert.match(refusal(config('{timeField: ts, window: 1m, measures: [count, sum(note)]}')), /^mappings\[1\]\.rollup\.measures\[1\]: sum\(note\) needs a numeric field/);
  assert.match(refusal(config('{timeField: ts, window: 1m, groupBy: [customer.city], measures: [count]}')), /^mappings\[1\]\.rollup\.groupBy\[0\]: 'customer\.city' is not a field/);
  assert.match(refusal(config('{timeField: note, window: 1m, measures: [count]}')), /^mappings\[1\]\.rollup\.timeField: 'note' is a string/);
});

test('a rollup table is partitioned by its own columns; partitionBy naming a value field is refused', () => {
  assert.match(refusal(config('{timeField: ts, window: 1m, groupBy: [merchant], measures: [count]}', '    partitionBy: ["day(ts)"]\n')), /^mappings\[1\]\.partitionBy\[0\]: partition column 'ts' is not in the table schema .*a rollup table is partitioned by its own columns/);
  const ok = config('{timeField: ts, window: 1m, groupBy: [merchant], measures: [count]}', '    partitionBy: ["hour(window_start)", "bucket(8, merchant)"]\n');
  assert.ok(buildMapping(ok.mappings[1] as NonNullable<(typeof ok.mappings)[number]>, ok, undefined, 1).rollupPlan);
});

test('routing and Kafka columns do not apply to a rollup', () => {
  assert.match(refusal(config('{timeField: ts, window: 1m, measures: [count]}', '    kafkaColumns: [offset]\n')), /^mappings\[1\]\.kafkaColumns: a rollup table has no per-record columns/);
  assert.match(refusal(config('{timeField: ts, window: 1m, measures: [count]}', '    route: { field: merchant, tables: { a: shop.a } }\n')), /^mappings\[1\]\.route: routing by a field's value is not available with mode: rollup/);
});

test('no other mapping may write into a rollup table (its rows are partial aggregates only)', () => {
  const cfg = config('{timeField: ts, window: 1m, measures: [count]}');
  const clash = { ...cfg, mappings: [{ ...(cfg.mappings[0] as NonNullable<(typeof cfg.mappings)[number]>), table: 'shop.revenue' }, cfg.mappings[1] as NonNullable<(typeof cfg.mappings)[number]>] };
  const deps = { config: clash, kafka: new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }), ops: {} as TableOps, io: {} as FileIO, registry: undefined, log: silentLogger(), metrics: new Metrics() };
  assert.throws(() => new Pipeline(deps), (e: unknown) => isFloeError(e, 'CONFIG_INVALID') && /^mappings\[0\]: writes to shop\.revenue, which is the rollup table of mappings\[1\]; give each rollup mapping its own table$/.test((e as Error).message));
  assert.ok(new Pipeline({ ...deps, config: cfg }), 'a raw table and a rollup of the same topic (fan-out) are fine');
});
