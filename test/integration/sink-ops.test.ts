/**
 * Operating a running `floe run` process (issue 6 items 5 and 6): /metrics moves with the data
 * (records in and out, bytes, dead letters, commits and their latency, files and bytes written,
 * lag per partition, buffered bytes); `floe status -c` prints the table's offsets, the Kafka end
 * offsets, the lag and the age of the last commit with real numbers; SIGTERM commits what is
 * buffered (records consumed after the last interval commit are in the table), leaves the group
 * and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { branchHead } from '../../src/spec/metadata.js';
import { ROOT, skipUnless, stack, uniqueName } from '../helpers/stack.js';
import { stackS3 } from '../helpers/floe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exec = promisify(execFile);

/** The value of one sample of the exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

test('a running floe: /metrics moves, status prints real offsets and lag, SIGTERM flushes, leaves the group and exits 0', { skip: skipUnless('kafka', 'rest', 's3'), timeout: 300_000 }, async () => {
  const run = uniqueName('ops');
  const topic = `${run}-in`;
  const table = `${run}.events`;
  const kafka = new kafkajs.Kafka({ clientId: 'ops-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });

  const dir = mkdtempSync(`${tmpdir()}/floe-ops-`);
  const configPath = `${dir}/floe.yaml`;
  // A long commit interval: records consumed after a commit stay buffered until SIGTERM flushes them.
  writeFileSync(
    configPath,
    `kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: ${stackS3} }
commit: { interval: 30s }
http: { port: 0 }
mappings:
  - topics: [${topic}]
    table: ${table}
    format: json
    schema:
      - { name: id, type: long, required: true }
      - { name: name, type: string }
`,
  );
  const producer = kafka.producer();
  await producer.connect();
  const send = (from: number, n: number, extra: kafkajs.Message[] = []) =>
    producer.send({ topic, acks: -1, messages: [...Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ id: from + i, name: `n${from + i}` }), partition: (from + i) % 2 })), ...extra] });

  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', configPath, '--stop-timeout', '60'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const catalog = new RestCatalog({ uri: stack.restUrl });
  const rows = async () => {
    try {
      return Number(branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      return -1;
    }
  };
  try {
    let url: string | undefined;
    for (let i = 0; i < 240 && !url; i++) {
      url = /"url":"(http:[^"]+)"/.exec(out)?.[1];
      if (!url) await sleep(250);
    }
    assert.ok(url, `floe run printed its ops URL:\n${out}`);
    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    const before = await metrics();
    assert.equal(sample(before, 'floe_records_in_total', { topic }), undefined, 'nothing consumed yet');

    // 100 records and a dead letter, committed by the interval commit.
    await send(0, 100, [{ key: 'bad', value: '{not json', partition: 0 }]);
    let n = -1;
    for (let i = 0; i < 240 && n < 100; i++) {
      await sleep(250);
      n = await rows();
    }
    assert.equal(n, 100, `the first interval commit landed:\n${out.slice(-2000)}`);
    const committedAt = Date.now();

    // 30 more, consumed but not committed before SIGTERM (the next interval commit is ~30 s away).
    await send(100, 30);
    let m = await metrics();
    for (let i = 0; i < 80 && sample(m, 'floe_records_in_total', { topic }) !== 131; i++) {
      await sleep(250);
      m = await metrics();
    }
    assert.equal(sample(m, 'floe_records_in_total', { topic }), 131, 'records in, by topic');
    assert.ok((sample(m, 'floe_bytes_in_total', { topic }) ?? 0) > 131 * 10, 'bytes in, by topic');
    assert.equal(sample(m, 'floe_table_records_in_total', { table }), 100, 'records in, by table (taken into its batches)');
    assert.equal(sample(m, 'floe_records_out_total', { table }), 100, 'records out, by table');
    assert.equal(sample(m, 'floe_dead_letter_records_total', { table, code: 'DECODE_FAILED' }), 1, 'dead letters, by table and code');
    assert.equal(sample(m, 'floe_records_out_total', { table: `${table}_dlq` }), 1, 'the dead letter was committed to the dead-letter table');
    assert.ok((sample(m, 'floe_commits_total', { table, kind: 'data' }) ?? 0) >= 1, 'commits, by table and kind');
    assert.ok((sample(m, 'floe_commit_duration_seconds_count', { table }) ?? 0) >= 1, 'commit latency histogram count');
    assert.ok((sample(m, 'floe_commit_duration_seconds_sum', { table }) ?? 0) > 0, 'commit latency histogram sum');
    assert.ok((sample(m, 'floe_commit_duration_seconds_bucket', { table, le: '+Inf' }) ?? 0) >= 1, 'commit latency histogram buckets');
    assert.match(m, /# TYPE floe_commit_conflicts_total counter/, 'commit conflicts are exported');
    assert.ok((sample(m, 'floe_data_files_written_total', { table }) ?? 0) >= 1, 'files written');
    assert.ok((sample(m, 'floe_data_bytes_written_total', { table }) ?? 0) > 100, 'bytes written');
    for (let i = 0; i < 20 && sample(m, 'floe_partition_lag_records', { table, topic, partition: '1' }) !== 15; i++) {
      await sleep(250);
      m = await metrics();
    }
    // The log end as fetched minus the table's offset: the 15 buffered records of each partition.
    assert.equal(sample(m, 'floe_partition_lag_records', { table, topic, partition: '0' }), 15, 'lag of partition 0');
    assert.equal(sample(m, 'floe_partition_lag_records', { table, topic, partition: '1' }), 15, 'lag of partition 1');
    assert.ok((sample(m, 'floe_buffered_bytes') ?? 0) > 0, 'the 30 uncommitted records are buffered');
    assert.ok((sample(m, 'floe_last_commit_timestamp_seconds', { table }) ?? 0) * 1000 > committedAt - 30_000, 'last commit time');
    assert.ok(Date.now() - committedAt < 25_000, 'still inside the commit interval: SIGTERM is what commits the last records');
    assert.equal(await rows(), 100, 'the last 30 records are not committed yet');

    // status while running: the table is at 100 (+1 dead letter), Kafka's end is 131.
    const status = JSON.parse((await exec(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'status', '-c', configPath, '--json'], { cwd: ROOT })).stdout) as Array<Record<string, unknown>>;
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    assert.deepEqual([ends.get(0), ends.get(1)], [66, 65]);
    const ev = status.filter((s) => s.table === table).sort((a, b) => Number(a.partition) - Number(b.partition));
    assert.deepEqual(
      ev.map((s) => [s.topic, s.partition, s.table_offset, s.end_offset, s.lag]),
      [
        [topic, 0, 51, 66, 15],
        [topic, 1, 50, 65, 15],
      ],
      `status rows: ${JSON.stringify(status)}`,
    );
    for (const s of ev) assert.ok(typeof s.last_commit_age_s === 'number' && s.last_commit_age_s >= 0 && s.last_commit_age_s < 60, `age of the last commit: ${String(s.last_commit_age_s)}`);
    assert.ok(status.some((s) => s.table === `${table}_dlq`), 'the dead-letter table is listed too');

    // SIGTERM: flush, commit, leave the group, exit 0.
    const termAt = Date.now();
    child.kill('SIGTERM');
    const end = await exited;
    assert.equal(end.code, 0, `exit code after SIGTERM:\n${out.slice(-3000)}`);
    assert.ok(end.at - termAt < 60_000, 'stopped within the bound');
    assert.equal(await rows(), 130, 'the records consumed after the last interval commit were committed on SIGTERM');
    const group = (await admin.describeGroups([run])).groups[0];
    assert.equal(group?.members.length, 0, 'the member left the group');
    assert.match(out, /"msg":"stopped"/);

    // status after the stop: the table is at the end; 7 new records are lag 7.
    await send(200, 7);
    const after = JSON.parse((await exec(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'status', '-c', configPath, '--json'], { cwd: ROOT })).stdout) as Array<Record<string, unknown>>;
    const ev2 = after.filter((s) => s.table === table).sort((a, b) => Number(a.partition) - Number(b.partition));
    assert.deepEqual(
      ev2.map((s) => [s.partition, s.table_offset, s.end_offset, s.lag]),
      [
        [0, 66, 70, 4],
        [1, 65, 68, 3],
      ],
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await producer.disconnect();
    await admin.disconnect();
  }
});
