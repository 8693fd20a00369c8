/**
 * The consumer stage against the real broker: seek to planned offsets before any fetch from the
 * group's committed offset, read_committed, pause/resume of one partition, a rebalance with a
 * second member (revoke/assign and no record delivered twice), re-planning after onBatch fails.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { createConsumer, createKafka, createProducer, fetchOffsets, tpKey, type KafkaConsumer, type KafkaSettings, type RecordBatch, type TopicPartition } from '../../src/kafka/index.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('kafka');
const settings = (groupId: string): KafkaSettings => ({ brokers: stack.kafkaBrokers, clientId: 'floe-test', groupId, fetch: { maxWait: 100 } });
const kafka: Kafka = createKafka(settings('unused'));
const producer = createProducer(kafka);
const running: KafkaConsumer[] = [];
after(async () => {
  for (const c of running) await c.stop().catch(() => undefined);
  await producer.close();
});

async function waitFor(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const records = (n: number, partition: number, tag = 'r') => Array.from({ length: n }, (_, i) => ({ key: `${partition}-${i}`, value: `${tag}-${partition}-${i}`, partition }));

/** A stand-in for the tables: the next offset per partition, advanced as batches are "committed". */
class Table {
  readonly next = new Map<string, number>();
  plan = async (parts: TopicPartition[]) => parts.map((p) => ({ ...p, offset: this.next.get(tpKey(p.topic, p.partition)) ?? 0 }));
  commit(b: RecordBatch): void {
    this.next.set(tpKey(b.topic, b.partition), b.nextOffset);
  }
}

test('a partition starts at the planned offset, never at the group committed offset', { skip }, async () => {
  const topic = uniqueName('floe_kseek');
  const group = uniqueName('g');
  await producer.createTopic(topic, 2);
  await producer.send(topic, [...records(50, 0), ...records(50, 1)]);
  // the group's committed offsets say 5: a fetch from there before the seek would show offset 5
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '5' }] });
  await admin.disconnect();

  const seen: Array<{ partition: number; offset: number }> = [];
  const c = createConsumer(kafka, settings(group), { topics: [topic] }, {
    onAssign: async (parts) => {
      await new Promise((r) => setTimeout(r, 1500)); // a slow plan: fetching meanwhile would leak
      return parts.map((p) => ({ ...p, offset: p.partition === 0 ? 40 : 10 }));
    },
    onBatch: async (b) => {
      for (const r of b.records) seen.push({ partition: r.partition, offset: r.offset });
    },
  });
  running.push(c);
  await c.start();
  await waitFor('60 records', () => seen.length >= 50);
  await c.stop();
  const p0 = seen.filter((r) => r.partition === 0).map((r) => r.offset);
  const p1 = seen.filter((r) => r.partition === 1).map((r) => r.offset);
  assert.deepEqual(p0, Array.from({ length: 10 }, (_, i) => 40 + i));
  assert.deepEqual(p1, Array.from({ length: 40 }, (_, i) => 10 + i));
});

test('read_committed: records of aborted transactions are not delivered, the range covers them', { skip }, async () => {
  const topic = uniqueName('floe_ktx');
  await producer.createTopic(topic, 1);
  await producer.sendTransaction(topic, records(10, 0, 'ok1'), 'commit');
  await producer.sendTransaction(topic, records(10, 0, 'aborted'), 'abort');
  await producer.sendTransaction(topic, records(10, 0, 'ok2'), 'commit');
  const [end] = await fetchOffsets(kafka, [topic]);
  const values: string[] = [];
  let last = 0;
  const c = createConsumer(kafka, settings(uniqueName('g')), { topics: [topic] }, {
    onAssign: async (parts) => parts.map((p) => ({ ...p, offset: 0 })),
    onBatch: async (b) => {
      for (const r of b.records) values.push(String(r.value));
      last = b.nextOffset;
    },
  });
  running.push(c);
  await c.start();
  await waitFor('20 committed records', () => values.length >= 20);
  await c.stop();
  assert.equal(values.length, 20);
  assert.ok(values.every((v) => !v.startsWith('aborted')), 'no aborted record');
  assert.ok(values.slice(0, 10).every((v) => v.startsWith('ok1')) && values.slice(10).every((v) => v.startsWith('ok2')));
  // 30 records + 3 markers: the last batch ends past the last record, at its commit marker or the log end
  assert.ok(last >= 32 && last <= (end?.latest ?? 0), `nextOffset ${last}, log end ${end?.latest}`);
});

