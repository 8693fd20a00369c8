/**
 * A batch that takes longer than the session timeout (issue 6, heartbeat and session failures):
 * instance A's first record waits on a slow catalog (every request held 8 s, the session is 6 s),
 * so the broker drops A from the group while A is inside onBatch and instance B takes A's
 * partitions, resumes from the table and commits them. When A's processing goes on, its heartbeat
 * fails: A drops what that fetch buffered, rejoins and re-plans from the table. Whatever A had
 * cut before can only land through the contiguity fence. Afterwards both share the topic, and
 * the table holds every record exactly once (counted by Trino). This relies on kafkajs not
 * heartbeating while a batch is processed (with the consumer's prefetch on, its fetch loop keeps
 * the member alive and no session expires: see the kafka commit that made prefetch opt-in).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import kafkajs from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { branchHead } from '../../src/spec/metadata.js';
import { createLogger } from '../../src/observability/index.js';
import { runService, type RunningService } from '../../src/service.js';
import { trinoQuery } from '../helpers/engines.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';
import { stackS3 } from '../helpers/floe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a batch longer than the session timeout: the member is replaced, re-plans from the table, and nothing is lost or duplicated', { skip: skipUnless('kafka', 'rest', 's3'), timeout: 600_000 }, async () => {
  const run = uniqueName('sess');
  const topic = `${run}-in`;
  const table = `${run}.events`;
  const kafka = new kafkajs.Kafka({ clientId: 'session-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const send = async (from: number, n: number) => {
    for (let i = 0; i < n; i += 2000) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(2000, n - i) }, (_, j) => ({ value: JSON.stringify({ id: from + i + j }), partition: (from + i + j) % 2 })) });
    }
  };
  // Enough per partition that A's loop heartbeats (every 2048 records) after the slow first record.
  await send(0, 12_000);

  const proxy = await startFaultProxy(stack.restUrl);
  const config = (catalogUri: string) =>
    parseConfig(
      `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
catalog: { uri: "${catalogUri}" }
storage: { s3: ${stackS3} }
commit: { interval: 1s }
http: { port: 0 }
mappings:
  - topics: [${topic}]
    table: ${table}
    format: json
    schema:
      - { name: id, type: long, required: true }
`,
      'session-test.yaml',
    );
  const logA = new PassThrough();
  let linesA = '';
  logA.setEncoding('utf8').on('data', (d: string) => (linesA += d));
  const catalog = new RestCatalog({ uri: stack.restUrl });
  const rows = async () => {
    try {
      return Number(branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      return -1;
    }
  };
  let a: RunningService | undefined;
  let b: RunningService | undefined;
  try {
    // A plans (the table does not exist yet: one slow load, outside any batch), fetches, and its
    // first record waits on the slow catalog to load and create the table (three or more requests).
    proxy.delayMs = 8000;
    a = await runService(config(proxy.url), createLogger({ level: 'info', destination: logA }));
    for (let i = 0; i < 240 && !/assigned: resuming/.test(linesA); i++) await sleep(250);
    assert.match(linesA, /assigned: resuming/, 'A was assigned the partitions');
    await sleep(2000);
    // B joins while A is stuck inside onBatch past its session timeout.
    b = await runService(config(stack.restUrl), createLogger({ level: 'warn' }));
    let n = -1;
    for (let i = 0; i < 360 && n < 12_000; i++) {
      await sleep(500);
      n = await rows();
    }
    assert.equal(n, 12_000, 'B committed every record while A was stuck');
    proxy.delayMs = 0;
    // A comes back: its heartbeat inside the long batch fails, it drops the fetch and rejoins.
    for (let i = 0; i < 120 && !/heartbeat failed while processing a fetch/.test(linesA); i++) await sleep(500);
    assert.match(linesA, /heartbeat failed while processing a fetch/, `A noticed it lost the group inside onBatch:\n${linesA.slice(-3000)}`);
    // Both members share the topic from now on; more records, then count exactly.
    await sleep(8000);
    await send(12_000, 4_000);
    for (let i = 0; i < 360 && n < 16_000; i++) {
      await sleep(500);
      n = await rows();
    }
    assert.equal(n, 16_000, 'every later record too, and no more');
  } finally {
    // Bounded, so that a stop that hangs fails this test instead of holding it to its timeout.
    const stopped = Promise.allSettled([a?.stop(), b?.stop()]).then(() => true);
    assert.ok(await Promise.race([stopped, sleep(90_000).then(() => false)]), 'both instances stopped within 90 s');
    await proxy.close();
    await producer.disconnect();
  }
  const [ns, name] = table.split('.') as [string, string];
  const c = (await trinoQuery(`SELECT count(*) AS n, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM iceberg."${ns}"."${name}"`)).rows[0];
  assert.deepEqual([Number(c?.n), Number(c?.d), Number(c?.lo), Number(c?.hi)], [16_000, 16_000, 0, 15_999], 'no duplicate, no gap');
});
