/**
 * Fetch throughput of the pure-JS Kafka clients against the real broker (scripts/stack up kafka).
 *
 *   npm run bench:kafka -- [--records 2000000] [--size 300] [--partitions 4] [--runs 3] [--profile]
 *
 * Produces the data set once (a topic named after its shape; reused when it already holds the
 * records), measures both producers on a scratch topic, then consumes the whole topic with a
 * fresh consumer group per run, each client in its own child process of this script so that
 * peak RSS and CPU profiles (--profile: `node --cpu-prof`) belong to one client. Runs are
 * interleaved so that a noisy neighbour hurts every client alike. Clients: kafkajs-default,
 * kafkajs (tuned), kafkajs/<MiB per partition>/<MiB>/<wait ms>/<concurrency>, platformatic (its
 * stream consumer), platformatic-fetch (its Fetch API in a loop of ours), floe (src/kafka). Last
 * line (ratio = platformatic / kafkajs; cpu = CPU seconds per million records):
 *   kafka kafkajs_records_per_s=<n> platformatic_records_per_s=<n> ratio=<n> kafkajs_cpu_s_per_m=<n> platformatic_cpu_s_per_m=<n> cpu_ratio=<n>
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { Admin, Consumer, FetchIsolationLevels, Producer, ProduceAcks } from '@platformatic/kafka';
import { createConsumer, createKafka } from '../src/kafka/index.js';

const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '2000000' },
    size: { type: 'string', default: '300' },
    partitions: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: 'kafkajs-default,kafkajs,platformatic,platformatic-fetch,floe' },
    profile: { type: 'boolean', default: false },
    child: { type: 'string' },
    topic: { type: 'string' },
  },
});
const RECORDS = Number(opt.records);
const SIZE = Number(opt.size);
const PARTITIONS = Number(opt.partitions);
const BROKER = `127.0.0.1:${process.env.FLOE_KAFKA_PORT ?? 9092}`;
const TOPIC = opt.topic ?? `floe-bench-kafka-${RECORDS}x${SIZE}-p${PARTITIONS}`;
const CACHE = process.env.FLOE_CACHE ?? join(process.env.HOME ?? '.', '.cache', 'floe');

interface ChildResult {
  client: string;
  records: number;
  bytes: number;
  /** From joining the group (partitions assigned) to the last record. */
  fetchMs: number;
  /** From connect to the last record (includes the group join). */
  totalMs: number;
  maxRssMb: number;
  cpuMs: number;
}

/** A ~SIZE-byte JSON-ish value, different per record so nothing compresses by accident. */
function makeValue(i: number): Buffer {
  const head = `{"order_id":${i},"merchant":"m-${i % 997}","amount":"${(i % 100000) / 100}","currency":"EUR","ts":${1_700_000_000_000 + i},"note":"`;
  const pad = Math.max(0, SIZE - head.length - 2);
  let s = head;
  while (s.length < head.length + pad) s += (i * 2654435761 >>> 0).toString(36);
  return Buffer.from(s.slice(0, head.length + pad) + '"}');
}

async function topicCount(topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({ clientId: 'floe-bench', brokers: [BROKER], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return -1;
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function recreate(topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'floe-bench', bootstrapBrokers: [BROKER] });
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) await admin.deleteTopics({ topics: [topic] });
    for (let i = 0; ; i++) {
      try {
        await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
        break;
      } catch (err) {
        // a just-deleted topic lingers for a moment
        if (i > 20) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.close();
  }
}

const BATCH = 2000;

async function producePlatformatic(topic: string, n: number): Promise<number> {
  const p = new Producer({ clientId: 'floe-bench', bootstrapBrokers: [BROKER], acks: ProduceAcks.LEADER, maxInflights: 8 });
  const t0 = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) messages.push({ topic, partition: j % PARTITIONS, key: Buffer.from(String(j)), value: makeValue(j) });
    const s = p.send({ messages }).finally(() => inflight.delete(s));
    inflight.add(s);
    if (inflight.size >= 8) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const ms = performance.now() - t0;
  await p.close();
  return ms;
}

