/**
 * npm run bench:connect [records] [steadySeconds]: Floe against Apache Iceberg's own Kafka Connect
 * sink (1.10.1, Kafka Connect 4.1 standalone, one task unless FLOE_CONNECT_TASKS), on the same machine, topic, REST catalog,
 * S3 store and table schema. Plain JSON records (no registry: the format both read alike).
 *
 * 1) Backlog: `records` JSON records (~200 bytes, 8 fields) produced in advance to 4 partitions;
 *    each sink, started fresh, consumes all of them into its own empty table, committing every
 *    10 s (Floe's default; the Connect sink's default is 5 min). Rounds alternate Floe, Connect,
 *    Floe, Connect; the better round of each counts. Measured per run: records/s from process
 *    start until the table holds every record (startup included: JVM start and plugin load for
 *    Connect, Node start for Floe), CPU seconds of the process (all threads), peak RSS; and that
 *    the table holds exactly `records` rows.
 * 2) Freshness: on a new topic, each sink with a 1 s commit interval, a steady 2,000 records/s for
 *    `steadySeconds`; the table's row count is polled every 100 ms and rows that became visible
 *    are matched to the oldest records not yet visible: visible time minus produce time.
 * Last line:
 *   connect floe_records_per_s=<n> connect_records_per_s=<n> throughput_ratio=<floe/connect> floe_cpu_s=<n> connect_cpu_s=<n> floe_rss_mb=<n> connect_rss_mb=<n> floe_freshness_p50_ms=<n> floe_freshness_p99_ms=<n> connect_freshness_p50_ms=<n> connect_freshness_p99_ms=<n>
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import kafkajs from 'kafkajs';
import { RestCatalog, parseIdent } from '../src/iceberg/index.js';
import { branchHead } from '../src/spec/metadata.js';
import { schemaToJson } from '../src/spec/schema.js';
import type { Schema } from '../src/spec/types.js';
import { stackConfig } from '../test/helpers/floe.js';
import { ROOT, stack, uniqueName } from '../test/helpers/stack.js';
import { cpuSeconds, peakRssKb, percentile } from './lib/floe-process.js';

const RECORDS = Number(process.argv[2] ?? 2_000_000);
const STEADY_S = Number(process.argv[3] ?? 60);
const RATE = 2000;
/** The Connect sink's tasks (FLOE_CONNECT_TASKS; one by default, like Floe's one process). */
const TASKS = Number(process.env.FLOE_CONNECT_TASKS ?? 1);
const PARTITIONS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.log(`[connect] ${s}`);
const catalog = new RestCatalog({ uri: stack.restUrl });

// Versions as scripts/services/connect.sh installs them.
const CONNECT_HOME = `${process.env.FLOE_CACHE ?? `${homedir()}/.cache/floe`}/connect-4.1.2-iceberg-1.10.1`;

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: false, type: { type: 'long' } },
    { id: 2, name: 'user_id', required: false, type: { type: 'long' } },
    { id: 3, name: 'session', required: false, type: { type: 'string' } },
    { id: 4, name: 'page', required: false, type: { type: 'string' } },
    { id: 5, name: 'country', required: false, type: { type: 'string' } },
    { id: 6, name: 'amount', required: false, type: { type: 'double' } },
    { id: 7, name: 'flags', required: false, type: { type: 'int' } },
    { id: 8, name: 'ts', required: false, type: { type: 'long' } },
  ],
};
/** Floe's declared-schema form of SCHEMA (format: json). */
const FLOE_SCHEMA = SCHEMA.fields.map((f) => `      - { name: ${f.name}, type: ${f.type.type} }`).join('\n');

const record = (i: number, ts: number) =>
  JSON.stringify({
    id: i,
    user_id: i % 1_000_003,
    session: `sess-${(i >>> 4).toString(36)}`,
    page: `/catalog/section-${i % 100}/product-page`,
    country: ['DE', 'US', 'FR', 'JP'][i % 4],
    amount: (i % 100_000) / 100,
    flags: i % 16,
    ts,
  });

async function rows(table: string): Promise<number> {
  try {
    return Number(branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['total-records'] ?? 0);
  } catch {
    return 0;
  }
}

async function createTopic(kafka: kafkajs.Kafka, topic: string, partitions = PARTITIONS): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

async function createTable(table: string): Promise<void> {
  const ident = parseIdent(table);
  await catalog.ensureNamespace(ident.namespace);
  await catalog.createTable(ident, { schema: schemaToJson(SCHEMA), properties: { 'format-version': '2' } });
}

type Kind = 'floe' | 'connect';

