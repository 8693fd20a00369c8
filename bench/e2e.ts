/**
 * npm run bench:e2e [records] [steadySeconds]: Kafka -> Iceberg on the S3 store, end to end.
 * 1) `records` Avro records of ~300 bytes (12 fields) produced in advance to 4 partitions, then
 *    consumed by `floe run` (a child process): records/s and MB/s from the first commit to the
 *    last record visible; 2) a steady 5,000 records/s for `steadySeconds` with a 1 s commit
 *    interval: freshness = time a row becomes visible in the table minus its produce time.
 * Last line:
 *   e2e records_per_s=<n> mb_per_s=<n> peak_rss_mb=<n> files=<n> freshness_p50_ms=<n> freshness_p99_ms=<n>
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import kafkajs from 'kafkajs';
import { avroType, frame } from '../src/decode/index.js';
import { RegistryClient } from '../src/decode/registry.js';
import { RestCatalog, parseIdent } from '../src/iceberg/index.js';
import { branchHead } from '../src/spec/metadata.js';
import { parseOffsets } from '../src/commit/index.js';
import { ROOT, stack, uniqueName } from '../test/helpers/stack.js';
import { stackS3 } from '../test/helpers/floe.js';
import { cpuSeconds, percentile } from './lib/floe-process.js';

const RECORDS = Number(process.argv[2] ?? 2_000_000);
const STEADY_S = Number(process.argv[3] ?? 60);
const RATE = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.log(`[e2e] ${s}`);

const SCHEMA = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'user_id', type: 'long' },
    { name: 'session_id', type: 'string' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'page', type: 'string' },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'country', type: 'string' },
    { name: 'device', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'score', type: 'double' },
    { name: 'flags', type: 'int' },
    { name: 'user_agent', type: 'string' },
  ],
};
const PAGES = Array.from({ length: 100 }, (_, i) => `/catalog/section-${i}/product-page`);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Safari/537.36 Edg/126.0.2592.68 floe-bench/1.0 (+https://example.invalid/bot)';

async function kafkajsBaseline(kafka: kafkajs.Kafka, topic: string): Promise<{ rate: number; cpuSPerM: number }> {
  const c = kafka.consumer({ groupId: `${topic}-baseline`, maxBytes: 10 * 2 ** 20, maxBytesPerPartition: 2 ** 20, maxWaitTimeInMs: 500 });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let first = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const cpu0 = process.cpuUsage();
  await c.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      first ||= Date.now();
      n += batch.messages.length;
      if (n >= RECORDS) done();
    },
  });
  await finished;
  const secs = (Date.now() - first) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await c.disconnect();
  return { rate: RECORDS / secs, cpuSPerM: ((cpu.user + cpu.system) / 1e6 / RECORDS) * 1e6 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'kafka', 'registry', 'rest'], { stdio: 'inherit' });
  const run = uniqueName('e2e');
  const topic = run;
  const table = `bench.${run}`;
  const kafka = new kafkajs.Kafka({ clientId: 'floe-e2e', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const registry = new RegistryClient({ url: stack.registryUrl });
  const id = await registry.register(`${topic}-value`, JSON.stringify(SCHEMA));
  const type = avroType(SCHEMA);
  const encode = (i: number, ts: bigint) =>
    frame(
      id,
      type.toBuffer({
        event_id: `evt-${i.toString(36).padStart(10, '0')}-${(i * 2654435761) % 1e9}`,
        user_id: BigInt(i % 1_000_003),
        session_id: `sess-${(i >>> 4).toString(36)}`,
        ts,
        page: PAGES[i % PAGES.length] as string,
        referrer: i % 3 ? 'https://search.example/q?x=1' : null,
        country: ['DE', 'US', 'FR', 'JP'][i % 4] as string,
        device: ['ios', 'android', 'web'][i % 3] as string,
        amount: BigInt(i % 100_000),
        score: (i % 1000) / 7,
        flags: i % 16,
        user_agent: UA,
      }),
    );
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  log(`producing ${RECORDS} records in advance`);
  let bytes = 0;
  const t0 = Date.now();
  const base = BigInt(Date.now()) * 1000n;
  for (let i = 0; i < RECORDS; i += 2_000) {
    const messages = [];
    for (let j = i; j < Math.min(RECORDS, i + 2_000); j++) {
      const value = encode(j, base + BigInt(j));
      bytes += value.length;
      messages.push({ value, partition: j % 4 });
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  log(`produced ${RECORDS} (${(bytes / RECORDS).toFixed(0)} bytes each) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Baseline in the same run (the machine is shared): kafkajs alone reading the whole topic with
  // Floe's fetch sizes and doing nothing with the records.
  const baseline = await kafkajsBaseline(kafka, topic);
  log(`baseline: kafkajs alone ${Math.round(baseline.rate)} records/s, ${baseline.cpuSPerM.toFixed(2)} CPU s per million records`);
  const httpPort = await freePort();
  const dir = `${ROOT}/.stack/bench/${run}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}/floe.yaml`,
    `kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run} }
registry: { url: "${stack.registryUrl}" }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: ${stackS3} }
commit: { interval: 1s }
memoryLimit: 256MiB
http: { port: ${httpPort} }
mappings:
  - topics: [${topic}]
    table: ${table}
    partitionBy: ["day(ts)"]
`,
  );
  const out = createWriteStream(`${dir}/floe.log`);
  // FLOE_PROFILE=<dir>: write a CPU profile of the Floe process there (node --cpu-prof).
  const prof = process.env.FLOE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLOE_PROFILE}`] : [];
  const floe = spawn(process.execPath, [...prof, '--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', `${dir}/floe.yaml`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOE_LOG_LEVEL: process.env.FLOE_E2E_LOG_LEVEL ?? 'warn' } });
  floe.stdout?.pipe(out);
  floe.stderr?.pipe(out);
  let peakKb = 0;
  const rssTimer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${floe.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited
    }
  }, 500);
  // Where the memory goes, from Floe's own /metrics at the highest RSS seen: the main thread's
  // V8 heap and its external memory (array buffers); the rest of RSS is code, the encoder
  // threads' WebAssembly memory and allocator slack.
  let mem = { rss: 0, heap: 0, external: 0, buffered: 0 };
  const memTimer = setInterval(() => {
    fetch(`http://127.0.0.1:${httpPort}/metrics`)
      .then((r) => r.text())
      .then((t) => {
        const g = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(t)?.[1] ?? 0);
        const rss = g('floe_process_resident_memory_bytes');
        if (rss > mem.rss) mem = { rss, heap: g('floe_nodejs_heap_size_total_bytes'), external: g('floe_nodejs_external_memory_bytes'), buffered: g('floe_buffered_bytes') };
      })
      .catch(() => undefined);
  }, 500);

  const catalog = new RestCatalog({ uri: stack.restUrl });
  const ident = parseIdent(table);
  const total = async () => {
    try {
      const head = branchHead((await catalog.loadTable(ident)).metadata);
      return { rows: Number(head?.summary['total-records'] ?? 0), files: Number(head?.summary['total-data-files'] ?? 0), head };
    } catch {
      return { rows: 0, files: 0, head: undefined };
    }
  };
  const started = Date.now();
  let firstAt = 0;
  let firstRows = 0;
  let now = await total();
  while (now.rows < RECORDS && Date.now() - started < 900_000) {
    await sleep(250);
    now = await total();
    if (now.rows > 0 && !firstAt) {
      firstAt = Date.now();
      firstRows = now.rows;
    }
  }
  const secs = (Date.now() - started) / 1000;
  const rate = RECORDS / secs;
  log(`backlog: ${now.rows} rows in ${secs.toFixed(1)} s (from start of floe, incl. group join) in ${now.files} files; first rows visible after ${((firstAt - started) / 1000).toFixed(1)} s (${firstRows} rows); after that ${Math.round((now.rows - firstRows) / ((Date.now() - firstAt) / 1000))} records/s`);
  const floeCpu = cpuSeconds(floe.pid);
  log(`CPU: Floe used ${floeCpu.toFixed(1)} s for the backlog (all threads, startup included) = ${((floeCpu / RECORDS) * 1e6).toFixed(2)} s per million records; kafkajs alone ${baseline.cpuSPerM.toFixed(2)}`);
  log(`baseline: kafkajs alone consumed the same topic at ${Math.round(baseline.rate)} records/s just before; Floe / kafkajs = ${(rate / baseline.rate).toFixed(2)}`);

  // Steady phase: 5,000 records/s; freshness from produce time to visibility.
  log(`steady ${RATE} records/s for ${STEADY_S} s`);
  const produceTimes = new Map<number, Array<[number, number]>>(); // partition -> [offset, time]
  const visible = new Map<number, number>(); // partition -> next offset already visible
  const fresh: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const head = (await total()).head;
      const s = head?.summary[`floe.offsets.${run}`];
      if (s) {
        const t = Date.now();
        const m = parseOffsets(s).get(topic);
        for (const [p, next] of m ?? []) {
          const list = produceTimes.get(p) ?? [];
          while (list.length && (list[0] as [number, number])[0] < next) fresh.push(t - (list.shift() as [number, number])[1]);
          visible.set(p, next);
        }
      }
      await sleep(100);
    }
  })();
  const steadyStart = Date.now();
  let sent = 0;
  while (Date.now() - steadyStart < STEADY_S * 1000) {
    const due = Math.floor(((Date.now() - steadyStart) / 1000) * RATE);
    if (due > sent) {
      const messages = [];
      for (let i = sent; i < due; i++) messages.push({ value: encode(RECORDS + i, BigInt(Date.now()) * 1000n), partition: i % 4 });
      const at = Date.now();
      const res = await producer.send({ topic, messages, acks: 1 });
      for (const r of res) {
        const count = messages.filter((m) => m.partition === r.partition).length;
        const list = produceTimes.get(r.partition) ?? [];
        for (let k = 0; k < count; k++) list.push([Number(r.baseOffset) + k, at]);
        produceTimes.set(r.partition, list);
      }
      sent = due;
    }
    await sleep(20);
  }
  await sleep(5000);
  polling = false;
  await poll;
  await producer.disconnect();
  floe.kill('SIGTERM');
  await new Promise((r) => floe.on('exit', r));
  clearInterval(rssTimer);
  clearInterval(memTimer);
  const MB = (n: number) => Math.round(n / 2 ** 20);
  log(`memory at the highest RSS sampled: rss ${MB(mem.rss)} MB = V8 heap ${MB(mem.heap)} MB + external ${MB(mem.external)} MB + other ${MB(mem.rss - mem.heap - mem.external)} MB (code, encoder threads); buffered records ${MB(mem.buffered)} MB`);
  const final = await total();
  fresh.sort((a, b) => a - b);
  log(`steady: ${sent} produced, ${fresh.length} seen visible; table rows ${final.rows}`);
  console.log(
    `e2e records_per_s=${Math.round(rate)} mb_per_s=${((bytes / RECORDS) * rate / 1e6).toFixed(1)} peak_rss_mb=${Math.round(peakKb / 1024)} files=${final.files} freshness_p50_ms=${percentile(fresh, 50)} freshness_p99_ms=${percentile(fresh, 99)}`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