async function produceKafkajs(topic: string, n: number): Promise<number> {
  const p = new kafkajs.Kafka({ clientId: 'floe-bench', brokers: [BROKER], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await p.connect();
  const t0 = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) messages.push({ partition: j % PARTITIONS, key: Buffer.from(String(j)), value: makeValue(j) });
    const s = p.send({ topic, messages, acks: 1 }).finally(() => inflight.delete(s));
    inflight.add(s);
    if (inflight.size >= 8) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const ms = performance.now() - t0;
  await p.disconnect();
  return ms;
}

// ---- the consumers, one per child process ----

function finish(client: string, records: number, bytes: number, tStart: number, tJoin: number): ChildResult {
  const end = performance.now();
  const ru = process.resourceUsage();
  return { client, records, bytes, fetchMs: end - tJoin, totalMs: end - tStart, maxRssMb: ru.maxRSS / 1024, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000 };
}

/**
 * `kafkajs` is the tuned setting picked by a sweep (see the report in docs/decisions.md);
 * `kafkajs-default` is the library's defaults; `kafkajs/<MiB per partition>/<MiB>/<wait ms>/<partitions
 * concurrently>` tries another setting.
 */
function kafkajsSettings(client: string): { maxBytesPerPartition?: number; maxBytes?: number; maxWaitTimeInMs?: number; concurrency: number } {
  if (client === 'kafkajs-default') return { concurrency: 1 };
  const spec = client === 'kafkajs' ? TUNED_KAFKAJS : client.slice('kafkajs/'.length);
  const [mbpp, mb, wait, conc] = spec.split('/').map(Number);
  return { maxBytesPerPartition: (mbpp ?? 1) * 2 ** 20, maxBytes: (mb ?? 10) * 2 ** 20, maxWaitTimeInMs: wait ?? 5000, concurrency: conc ?? 1 };
}
const TUNED_KAFKAJS = '1/10/100/1';

async function consumeKafkajs(client: string): Promise<ChildResult> {
  const kafka = new kafkajs.Kafka({ clientId: 'floe-bench', brokers: [BROKER], logLevel: kafkajs.logLevel.NOTHING });
  const { concurrency, ...tuning } = kafkajsSettings(client);
  const consumer = kafka.consumer({ groupId: `floe-bench-${process.pid}-${Date.now()}`, readUncommitted: false, minBytes: 1, ...tuning });
  const tStart = performance.now();
  let tJoin = 0;
  let records = 0;
  let bytes = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (tJoin = performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
        records += batch.messages.length;
        if (records >= RECORDS) resolve();
      },
    });
  });
  await done;
  const r = finish(client, records, bytes, tStart, tJoin);
  await consumer.disconnect();
  return r;
}

async function consumePlatformaticStream(): Promise<ChildResult> {
  const consumer = new Consumer({
    clientId: 'floe-bench',
    bootstrapBrokers: [BROKER],
    groupId: `floe-bench-${process.pid}-${Date.now()}`,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    // the same fetch sizes as the tuned kafkajs, so that peak RSS compares like with like
    maxBytes: 10 << 20,
    maxBytesPerPartition: 1 << 20,
    minBytes: 1,
    maxWaitTime: 100,
    autocommit: false,
  });
  const tStart = performance.now();
  let tJoin = 0;
  let records = 0;
  let bytes = 0;
  consumer.on('consumer:group:join', () => (tJoin = performance.now()));
  const stream = await consumer.consume({ topics: [TOPIC], mode: 'earliest', autocommit: false });
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (m) => {
      bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
      if (++records >= RECORDS) resolve();
    });
  });
  const r = finish('platformatic', records, bytes, tStart, tJoin);
  await stream.close();
  await consumer.close(true);
  return r;
}