test('pause stops fetching one partition while the other goes on; resume picks up where it stopped', { skip }, async () => {
  const topic = uniqueName('floe_kpause');
  await producer.createTopic(topic, 2);
  await producer.send(topic, [...records(5, 0, 'a'), ...records(5, 1, 'a')]);
  const got: string[] = [];
  const c = createConsumer(kafka, settings(uniqueName('g')), { topics: [topic] }, {
    onAssign: async (parts) => parts.map((p) => ({ ...p, offset: 0 })),
    onBatch: async (b) => {
      for (const r of b.records) got.push(String(r.value));
    },
  });
  running.push(c);
  await c.start();
  await waitFor('first records', () => got.length >= 10);
  c.pause([{ topic, partition: 0 }]);
  await producer.send(topic, [...records(5, 0, 'b'), ...records(5, 1, 'b')]);
  // partition 1 keeps being fetched after the pause: once its new records arrived, partition 0's would have too
  await waitFor('partition 1 after the pause', () => got.filter((v) => v.startsWith('b-1-')).length >= 5);
  assert.equal(got.filter((v) => v.startsWith('b-0-')).length, 0, 'nothing of the paused partition');
  assert.deepEqual(c.lag().find((l) => l.partition === 1)?.lag, 0);
  c.resume([{ topic, partition: 0 }]);
  await waitFor('partition 0 after resume', () => got.filter((v) => v.startsWith('b-0-')).length >= 5);
  await c.stop();
  assert.deepEqual(got.filter((v) => v.startsWith('b-0-')), records(5, 0, 'b').map((r) => r.value));
});

test('a second member: revoke and assign callbacks, disjoint assignments, every record delivered once', { skip }, async () => {
  const topic = uniqueName('floe_kreb');
  const group = uniqueName('g');
  await producer.createTopic(topic, 4);
  await producer.send(topic, [0, 1, 2, 3].flatMap((p) => records(100, p, 'a')));
  const table = new Table();
  const delivered = new Map<string, string[]>(); // topic-partition-offset -> members
  const events: string[] = [];
  const member = (name: string) =>
    createConsumer(kafka, settings(group), { topics: [topic] }, {
      onRevoke: async (parts) => void events.push(`${name} revoke ${parts.map((p) => p.partition).join(',')}`),
      onAssign: async (parts) => {
        events.push(`${name} assign ${parts.map((p) => p.partition).sort().join(',')}`);
        await new Promise((r) => setTimeout(r, 1000)); // a slow plan, as loading tables is: fetching meanwhile would re-read
        return table.plan(parts);
      },
      onBatch: async (b) => {
        for (const r of b.records) {
          const k = `${r.partition}@${r.offset}`;
          delivered.set(k, [...(delivered.get(k) ?? []), name]);
        }
        table.commit(b);
      },
    });
  const a = member('A');
  running.push(a);
  await a.start();
  await waitFor('A reads the first 400', () => delivered.size >= 400);
  const b = member('B');
  running.push(b);
  await b.start();
  await waitFor('both members assigned', () => a.assignment.length > 0 && b.assignment.length > 0 && a.assignment.length + b.assignment.length === 4 && !a.isPlanning && !b.isPlanning);
  await producer.send(topic, [0, 1, 2, 3].flatMap((p) => records(100, p, 'b')));
  await waitFor('all 800', () => delivered.size >= 800);
  // read the assignments while both are members: once one leaves, the other is given its partitions
  const parts = (c: KafkaConsumer) => c.assignment.map((p) => p.partition);
  const assigned = [...parts(a), ...parts(b)].sort();
  await Promise.all([a.stop(), b.stop()]);
  assert.deepEqual(assigned, [0, 1, 2, 3], 'disjoint and complete');
  assert.ok(events.some((e) => e.startsWith('A revoke')), `A was told what it lost: ${events.join('; ')}`);
  assert.ok(events.some((e) => e.startsWith('B assign')));
  const twice = [...delivered].filter(([, who]) => who.length > 1);
  assert.deepEqual(twice, [], 'no record delivered twice');
  assert.equal(delivered.size, 800);
});

test('a failing onBatch re-plans from the table: the failed batch is delivered again, nothing skipped', { skip }, async () => {
  const topic = uniqueName('floe_kfail');
  await producer.createTopic(topic, 1);
  await producer.send(topic, records(30, 0));
  const table = new Table();
  const offsets: number[] = [];
  let failures = 0;
  let plans = 0;
  const errors: unknown[] = [];
  const c = createConsumer(kafka, settings(uniqueName('g')), { topics: [topic] }, {
    onAssign: async (parts) => {
      plans++;
      return table.plan(parts);
    },
    onBatch: async (b) => {
      if (failures === 0) {
        failures++;
        throw new Error('catalog down');
      }
      for (const r of b.records) offsets.push(r.offset);
      table.commit(b);
    },
    onError: (err) => errors.push(err),
  });
  running.push(c);
  await c.start();
  await waitFor('30 records', () => offsets.length >= 30);
  await c.stop();
  assert.deepEqual(offsets, Array.from({ length: 30 }, (_, i) => i));
  assert.equal(plans, 2);
  assert.equal(errors.length, 1);
});

