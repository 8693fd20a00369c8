import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../../../src/errors.js';
import { DEAD_LETTER_HEADER_PREFIX, DeadLetterTopics, deadLetterMessage, type DeadLetterMessage, type DeadLetterProducer } from '../../../src/pipeline/dead-letter.js';

const record = {
  topic: 'orders',
  partition: 3,
  offset: 9_007_199_254_740_000,
  timestamp: 1_700_000_000_123,
  key: Buffer.from('k'),
  value: Buffer.from([0, 1, 2, 255]),
  headers: [
    ['trace', Buffer.from('a')],
    ['trace', Buffer.from('b')],
    ['empty', null],
  ] as Array<[string, Buffer | null]>,
};

test('a dead-letter message keeps the record byte for byte and names where it came from and why', () => {
  const m = deadLetterMessage(record, new FloeError('DECODE_FAILED', 'not Avro'), 'shop.orders', 'g1', 42);
  assert.deepEqual(m.key, Buffer.from('k'));
  assert.deepEqual(m.value, Buffer.from([0, 1, 2, 255]));
  assert.equal(m.timestamp, '1700000000123');
  assert.deepEqual((m.headers.trace as Buffer[]).map(String), ['a', 'b'], 'a repeated header keeps its values in order');
  assert.deepEqual(m.headers.empty, Buffer.alloc(0));
  const h = (k: string) => String(m.headers[DEAD_LETTER_HEADER_PREFIX + k]);
  assert.deepEqual(
    ['topic', 'partition', 'offset', 'timestamp', 'code', 'table', 'group', 'failed.at'].map(h),
    ['orders', '3', '9007199254740000', '1700000000123', 'DECODE_FAILED', 'shop.orders', 'g1', '42'],
  );
  assert.match(h('message'), /not Avro/);
  const bare = deadLetterMessage({ ...record, key: null, value: null, headers: [] }, new Error('x'), undefined, 'g1');
  assert.equal(bare.key, null);
  assert.equal(bare.value, null);
  assert.equal(bare.headers[`${DEAD_LETTER_HEADER_PREFIX}code`]?.toString(), 'INTERNAL');
  assert.equal(bare.headers[`${DEAD_LETTER_HEADER_PREFIX}table`], undefined, 'no table when the record could not be routed');
});

function fakeProducer(fail = false) {
  const sent: Array<{ topic: string; acks: number; messages: DeadLetterMessage[] }> = [];
  let connects = 0;
  const p: DeadLetterProducer = {
    connect: async () => void connects++,
    send: async (r) => {
      if (fail) throw new Error('broker down');
      sent.push(r);
    },
    disconnect: async () => undefined,
  };
  return { p, sent, connects: () => connects };
}

test('dead letters are sent per topic with acks from all replicas on flush, and nothing before', async () => {
  const f = fakeProducer();
  const d = new DeadLetterTopics(() => f.p);
  const msg = deadLetterMessage(record, new Error('e'), undefined, 'g');
  await d.flush();
  assert.equal(f.connects(), 0, 'no producer until there is something to send');
  d.add('dlq-a', msg);
  d.add('dlq-b', msg);
  d.add('dlq-a', msg);
  assert.equal(f.sent.length, 0);
  await d.flush();
  assert.deepEqual(f.sent.map((s) => [s.topic, s.acks, s.messages.length]).sort(), [['dlq-a', -1, 2], ['dlq-b', -1, 1]]);
  await d.flush();
  assert.equal(f.sent.length, 2, 'a flush sends each message once');
  d.add('dlq-a', msg);
  d.clear();
  await d.flush();
  assert.equal(f.sent.length, 2, 'cleared messages are not sent (their records are read again)');
  assert.equal(f.connects(), 1);
});

test('a failed send is a retryable KAFKA_ERROR naming the topic', async () => {
  const d = new DeadLetterTopics(() => fakeProducer(true).p);
  d.add('dlq-x', deadLetterMessage(record, new Error('e'), undefined, 'g'));
  await assert.rejects(d.flush(), (err: unknown) => err instanceof FloeError && err.code === 'KAFKA_ERROR' && err.retryable && /dlq-x/.test(err.message));
});