/** Floe's own consumer stage (src/kafka) on kafkajs: what the wrapper adds per record. */
async function consumeFloe(): Promise<ChildResult> {
  const settings = { brokers: [BROKER], clientId: 'floe-bench', groupId: `floe-bench-${process.pid}-${Date.now()}` };
  const tStart = performance.now();
  let tJoin = 0;
  let records = 0;
  let bytes = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const c = createConsumer(createKafka(settings), settings, { topics: [TOPIC] }, {
    onAssign: async (parts) => {
      tJoin = performance.now();
      return parts.map((p) => ({ ...p, offset: 0 }));
    },
    onBatch: async (b) => {
      for (const r of b.records) bytes += r.size;
      records += b.records.length;
      if (records >= RECORDS) done();
    },
  });
  await c.start();
  await finished;
  const r = finish('floe', records, bytes, tStart, tJoin);
  await c.stop();
  return r;
}

/** platformatic's protocol layer with our own loop: one Fetch per round for every partition. */
async function consumePlatformaticFetch(): Promise<ChildResult> {
  const consumer = new Consumer({ clientId: 'floe-bench', bootstrapBrokers: [BROKER], groupId: `floe-bench-${process.pid}` });
  const tStart = performance.now();
  const meta = await consumer.metadata({ topics: [TOPIC] });
  const t = meta.topics.get(TOPIC);
  if (!t) throw new Error(`no topic ${TOPIC}`);
  const next = t.partitions.map(() => 0n);
  const tJoin = performance.now();
  let records = 0;
  let bytes = 0;
  const leader = t.partitions[0]?.leader ?? 1;
  while (records < RECORDS) {
    const res = await consumer.fetch({
      node: leader,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 10 << 20,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      topics: [{ topicId: t.id, partitions: next.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })) }],
    });
    for (const tr of res.responses) {
      for (const pr of tr.partitions) {
        for (const b of pr.records ?? []) {
          for (const rec of b.records) bytes += (rec.value?.length ?? 0) + (rec.key?.length ?? 0);
          records += b.records.length;
          next[pr.partitionIndex] = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
        }
      }
    }
  }
  const r = finish('platformatic-fetch', records, bytes, tStart, tJoin);
  await consumer.close(true);
  return r;
}

async function child(client: string): Promise<void> {
  const r =
    client.startsWith('kafkajs') ? await consumeKafkajs(client)
    : client === 'platformatic' ? await consumePlatformaticStream()
    : client === 'platformatic-fetch' ? await consumePlatformaticFetch()
    : client === 'floe' ? await consumeFloe()
    : undefined;
  if (!r) throw new Error(`unknown client ${client}`);
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
}

// ---- the parent: data set, runs, summary ----