test('with a prefetch, batches arrive in order; a failing batch drops the queue and re-plans: nothing skipped, nothing twice', { skip }, async () => {
  const topic = uniqueName('floe_kpre');
  await producer.createTopic(topic, 2);
  for (let i = 0; i < 10; i++) await producer.send(topic, [...records(100, 0, `s${i}`), ...records(100, 1, `s${i}`)]);
  const table = new Table();
  const seen = new Map<number, number[]>([
    [0, []],
    [1, []],
  ]);
  let calls = 0;
  let queuedAtFailure = 0;
  let plans = 0;
  // Small fetches, so that several batches are queued while one is processed.
  const s = { ...settings(uniqueName('g')), fetch: { maxWait: 100, maxBytesPerPartition: 2048, maxBytes: 4096 } };
  const c = createConsumer(kafka, s, { topics: [topic], prefetchBytes: 64 * 1024 }, {
    onAssign: async (parts) => {
      plans++;
      return table.plan(parts);
    },
    onBatch: async (b) => {
      if (++calls === 5) {
        // Let kafkajs fetch ahead first, so the failure has queued batches to drop.
        await new Promise((r) => setTimeout(r, 500));
        queuedAtFailure = (c as unknown as { queue: unknown[] }).queue.length;
        throw new Error('catalog down');
      }
      (seen.get(b.partition) as number[]).push(...b.records.map((r) => r.offset));
      table.commit(b);
    },
  });
  running.push(c);
  await c.start();
  await waitFor('2,000 records', () => (seen.get(0)?.length ?? 0) + (seen.get(1)?.length ?? 0) >= 2000);
  await c.stop();
  assert.ok(queuedAtFailure > 0, 'batches were queued ahead when the failure came');
  for (const p of [0, 1]) assert.deepEqual(seen.get(p), Array.from({ length: 1000 }, (_, i) => i), `partition ${p}: every offset once, in order`);
  assert.equal(plans, 2);
});

test('fetchOffsets: earliest, latest and the group committed offset per partition', { skip }, async () => {
  const topic = uniqueName('floe_koffs');
  const group = uniqueName('g');
  await producer.createTopic(topic, 2);
  await producer.send(topic, [...records(7, 0), ...records(3, 1)]);
  const c = createConsumer(kafka, settings(group), { topics: [topic] }, {
    onAssign: async (parts) => parts.map((p) => ({ ...p, offset: 0 })),
    onBatch: async () => undefined,
  });
  running.push(c);
  await c.start();
  await waitFor('assignment', () => c.assignment.length === 2 && !c.isPlanning);
  assert.equal(await c.commitOffsets([{ topic, partition: 0, offset: 4 }]), true);
  await c.stop();
  const offs = await fetchOffsets(kafka, [topic], { groupId: group });
  assert.deepEqual(offs, [
    { topic, partition: 0, earliest: 0, latest: 7, committed: 4 },
    { topic, partition: 1, earliest: 0, latest: 3 },
  ]);
});

test('subscribe by pattern: every matching topic is consumed, others are not', { skip }, async () => {
  const prefix = uniqueName('floe_kpat');
  const [t1, t2, other] = [`${prefix}_a`, `${prefix}_b`, `${uniqueName('floe_kother')}`];
  for (const t of [t1, t2, other]) {
    await producer.createTopic(t, 1);
    await producer.send(t, records(3, 0, t));
  }
  const topics = new Set<string>();
  let n = 0;
  const c = createConsumer(kafka, settings(uniqueName('g')), { topics: [new RegExp(`^${prefix}_`)] }, {
    onAssign: async (parts) => parts.map((p) => ({ ...p, offset: 0 })),
    onBatch: async (b) => {
      topics.add(b.topic);
      n += b.records.length;
    },
  });
  running.push(c);
  await c.start();
  await waitFor('both matching topics', () => n >= 6);
  await c.stop();
  assert.deepEqual([...topics].sort(), [t1, t2]);
  assert.deepEqual(c.assignment.map((p) => p.topic).sort(), [t1, t2]);
});
