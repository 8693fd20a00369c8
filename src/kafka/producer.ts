/**
 * A producer for tests, the demo and benchmarks (Floe itself never produces, except to a
 * dead-letter topic): plain sends in chunks with several in flight, transactional sends that
 * commit or abort, and topic creation.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { FloeError } from '../errors.js';

export interface ProducedRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Record<string, Buffer | string>;
  /** Milliseconds since epoch; the broker's clock when absent. */
  timestamp?: number;
}

export interface FloeProducer {
  /** Sends in chunks of `chunk` records, `inflight` requests at a time; resolves when all are acknowledged. */
  send(topic: string, records: ProducedRecord[], opts?: { chunk?: number; inflight?: number }): Promise<void>;
  /** One transaction holding all the records, then committed or aborted. */
  sendTransaction(topic: string, records: ProducedRecord[], outcome: 'commit' | 'abort'): Promise<void>;
  /** Creates the topic (no error when it exists). */
  createTopic(topic: string, partitions: number): Promise<void>;
  close(): Promise<void>;
}

const toMessage = (r: ProducedRecord): Message => ({
  key: r.key ?? null,
  value: r.value,
  ...(r.partition === undefined ? {} : { partition: r.partition }),
  ...(r.headers ? { headers: r.headers } : {}),
  ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
});

export function createProducer(kafka: Kafka, opts: { transactionalId?: string } = {}): FloeProducer {
  let plain: Producer | undefined;
  let tx: Producer | undefined;
  const plainProducer = async (): Promise<Producer> => {
    if (!plain) {
      plain = kafka.producer({ allowAutoTopicCreation: false });
      await plain.connect();
    }
    return plain;
  };
  const txProducer = async (): Promise<Producer> => {
    if (!tx) {
      tx = kafka.producer({ transactionalId: opts.transactionalId ?? `floe-producer-${process.pid}-${Date.now()}`, idempotent: true, maxInFlightRequests: 1 });
      await tx.connect();
    }
    return tx;
  };
  return {
    async send(topic, records, o = {}) {
      const p = await plainProducer();
      const chunk = o.chunk ?? 1000;
      const inflight = new Set<Promise<unknown>>();
      for (let i = 0; i < records.length; i += chunk) {
        const s: Promise<unknown> = p.send({ topic, acks: -1, messages: records.slice(i, i + chunk).map(toMessage) }).finally(() => inflight.delete(s));
        inflight.add(s);
        if (inflight.size >= (o.inflight ?? 4)) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    },
    async sendTransaction(topic, records, outcome) {
      const t = await (await txProducer()).transaction();
      try {
        await t.send({ topic, messages: records.map(toMessage) });
      } catch (err) {
        await t.abort();
        throw err;
      }
      if (outcome === 'commit') await t.commit();
      else await t.abort();
    },
    async createTopic(topic, partitions) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
      } catch (err) {
        throw new FloeError('KAFKA_ERROR', `creating topic ${topic} failed: ${(err as Error).message}`, { cause: err, retryable: true });
      } finally {
        await admin.disconnect();
      }
    },
    async close() {
      await plain?.disconnect();
      await tx?.disconnect();
    },
  };
}
