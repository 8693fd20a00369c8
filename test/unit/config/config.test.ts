import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { isFloeError } from '../../../src/errors.js';

const good = `
kafka:
  brokers: ["\${BROKER:-127.0.0.1:9092}"]
  groupId: floe-orders
commit:
  interval: 2s
writer:
  targetFileSize: 64MiB
mappings:
  - topics: [orders]
    table: shop.orders
    partitionBy: ["day(event_time)", "bucket(16, order_id)", merchant]
    kafkaColumns: [partition, offset]
`;

function refused(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, 'floe.yaml', env);
  } catch (err) {
    assert.ok(isFloeError(err, 'CONFIG_INVALID'));
    return err.message;
  }
  assert.fail('the config was accepted');
}

test('a good config parses with defaults, env interpolation, durations, sizes and partition expressions', () => {
  const c = parseConfig(good, 'floe.yaml', {});
  assert.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(c.commit.interval, 2000);
  assert.equal(c.writer.targetFileSize, 64 * 1024 * 1024);
  assert.equal(c.mappings[0]?.mode, 'append');
  assert.deepEqual(c.mappings[0]?.partitionBy.map((p) => `${p.transform.kind}:${p.column}`), ['day:event_time', 'bucket:order_id', 'identity:merchant']);
  assert.equal(parseConfig(good, 'f', { BROKER: 'kafka:29092' }).kafka.brokers[0], 'kafka:29092');
});

test('a missing key is named', () => {
  const msg = refused('mappings:\n  - topics: [a]\n    table: db.t\n');
  assert.match(msg, /^floe\.yaml: kafka: required key is missing/m);
});

test('a wrong type is named with the value', () => {
  const msg = refused(good.replace('interval: 2s', 'interval: [2]'));
  assert.match(msg, /commit\.interval: .*\(got \[2\]\)/);
  assert.match(refused(good.replace('targetFileSize: 64MiB', 'targetFileSize: lots')), /writer\.targetFileSize: 'lots' is not a size/);
  assert.match(refused(good.replace('interval: 2s', 'interval: 200ms')), /commit\.interval: '200ms' is too short; the minimum is 1s/);
});

test('an unknown mapping mode is refused; upsert and rollup say they are not there yet', () => {
  assert.match(refused(good.replace('table: shop.orders', 'table: shop.orders\n    mode: merge')), /mappings\[0\]\.mode: 'merge' is not a mapping mode; use 'append'/);
  assert.match(refused(good.replace('table: shop.orders', 'table: shop.orders\n    mode: upsert')), /mappings\[0\]\.mode: 'upsert' is not supported yet/);
});

test('a bad regex is refused with the key', () => {
  const msg = refused(good.replace('topics: [orders]', 'topicPattern: "orders-(["'));
  assert.match(msg, /mappings\[0\]\.topicPattern: 'orders-\(\[' is not a valid regular expression/);
});

test('unknown keys get a did-you-mean; each error is one line', () => {
  const msg = refused(good.replace('groupId: floe-orders', 'groupID: floe-orders'));
  assert.match(msg, /^floe\.yaml: kafka\.groupID: unknown key; did you mean 'groupId'\?$/m);
  const two = refused(good.replace('groupId: floe-orders', 'groupID: x').replace('table: shop.orders', 'table: orders'));
  assert.equal(two.split('\n').length, 2, two);
  assert.match(two, /mappings\[0\]\.table: must be namespace\.table/);
});

test('an unset environment variable without default is refused with its name and line', () => {
  assert.match(refused('kafka:\n  brokers: ["${KAFKA}"]\n'), /floe\.yaml:2: environment variable KAFKA is not set/);
});

test('bad partition expressions and json without schema are refused', () => {
  assert.match(refused(good.replace('"day(event_time)"', '"weekly(event_time)"')), /partitionBy\[0\]: 'weekly\(event_time\)' is not a partition expression/);
  assert.match(refused(good.replace('table: shop.orders', 'table: shop.orders\n    format: json')), /mappings\[0\]\.schema: format 'json' needs a declared schema/);
});
