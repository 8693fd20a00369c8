/**
 * Dead letters to a topic (issue 6 item 4): records that cannot be decoded or do not fit the
 * table are produced to the configured topic with their original key, value, headers and
 * timestamp, and the error context in `__floe.errors.*` headers; the table commits past them only
 * after the broker acknowledged them, and a restart that resumes from the table does not send them
 * again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { storedOffsets } from '../../src/commit/index.js';
import { createLogger } from '../../src/observability/index.js';
import { runService } from '../../src/service.js';
import { DEAD_LETTER_HEADER_PREFIX } from '../../src/pipeline/dead-letter.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';
import { stackS3 } from '../helpers/floe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readTopic(kafka: kafkajs.Kafka, topic: string, want: number, seconds: number): Promise<kafkajs.KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  const got: kafkajs.KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  for (let i = 0; i < seconds * 4 && got.length < want; i++) await sleep(250);
  // A little longer, so that a duplicate would show.
  await sleep(1500);
  await consumer.disconnect();
  return got;
}

test('dead letters go to a topic with raw bytes and error headers, acknowledged before the table commits past them, not re-sent on restart', { skip: skipUnless('kafka', 'rest', 's3'), timeout: 300_000 }, async () => {
  const run = uniqueName('dlqt');
  const topic = `${run}-in`;
  const dlqTopic = `${run}-dlq`;
  const kafka = new kafkajs.Kafka({ clientId: 'dlq-topic-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();

  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: ${stackS3} }
commit: { interval: 1s }
http: { port: 0 }
mappings:
  - topics: [${topic}]
    table: ${run}.events
    format: json
    schema:
      - { name: id, type: long, required: true }
      - { name: name, type: string }
    deadLetter: { topic: ${dlqTopic} }
`,
    'dlq-topic-test.yaml',
  );
  const producer = kafka.producer();
  await producer.connect();
  const good = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: i, name: `n${i}` }), partition: i % 2 }));
  const bad = [
    { key: 'junk', value: Buffer.from([0xff, 0x00, 0x7b, 0x01]), partition: 0, headers: { trace: 'abc', dup: ['one', 'two'] }, timestamp: '1700000000123' },
    { key: 'wrong-type', value: JSON.stringify({ id: 'not a number', name: 'x' }), partition: 1 },
    { key: 'missing-id', value: JSON.stringify({ name: 'no id' }), partition: 1 },
  ];
  await producer.send({ topic, acks: -1, messages: [...good.slice(0, 10), ...bad, ...good.slice(10)] });
  await producer.disconnect();
  const ends = new Map((await (async () => {
    const a = kafka.admin();
    await a.connect();
    const o = await a.fetchTopicOffsets(topic);
    await a.disconnect();
    return o;
  })()).map((o) => [o.partition, Number(o.high)]));

  const catalog = new RestCatalog({ uri: stack.restUrl });
  const stored = async () => {
    try {
      const meta = (await catalog.loadTable(parseIdent(`${run}.events`))).metadata;
      return { rows: Number(branchHead(meta)?.summary['total-records'] ?? 0), offsets: storedOffsets(ancestors(meta, branchHead(meta)), run).get(topic) };
    } catch {
      return { rows: -1, offsets: undefined };
    }
  };
  let svc = await runService(config, createLogger({ level: 'warn' }));
  try {
    let s = await stored();
    for (let i = 0; i < 180 && !(s.rows >= 20 && s.offsets?.get(0) === ends.get(0) && s.offsets?.get(1) === ends.get(1)); i++) {
      await sleep(500);
      s = await stored();
    }
    assert.equal(s.rows, 20, 'the good records are in the table');
    assert.deepEqual([s.offsets?.get(0), s.offsets?.get(1)], [ends.get(0), ends.get(1)], 'the table committed past the dead letters');
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`floe_dead_letter_records_total\\{table="${run}.events",code="DECODE_FAILED"\\} 1`));
  } finally {
    await svc.stop();
  }

  const dl = await readTopic(kafka, dlqTopic, 3, 30);
  assert.equal(dl.length, 3, 'three dead letters, once each');
  const byKey = new Map(dl.map((m) => [String(m.key), m]));
  const h = (m: kafkajs.KafkaMessage | undefined, k: string) => {
    const v = m?.headers?.[DEAD_LETTER_HEADER_PREFIX + k];
    return v === undefined ? undefined : String(v);
  };
  const junk = byKey.get('junk');
  assert.deepEqual(junk?.value, Buffer.from([0xff, 0x00, 0x7b, 0x01]), 'raw value bytes intact');
  assert.equal(junk?.timestamp, '1700000000123', 'the original timestamp');
  assert.equal(String(junk?.headers?.trace), 'abc', 'original headers kept');
  assert.deepEqual((junk?.headers?.dup as Buffer[]).map(String), ['one', 'two'], 'a repeated header keeps every value');
  assert.equal(h(junk, 'topic'), topic);
  assert.equal(h(junk, 'partition'), '0');
  assert.equal(h(junk, 'offset'), '5');
  assert.equal(h(junk, 'timestamp'), '1700000000123');
  assert.equal(h(junk, 'code'), 'DECODE_FAILED');
  assert.equal(h(junk, 'group'), run);
  assert.ok(h(junk, 'message')?.length, 'the error message');
  assert.equal(String(byKey.get('wrong-type')?.value), JSON.stringify({ id: 'not a number', name: 'x' }));
  assert.equal(h(byKey.get('wrong-type'), 'code'), 'CONVERT_FAILED');
  assert.equal(h(byKey.get('wrong-type'), 'table'), `${run}.events`);
  assert.equal(h(byKey.get('missing-id'), 'partition'), '1');

  // A restart resumes from the table, which is past the dead letters: none is sent again.
  svc = await runService(config, createLogger({ level: 'warn' }));
  try {
    await sleep(8000);
  } finally {
    await svc.stop();
  }
  assert.equal((await readTopic(kafka, dlqTopic, 4, 5)).length, 3, 'no dead letter is re-sent after a restart');
  assert.equal((await stored()).rows, 20);
});

test('while the dead-letter topic cannot be written, the table does not commit past the dead letter; once it can, both go on', { skip: skipUnless('kafka', 'rest', 's3'), timeout: 300_000 }, async () => {
  const run = uniqueName('dlqf');
  const topic = `${run}-in`;
  const dlqTopic = `${run}-dlq`;
  const kafka = new kafkajs.Kafka({ clientId: 'dlq-topic-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: ${stackS3} }
commit: { interval: 1s }
http: { port: 0 }
deadLetter: { topic: ${dlqTopic} }
mappings:
  - topics: [${topic}]
    table: ${run}.events
    format: json
    schema:
      - { name: id, type: long, required: true }
`,
    'dlq-topic-fail.yaml',
  );
  const catalog = new RestCatalog({ uri: stack.restUrl });
  const stored = async () => {
    try {
      const meta = (await catalog.loadTable(parseIdent(`${run}.events`))).metadata;
      return { rows: Number(branchHead(meta)?.summary['total-records'] ?? 0), offset: storedOffsets(ancestors(meta, branchHead(meta)), run).get(topic)?.get(0) };
    } catch {
      return { rows: -1, offset: undefined };
    }
  };
  const producer = kafka.producer();
  await producer.connect();
  const svc = await runService(config, createLogger({ level: 'silent' }));
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: JSON.stringify({ id: i }) })) });
    let s = await stored();
    for (let i = 0; i < 120 && s.offset !== 5; i++) {
      await sleep(500);
      s = await stored();
    }
    assert.deepEqual(s, { rows: 5, offset: 5 }, 'the first records are committed');
    assert.ok((await admin.listTopics()).includes(dlqTopic), 'the dead-letter topic was created at start');

    // The dead-letter topic goes away (the producer may not create it): a bad record at offset 5.
    await admin.deleteTopics({ topics: [dlqTopic] });
    for (let i = 0; i < 40 && (await admin.listTopics()).includes(dlqTopic); i++) await sleep(250);
    await producer.send({ topic, acks: -1, messages: [{ key: 'bad', value: 'not json' }, ...Array.from({ length: 5 }, (_, i) => ({ value: JSON.stringify({ id: 5 + i }) }))] });
    await sleep(20_000);
    s = await stored();
    assert.equal(s.offset, 5, 'the table did not commit past a dead letter the broker does not have');
    assert.equal(s.rows, 5);

    // The topic is back: the dead letter is produced, then the table commits past it.
    await admin.createTopics({ topics: [{ topic: dlqTopic, numPartitions: 1 }], waitForLeaders: true });
    for (let i = 0; i < 240 && s.offset !== 11; i++) {
      await sleep(500);
      s = await stored();
    }
    assert.deepEqual(s, { rows: 10, offset: 11 }, 'the table went on once the dead letter was written');
  } finally {
    await svc.stop();
    await producer.disconnect();
  }
  const dl = await readTopic(kafka, dlqTopic, 1, 30);
  assert.equal(dl.length, 1, 'the dead letter is in the topic, once');
  assert.equal(String(dl[0]?.value), 'not json');
  assert.equal(String(dl[0]?.headers?.[`${DEAD_LETTER_HEADER_PREFIX}offset`]), '5');
  await admin.disconnect();
});