/** Starts a sink of `kind` on `topic` into `table` (created beforehand), committing every `intervalMs`. */
async function startSink(kind: Kind, run: string, topic: string, table: string, intervalMs: number): Promise<{ proc: ChildProcess; exited: Promise<number | null> }> {
  const dir = `${ROOT}/.stack/bench/${run}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let proc: ChildProcess;
  if (kind === 'floe') {
    writeFileSync(`${dir}/floe.yaml`, stackConfig({ group: run, extra: `commit: { interval: ${intervalMs}ms }\n`, mappings: `  - topics: [${topic}]\n    table: ${table}\n    format: json\n    schema:\n${FLOE_SCHEMA}\n` }));
    proc = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', `${dir}/floe.yaml`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOE_LOG_LEVEL: 'warn' } });
  } else {
    // The control topic (one per connector) must exist first; plugin.path names a folder holding
    // only the plugin (every folder in it is scanned); the sink reads the worker file back from
    // the JVM's command line, so ConnectStandalone gets it as its first argument.
    await createTopic(new kafkajs.Kafka({ clientId: 'bench-connect', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING }), `control-${run}`, 1);
    mkdirSync(`${dir}/plugins`);
    symlinkSync(`${CONNECT_HOME}/plugins/iceberg`, `${dir}/plugins/iceberg`);
    const s3 = stack.s3;
    writeFileSync(
      `${dir}/worker.properties`,
      [
        `bootstrap.servers=${stack.kafkaBrokers[0]}`,
        `plugin.path=${dir}/plugins`,
        // Service-loader discovery: the reflection scan of 140 jars costs ~18 s and ~1 GB here.
        'plugin.discovery=service_load',
        `offset.storage.file.filename=${dir}/connect.offsets`,
        // An idle task's put() (where the Iceberg worker reads the control topic) is called once
        // per flush interval: the default 60 s would delay every commit by up to a minute.
        'offset.flush.interval.ms=1000',
        'key.converter=org.apache.kafka.connect.json.JsonConverter',
        'value.converter=org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable=false',
        'value.converter.schemas.enable=false',
        'listeners=http://127.0.0.1:0',
      ].join('\n'),
    );
    writeFileSync(
      `${dir}/sink.properties`,
      [
        `name=${run}`,
        'connector.class=org.apache.iceberg.connect.IcebergSinkConnector',
        `tasks.max=${TASKS}`,
        `topics=${topic}`,
        `iceberg.tables=${table}`,
        `iceberg.control.topic=control-${run}`,
        `iceberg.control.commit.interval-ms=${intervalMs}`,
        'iceberg.catalog.type=rest',
        `iceberg.catalog.uri=${stack.restUrl}`,
        'iceberg.catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO',
        `iceberg.catalog.s3.endpoint=${s3.endpoint}`,
        'iceberg.catalog.s3.path-style-access=true',
        `iceberg.catalog.s3.access-key-id=${s3.accessKeyId}`,
        `iceberg.catalog.s3.secret-access-key=${s3.secretAccessKey}`,
        `iceberg.catalog.client.region=${s3.region}`,
      ].join('\n'),
    );
    writeFileSync(
      `${dir}/log4j2.properties`,
      ['status = warn', 'appender.out.type = Console', 'appender.out.name = OUT', 'appender.out.layout.type = PatternLayout', 'appender.out.layout.pattern = [%d] %p %m (%c)%n', 'rootLogger.level = WARN', 'rootLogger.appenderRef.out.ref = OUT', 'logger.iceberg.name = org.apache.iceberg', 'logger.iceberg.level = INFO'].join('\n'),
    );
    proc = spawn('java', ['-Xms256m', '-Xmx2g', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${dir}/log4j2.properties`, '-cp', `${CONNECT_HOME}/lib/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', `${dir}/worker.properties`, `${dir}/sink.properties`], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const out = createWriteStream(`${dir}/${kind}.log`);
  proc.stdout?.pipe(out);
  proc.stderr?.pipe(out);
  return { proc, exited: new Promise((r) => proc.on('exit', (code) => r(code))) };
}

async function stop(s: { proc: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 30_000);
  await s.exited;
  clearTimeout(t);
}

interface BacklogRun {
  recordsPerS: number;
  cpuS: number;
  rssMb: number;
  rows: number;
}

async function backlog(kind: Kind, topic: string, round: number): Promise<BacklogRun> {
  const run = uniqueName(`bc${kind[0]}${round}`);
  const table = `bench.${run}`;
  await createTable(table);
  const started = Date.now();
  const s = await startSink(kind, run, topic, table, 10_000);
  let peakKb = 0;
  let n = 0;
  let gone = false;
  void s.exited.then(() => (gone = true));
  while (n < RECORDS && !gone && Date.now() - started < 1_200_000) {
    await sleep(250);
    peakKb = Math.max(peakKb, peakRssKb(s.proc.pid));
    n = await rows(table);
  }
  const secs = (Date.now() - started) / 1000;
  const cpuS = cpuSeconds(s.proc.pid);
  peakKb = Math.max(peakKb, peakRssKb(s.proc.pid));
  await sleep(3000); // a duplicate commit would show in the count
  const final = await rows(table);
  await stop(s);
  if (n < RECORDS) throw new Error(`${kind} did not commit ${RECORDS} records to ${table} (${n}); see .stack/bench/${run}/${kind}.log`);
  const r = { recordsPerS: RECORDS / secs, cpuS, rssMb: Math.round(peakKb / 1024), rows: final };
  log(`${kind} round ${round}: ${Math.round(r.recordsPerS)} records/s (${secs.toFixed(1)} s from start), CPU ${cpuS.toFixed(1)} s, peak RSS ${r.rssMb} MB, table rows ${final}`);
  return r;
}

async function freshness(kind: Kind, kafka: kafkajs.Kafka, producer: kafkajs.Producer): Promise<{ p50: number; p99: number; rows: number; sent: number }> {
  const run = uniqueName(`fc${kind[0]}`);
  const topic = run;
  const table = `bench.${run}`;
  await createTopic(kafka, topic);
  await createTable(table);
  const s = await startSink(kind, run, topic, table, 1000);
  // Warm-up: the sink is up and committing once these are visible.
  await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, i) => ({ value: record(i, Date.now()), partition: i % PARTITIONS })), acks: 1 });
  const started = Date.now();
  while ((await rows(table)) < 1000 && Date.now() - started < 180_000) await sleep(200);
  const sentAt: number[] = []; // produce time of each steady record, in order (FIFO matching)
  let visible = 0; // steady records already matched
  const base = await rows(table);
  const fresh: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const now = (await rows(table)) - base;
      const t = Date.now();
      while (visible < now && visible < sentAt.length) fresh.push(t - (sentAt[visible++] as number));
      await sleep(100);
    }
  })();
  const t0 = Date.now();
  let sent = 0;
  while (Date.now() - t0 < STEADY_S * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    if (due > sent) {
      const at = Date.now();
      const messages = Array.from({ length: due - sent }, (_, k) => ({ value: record(1000 + sent + k, at), partition: (sent + k) % PARTITIONS }));
      await producer.send({ topic, messages, acks: 1 });
      for (let k = sent; k < due; k++) sentAt.push(at);
      sent = due;
    }
    await sleep(20);
  }
  const drainStart = Date.now();
  while (visible < sent && Date.now() - drainStart < 120_000) await sleep(200);
  polling = false;
  await poll;
  await stop(s);
  fresh.sort((a, b) => a - b);
  const r = { p50: percentile(fresh, 50), p99: percentile(fresh, 99), rows: visible, sent };
  log(`${kind} freshness at ${RATE} records/s, 1 s commits: p50 ${r.p50} ms, p99 ${r.p99} ms (${r.rows} of ${sent} visible)`);
  return r;
}

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'kafka', 'rest', 'connect'], { stdio: 'inherit' });
  const kafka = new kafkajs.Kafka({ clientId: 'bench-connect', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const topic = uniqueName('bconnect');
  await createTopic(kafka, topic);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  log(`producing ${RECORDS} JSON records to ${PARTITIONS} partitions`);
  let bytes = 0;
  const ts = Date.now();
  for (let i = 0; i < RECORDS; i += 5000) {
    const messages = Array.from({ length: Math.min(5000, RECORDS - i) }, (_, k) => {
      const value = record(i + k, ts + i + k);
      bytes += value.length;
      return { value, partition: (i + k) % PARTITIONS };
    });
    await producer.send({ topic, messages, acks: 1 });
  }
  log(`produced ${RECORDS} records, ${Math.round(bytes / RECORDS)} bytes each`);
  const runs: Record<Kind, BacklogRun[]> = { floe: [], connect: [] };
  for (let round = 1; round <= 2; round++) for (const kind of ['floe', 'connect'] as const) runs[kind].push(await backlog(kind, topic, round));
  const best = (k: Kind) => runs[k].reduce((a, b) => (b.recordsPerS > a.recordsPerS ? b : a));
  const f = best('floe');
  const c = best('connect');
  for (const k of ['floe', 'connect'] as const) for (const r of runs[k]) if (r.rows !== RECORDS) log(`WARNING: a ${k} table holds ${r.rows} rows for ${RECORDS} records`);
  const ff = await freshness('floe', kafka, producer);
  const cf = await freshness('connect', kafka, producer);
  await producer.disconnect();
  console.log(
    `connect floe_records_per_s=${Math.round(f.recordsPerS)} connect_records_per_s=${Math.round(c.recordsPerS)} throughput_ratio=${(f.recordsPerS / c.recordsPerS).toFixed(2)} floe_cpu_s=${f.cpuS.toFixed(1)} connect_cpu_s=${c.cpuS.toFixed(1)} floe_rss_mb=${f.rssMb} connect_rss_mb=${c.rssMb} floe_freshness_p50_ms=${ff.p50} floe_freshness_p99_ms=${ff.p99} connect_freshness_p50_ms=${cf.p50} connect_freshness_p99_ms=${cf.p99}`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
