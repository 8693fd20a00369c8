/** Smoke test of the stack's Kafka: a real client produces and consumes through the broker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

test('kafka: records produced to a 3-partition topic are consumed back in order per partition', { skip: skipUnless('kafka'), timeout: 60_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'stack-smoke', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const topic = uniqueName('stack_kafka');
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId: uniqueName('stack_kafka_group') });
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}`, headers: { seq: String(i) } }));
    for (let i = 0; i < sent.length; i += 20) await producer.send({ topic, messages: sent.slice(i, i + 20) });
    await producer.disconnect();

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const byPartition = new Map<number, number[]>();
    const keyPartition = new Map<string, number>();
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            try {
              const key = message.key?.toString() ?? '';
              // One key, one partition: the default partitioner hashes the key.
              assert.equal(keyPartition.get(key) ?? partition, partition);
              keyPartition.set(key, partition);
              const seq = Number(message.headers?.seq?.toString());
              assert.equal(message.value?.toString(), `v${seq}`);
              byPartition.set(partition, [...(byPartition.get(partition) ?? []), seq]);
              if (++count === sent.length) resolve();
            } catch (err) {
              reject(err as Error);
            }
          },
        })
        .catch(reject);
    });
    const all = [...byPartition.values()].flat();
    assert.deepEqual([...all].sort((a, b) => a - b), sent.map((_, i) => i));
    for (const seqs of byPartition.values()) assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'a partition keeps produce order');

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.length, 3);
    assert.equal(offsets.reduce((n, o) => n + Number(o.high), 0), sent.length);
  } finally {
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('kafka: producing to an unknown topic creates it with one partition (auto.create.topics.enable, num.partitions=1)', { skip: skipUnless('kafka'), timeout: 60_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'stack-smoke', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const topic = uniqueName('stack_kafka_auto');
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  const admin = kafka.admin();
  await admin.connect();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: 'x' }] });
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    assert.equal(meta?.partitions.length, 1);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