function runChild(client: string, profDir: string | undefined): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), self, '--child', client, '--topic', TOPIC, '--records', String(RECORDS)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${client} exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as ChildResult);
    });
  });
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Self time per function, the top n, as "share% name (file:line)". */
function hotSpots(file: string, n: number): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i] ?? -1);
    const dt = prof.timeDeltas[i] ?? 0;
    if (!node) continue;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} (${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(bench|src)\//, '$1/')}:${f.lineNumber + 1})`;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}% ${k}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const clients = (opt.clients ?? '').split(',').filter(Boolean);
  const have = await topicCount(TOPIC);
  const produced: string[] = [];
  if (have !== RECORDS) {
    // Both producers on a scratch topic (a tenth of the data set), then the data set once with the faster.
    const scratch = `${TOPIC}-scratch`;
    const n = Math.max(10_000, Math.floor(RECORDS / 10));
    await recreate(scratch);
    const kjs = await produceKafkajs(scratch, n);
    await recreate(scratch);
    const plt = await producePlatformatic(scratch, n);
    produced.push(`producer kafkajs ${Math.round(n / (kjs / 1000))} records/s, platformatic ${Math.round(n / (plt / 1000))} records/s (${n} records, acks=1, ${BATCH} per send, 8 sends in flight)`);
    await recreate(TOPIC);
    const faster = plt <= kjs ? 'platformatic' : 'kafkajs';
    const ms = faster === 'platformatic' ? await producePlatformatic(TOPIC, RECORDS) : await produceKafkajs(TOPIC, RECORDS);
    produced.push(`data set: ${RECORDS} records of ${SIZE} bytes into ${PARTITIONS} partitions with ${faster}: ${Math.round(RECORDS / (ms / 1000))} records/s, ${((RECORDS * SIZE) / 1e6 / (ms / 1000)).toFixed(1)} MB/s`);
  } else {
    produced.push(`data set: reusing topic ${TOPIC} (${RECORDS} records)`);
  }
  for (const l of produced) console.log(l);

  const profDir = opt.profile ? join(CACHE, 'bench-kafka-prof') : undefined;
  const results = new Map<string, ChildResult[]>(clients.map((c) => [c, []]));
  for (let run = 0; run < Number(opt.runs); run++) {
    for (const c of clients) {
      const dir = profDir && run === 0 ? join(profDir, c.replaceAll('/', '_')) : undefined;
      if (dir) { rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true }); }
      const r = await runChild(c, dir);
      if (r.records < RECORDS) throw new Error(`${c} read ${r.records} of ${RECORDS}`);
      results.get(c)?.push(r);
      console.log(`run ${run + 1} ${c.padEnd(18)} ${Math.round(r.records / (r.fetchMs / 1000)).toString().padStart(8)} records/s ${(r.bytes / 1e6 / (r.fetchMs / 1000)).toFixed(1).padStart(6)} MB/s  total ${(r.totalMs / 1000).toFixed(1)} s  cpu ${(r.cpuMs / 1000).toFixed(1)} s  peak RSS ${r.maxRssMb.toFixed(0)} MB`);
    }
  }
  console.log('\nclient             records/s(median)  MB/s   cpu s/M records  peak RSS MB(max)');
  const rate = new Map<string, number>();
  const cpuPerM = new Map<string, number>();
  for (const [c, rs] of results) {
    const rps = median(rs.map((r) => r.records / (r.fetchMs / 1000)));
    rate.set(c, rps);
    const mbs = median(rs.map((r) => r.bytes / 1e6 / (r.fetchMs / 1000)));
    const cpu = median(rs.map((r) => r.cpuMs / 1000 / (r.records / 1e6)));
    cpuPerM.set(c, cpu);
    console.log(`${c.padEnd(18)} ${Math.round(rps).toString().padStart(17)}  ${mbs.toFixed(1).padStart(5)}  ${cpu.toFixed(2).padStart(15)}  ${Math.max(...rs.map((r) => r.maxRssMb)).toFixed(0).padStart(16)}`);
  }
  if (profDir) {
    for (const c of clients) {
      // one profile per thread (tsx runs a loader thread): the client's is the largest
      const dir = join(profDir, c.replaceAll('/', '_'));
      const f = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
      if (!f) continue;
      console.log(`\nhot spots, ${c} (self time, first run):`);
      for (const l of hotSpots(join(dir, f), 10)) console.log(`  ${l}`);
    }
  }
  const kjs = rate.get('kafkajs') ?? rate.get('kafkajs-default') ?? 0;
  const plt = rate.get('platformatic') ?? 0;
  // Wall-clock rates move with the machine's load (the broker shares the cores); CPU seconds
  // per million records is the steadier measure of what a client costs.
  const kcpu = cpuPerM.get('kafkajs') ?? cpuPerM.get('kafkajs-default') ?? NaN;
  const pcpu = cpuPerM.get('platformatic') ?? NaN;
  console.log(`kafka kafkajs_records_per_s=${Math.round(kjs)} platformatic_records_per_s=${Math.round(plt)} ratio=${kjs ? (plt / kjs).toFixed(2) : 'NaN'} kafkajs_cpu_s_per_m=${kcpu.toFixed(2)} platformatic_cpu_s_per_m=${pcpu.toFixed(2)} cpu_ratio=${(pcpu / kcpu).toFixed(2)}`);
}

if (opt.child) await child(opt.child);
else await main();
