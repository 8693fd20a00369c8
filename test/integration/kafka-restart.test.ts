/**
 * Broker restart: on a broker of its own (other ports, its own state directory, so that the
 * shared broker of the other tests is never restarted), the consumer goes on after the broker
 * stops and starts again, and with the partitions resumed from the "table" every record is
 * delivered exactly once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsumer, createKafka, createProducer, tpKey, type KafkaConsumer, type KafkaSettings } from '../../src/kafka/index.js';
import { ROOT, skipUnless, uniqueName } from '../helpers/stack.js';

const port = Number(process.env.FLOE_KAFKA_RESTART_PORT ?? 19192);
const state = mkdtempSync(join(tmpdir(), 'floe-kafka-restart-'));
const env = { ...process.env, FLOE_KAFKA_PORT: String(port), FLOE_KAFKA_CONTROLLER_PORT: String(port + 1), FLOE_STATE: state };
const stackCmd = (...args: string[]) => {
  const r = spawnSync(`${ROOT}/scripts/stack`, args, { env, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`scripts/stack ${args.join(' ')} failed: ${r.stderr}`);
};

// the Kafka install is what the shared broker uses: when it is up, a second one can start
const skip = skipUnless('kafka');
let consumer: KafkaConsumer | undefined;
after(async () => {
  await consumer?.stop().catch(() => undefined);
  if (!skip) stackCmd('down', 'kafka');
  rmSync(state, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the consumer survives a broker restart and delivers every record once', { skip, timeout: 600_000 }, async () => {
  stackCmd('up', 'kafka');
  const settings: KafkaSettings = { brokers: [`127.0.0.1:${port}`], clientId: 'floe-test', groupId: uniqueName('g'), fetch: { maxWait: 100 } };
  const kafka = createKafka(settings);
  const topic = uniqueName('floe_krestart');
  const batch = (tag: string) => [0, 1].flatMap((partition) => Array.from({ length: 50 }, (_, i) => ({ value: `${tag}-${partition}-${i}`, partition })));
  let producer = createProducer(kafka);
  await producer.createTopic(topic, 2);
  await producer.send(topic, batch('before'));

  const next = new Map<string, number>();
  const delivered = new Map<string, number>();
  let plans = 0;
  consumer = createConsumer(kafka, settings, { topics: [topic] }, {
    onAssign: async (parts) => {
      plans++;
      return parts.map((p) => ({ ...p, offset: next.get(tpKey(p.topic, p.partition)) ?? 0 }));
    },
    onBatch: async (b) => {
      for (const r of b.records) delivered.set(String(r.value), (delivered.get(String(r.value)) ?? 0) + 1);
      next.set(tpKey(b.topic, b.partition), b.nextOffset);
    },
  });
  await consumer.start();
  await waitFor('the first 100', () => delivered.size >= 100);

  stackCmd('down', 'kafka');
  stackCmd('up', 'kafka');
  await producer.close();
  producer = createProducer(kafka);
  await producer.send(topic, batch('after'));
  await waitFor('all 200 after the restart', () => delivered.size >= 200);
  await consumer.stop();
  await producer.close();
  assert.equal(delivered.size, 200);
  assert.deepEqual([...delivered].filter(([, n]) => n !== 1), [], 'each record once');
  assert.ok(plans >= 1);
});
