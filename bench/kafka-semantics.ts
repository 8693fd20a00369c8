/**
 * The exactly-once-relevant behaviour of the two candidate clients, checked against the real
 * broker (scripts/stack up kafka):
 *
 *   node --import tsx bench/kafka-semantics.ts
 *
 * read_committed when an aborted transaction spans several fetches (its abort marker is not in
 * the first response: small maxBytes), for kafkajs and @platformatic/kafka 1.x (stream and raw
 * fetch). Prints one line per check: `<client> <check> ok|FAIL <detail>`.
 */
import kafkajs from 'kafkajs';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { createKafka, createProducer } from '../src/kafka/index.js';

const BROKER = `127.0.0.1:${process.env.FLOE_KAFKA_PORT ?? 9092}`;
const kafka = createKafka({ brokers: [BROKER], clientId: 'floe-semantics', groupId: 'unused' });
const topic = `floe-semantics-${Date.now().toString(36)}`;
const value = (tag: string, i: number) => `${tag}-${i}-`.padEnd(300, 'x');

const producer = createProducer(kafka);
await producer.createTopic(topic, 1);
await producer.sendTransaction(topic, Array.from({ length: 5 }, (_, i) => ({ value: value('ok1', i), partition: 0 })), 'commit');
await producer.sendTransaction(topic, Array.from({ length: 2000 }, (_, i) => ({ value: value('aborted', i), partition: 0 })), 'abort');
await producer.sendTransaction(topic, Array.from({ length: 5 }, (_, i) => ({ value: value('ok2', i), partition: 0 })), 'commit');
await producer.close();
const EXPECTED = 10;
const MAXB = Number(process.env.FETCH_MAX_BYTES ?? 65536);

function report(client: string, values: string[]): void {
  const aborted = values.filter((v) => v.startsWith('aborted')).length;
  const ok = values.filter((v) => v.startsWith('ok')).length;
  console.log(`${client} read_committed(fetch maxBytes=${MAXB}) ${aborted === 0 && ok === EXPECTED ? 'ok' : 'FAIL'} committed=${ok}/${EXPECTED} aborted_delivered=${aborted}`);
}

async function untilQuiet(count: () => number, want: number): Promise<void> {
  const until = Date.now() + 30_000;
  let last = -1;
  let still = 0;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const n = count();
    // done when the wanted records arrived and nothing more came for a second
    if (n >= want && n === last && ++still >= 2) return;
    if (n !== last) still = 0;
    last = n;
  }
}

{
  const values: string[] = [];
  const c = new kafkajs.Kafka({ clientId: 'floe-semantics', brokers: [BROKER], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: `sem-kjs-${Date.now()}`, readUncommitted: false, maxBytes: MAXB, maxBytesPerPartition: MAXB, maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await c.run({ eachBatch: async ({ batch }) => void values.push(...batch.messages.map((m) => String(m.value))) });
  await untilQuiet(() => values.length, EXPECTED);
  await c.disconnect();
  report('kafkajs', values);
}

{
  const values: string[] = [];
  const c = new Consumer({ clientId: 'floe-semantics', bootstrapBrokers: [BROKER], groupId: `sem-plt-${Date.now()}`, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxBytes: MAXB, maxBytesPerPartition: MAXB, maxWaitTime: 100, autocommit: false });
  const s = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  s.on('data', (m) => values.push(String(m.value)));
  await untilQuiet(() => values.length, EXPECTED);
  await s.close();
  await c.close(true);
  report('platformatic-stream', values);
}

{
  const values: string[] = [];
  const c = new Consumer({ clientId: 'floe-semantics', bootstrapBrokers: [BROKER], groupId: `sem-pltf-${Date.now()}` });
  const meta = await c.metadata({ topics: [topic] });
  const t = meta.topics.get(topic);
  let next = 0n;
  for (let i = 0; i < 200 && values.length < EXPECTED + 2000; i++) {
    const res = await c.fetch({ node: t?.partitions[0]?.leader ?? 1, maxWaitTime: 100, minBytes: 1, maxBytes: MAXB, isolationLevel: FetchIsolationLevels.READ_COMMITTED, topics: [{ topicId: t?.id ?? '', partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: MAXB, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }] });
    const batches = res.responses[0]?.partitions[0]?.records ?? [];
    if (batches.length === 0) break;
    for (const b of batches) {
      // control batches carry the transaction markers
      if (!(b.attributes & 0x20)) for (const r of b.records) values.push(String(r.value));
      next = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
    }
  }
  await c.close(true);
  report('platformatic-fetch', values);
}
