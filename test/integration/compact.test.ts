/**
 * Compaction (`floe compact` and a mapping's `compact` in the service) against the stack, while
 * `floe run` (1 s commits) writes the same tables:
 * - a rollup table compacted by the CLI during a wave of records, four compactions killed with
 *   SIGKILL part-way, one with the sink stopped, then the sink restarted on more records: Trino's
 *   per-(window, merchant) totals equal the produced events, one row per group after the last
 *   compaction, every replace snapshot carries its parent's offset map;
 * - two instances compacting a rollup table in the service while they write it;
 * - an append table compacted in the service: fewer files, every order once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { frame } from '../../src/decode/index.js';
import { parseIdent } from '../../src/iceberg/index.js';
import { parseOffsets } from '../../src/commit/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { trinoQuery } from '../helpers/engines.js';
import { floeMetrics, spawnFloe, stackConfig, writeConfig } from '../helpers/floe.js';
import { stackCatalog } from '../helpers/iceberg.js';
import { cents, order, orderTopic } from '../helpers/orders.js';
import { ROOT, skipUnless, uniqueName } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MINUTE = 60_000_000n;
const WAVE = 1_500;

/** Runs `floe compact`; resolves with its exit code and output. `killAfterMs` sends SIGKILL then. */
function compact(config: string, args: string[] = [], killAfterMs?: number): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'compact', '-c', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    if (killAfterMs !== undefined) setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

/** `floe_maintenance_leader` of the instance logging to `log`. */
async function leaderGauge(log: string): Promise<number> {
  const m = /^floe_maintenance_leader (\d+)$/m.exec(await floeMetrics(readFileSync(log, 'utf8')));
  assert.ok(m, 'floe_maintenance_leader is on /metrics');
  return Number(m[1]);
}

/**
 * A topic of orders, a rollup mapping on it (`rollupExtra` added to its rollup section), the
 * producer of waves of orders with what the rollup must hold, and waits on the table's offsets.
 */
async function fixture(prefix: string, rollupExtra = '', kind: 'rollup' | 'append' = 'rollup') {
  const run = uniqueName(prefix);
  const topic = run;
  const ns = run;
  const table = `${ns}.revenue`;
  const { kafka, schemaId, type } = await orderTopic(topic, 2, 'floe-compact-test');
  const dir = `${ROOT}/.stack/compact/${run}`;
  const config = writeConfig(
    dir,
    stackConfig({
      group: run,
      extra: 'commit:\n  interval: 1s\n',
      mappings:
        kind === 'rollup'
          ? `  - topics: [${topic}]
    table: ${table}
    mode: rollup
    rollup:
      timeField: event_time
      window: 1m
      groupBy: [merchant]
      measures: [count, sum(amount) as revenue, min(amount) as lo, max(event_time) as last_event]
${rollupExtra}`
          : `  - topics: [${topic}]
    table: ${table}
    partitionBy: ["bucket(2, order_id)"]
    kafkaColumns: [partition, offset]
${rollupExtra}`,
    }),
  );

  const expected = new Map<string, { count: number; sum: bigint; min: bigint; max: bigint }>();
  const merchants = Array.from({ length: 30 }, (_, m) => `m-${m}`);
  const base = (BigInt(Date.now()) * 1000n / MINUTE) * MINUTE - 10n * MINUTE;
  const state = { produced: 0 };
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const wave = async () => {
    for (let sent = 0; sent < WAVE; sent += 100) {
      const messages = [];
      for (let k = 0; k < 100; k++, state.produced++) {
        const i = state.produced;
        const at = base + BigInt(Math.floor(i / 7) % 5) * MINUTE + BigInt(i % 1000) * 1000n;
        const o = order(i, merchants, at);
        messages.push({ value: frame(schemaId, type.toBuffer(o)), partition: i % 2 });
        const key = `${(at / MINUTE) * 60n}|${o.merchant}`;
        const e = expected.get(key);
        if (!e) expected.set(key, { count: 1, sum: o.amount, min: o.amount, max: at });
        else {
          e.count++;
          e.sum += o.amount;
          if (o.amount < e.min) e.min = o.amount;
          if (at > e.max) e.max = at;
        }
      }
      await producer.send({ topic, messages, acks: -1 });
      await sleep(300); // several commits per wave: several files per partition
    }
  };
  const catalog = stackCatalog();
  const committed = async () => {
    try {
      const meta = (await catalog.loadTable(parseIdent(table))).metadata;
      const s = branchHead(meta)?.summary[`floe.offsets.${run}`];
      return s ? [...(parseOffsets(s).get(topic)?.values() ?? [])].reduce((a, b) => a + b, 0) : 0;
    } catch {
      return 0;
    }
  };
  const until = async (n: number) => {
    for (let i = 0; i < 600 && (await committed()) < n; i++) await sleep(200);
    assert.equal(await committed(), n, `the sink committed ${n} records`);
  };
  const tbl = `iceberg."${ns}"."revenue"`;
  /** Trino's totals per (window, merchant) against the produced events, and the replace snapshots' offsets. */
  const check = async () => {
    const got = new Map(
      (await trinoQuery(`SELECT CAST(to_unixtime(window_start) AS bigint) AS w, merchant, sum("count") AS c, sum(revenue) AS s, min(lo) AS lo, CAST(round(to_unixtime(max(last_event)) * 1000) AS bigint) AS hi FROM ${tbl} GROUP BY 1, 2`)).rows.map((r) => [
        `${String(r.w)}|${String(r.merchant)}`,
        `${String(r.c)} ${String(r.s)} ${String(r.lo)} ${String(r.hi)}`,
      ]),
    );
    const want = new Map([...expected].map(([k, e]) => [k, `${e.count} ${cents(e.sum)} ${cents(e.min)} ${e.max / 1000n}`]));
    assert.deepEqual(got, want, `rollup totals = the ${state.produced} produced events`);
    const meta = (await catalog.loadTable(parseIdent(table))).metadata;
    const chain = [...ancestors(meta, branchHead(meta))];
    const replaces = chain.filter((s) => s.summary.operation === 'replace');
    for (const s of replaces) {
      const parent = chain.find((p) => p.snapshotId === s.parentSnapshotId);
      assert.equal(s.summary[`floe.offsets.${run}`], parent?.summary[`floe.offsets.${run}`], `replace snapshot ${String(s.snapshotId)} carries its parent's offsets`);
    }
    return { snapshots: chain.length, replaces: replaces.length };
  };
  return { run, table, tbl, dir, config, expected, state, wave, until, check, close: () => producer.disconnect() };
}

test('floe compact: partial rows combined while the sink writes, through SIGKILLs; totals exact, offsets carried, one row per group at the end', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 400_000 }, async (t) => {
  const { table, tbl, dir, config, expected, state, wave, until, check, close } = await fixture('compact');
  let sink = spawnFloe(config, `${dir}/run-0.log`);
  try {
    await wave();
    await until(state.produced);
    // 1. While the sink writes the second wave.
    const second = wave();
    const c1 = await compact(config, ['--min-files', '2']);
    assert.equal(c1.code, 0, c1.out);
    assert.match(c1.out, new RegExp(`${table}: [1-9]\\d* partitions rewritten`), c1.out);
    await second;
    // 2. Killed part-way (at start-up, reading, writing or committing), while the third wave
    // comes in: each lands whole or not at all.
    const third = wave();
    for (const ms of [900, 1100, 1300, 1500].map((x) => x + Math.floor(Math.random() * 200))) {
      const c2 = await compact(config, ['--min-files', '2'], ms);
      t.diagnostic(`compaction killed after ${ms} ms: ${c2.signal ?? `exited ${String(c2.code)} first`}`);
    }
    await third;
    await until(state.produced);
  } finally {
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('close', r));
  }
  // 3. The sink stopped: everything combined into one row per (window, merchant).
  const c3 = await compact(config, ['--min-files', '2']);
  assert.equal(c3.code, 0, c3.out);
  const q = async (sql: string) => (await trinoQuery(sql)).rows;
  const [shape] = await q(`SELECT count(*) AS n, count(DISTINCT "$path") AS files, count(DISTINCT CAST(window_start AS varchar) || merchant) AS groups, count(DISTINCT CAST(window_start AT TIME ZONE 'UTC' AS date)) AS days FROM ${tbl}`);
  assert.equal(Number(shape?.n), expected.size, 'one row per (window, merchant) after the last compaction');
  assert.equal(Number(shape?.groups), expected.size);
  assert.equal(Number(shape?.files), Number(shape?.days), 'one file per day partition');

  // 4. The sink again, on a fourth wave: it goes on from the offsets the compactions carried.
  sink = spawnFloe(config, `${dir}/run-1.log`);
  try {
    await wave();
    await until(state.produced);
  } finally {
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('close', r));
  }
  await close();
  const { snapshots, replaces } = await check();
  assert.ok(replaces >= 2, `${replaces} replace snapshots`);
  t.diagnostic(`${state.produced} events, ${expected.size} groups, ${snapshots} snapshots (${replaces} replace); last compaction: ${c3.out.trim().split('\n').at(-1) ?? ''}`);
});

test('compact in the service (a rollup mapping): two instances write a table compacted every 2 s by the one that leads the group; totals exact, offsets carried', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 300_000 }, async (t) => {
  const { dir, config, expected, state, wave, until, check, close } = await fixture('autocompact', '    compact: { every: 2s, minFiles: 3 }\n');
  const sinks = [spawnFloe(config, `${dir}/a.log`), spawnFloe(config, `${dir}/b.log`)];
  const leaders: number[][] = [];
  const gauges = () => Promise.all(['a', 'b'].map((n) => leaderGauge(`${dir}/${n}.log`).catch(() => -1)));
  const logOf = (i: number) => readFileSync(`${dir}/${'ab'[i]}.log`, 'utf8');
  const compactions = (i: number) => (logOf(i).match(/"msg":"compacted"/g) ?? []).length;
  let leader = 0;
  // Whatever fails below, no sink outlives the test (a live child keeps the test file running).
  const stopSink = async (p: (typeof sinks)[number]) => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const closed = new Promise((r) => p.once('close', r));
    p.kill('SIGTERM');
    await closed;
  };
  try {
    // Until both have joined and one leads (the second member's join rebalances the group).
    for (let i = 0; i < 120 && !['0,1', '1,0'].includes((await gauges()).join()); i++) await sleep(500);
    for (let w = 0; w < 4; w++) {
      await wave();
      leaders.push(await Promise.all(['a', 'b'].map((n) => leaderGauge(`${dir}/${n}.log`))));
    }
    await until(state.produced);
    // Both joined at start and neither left: one leader throughout, and only it compacted.
    for (const pair of leaders) assert.deepEqual([...pair].sort(), [0, 1], `floe_maintenance_leader of the two instances after each wave: ${JSON.stringify(leaders)}`);
    assert.ok(leaders.every((p) => p[0] === leaders[0]![0]), `the same instance led throughout: ${JSON.stringify(leaders)}`);
    leader = leaders[0]![0] === 1 ? 0 : 1;
    const follower = 1 - leader;
    // A compaction racing two sinks that commit every second may lose many rounds on a loaded
    // machine before one lands (it retries): wait for the leader's first, then a few more ticks.
    for (let i = 0; i < 120 && compactions(leader) === 0; i++) await sleep(500);
    await sleep(5000);
    const compacted = [compactions(0), compactions(1)];
    assert.ok(compacted[leader]! >= 1, 'the leader logged its compactions');
    assert.equal(compacted[follower], 0, 'the instance that does not lead the group compacted nothing');
    assert.match(logOf(follower), /another instance leads the consumer group/);

    // The leader stops (it leaves the group): the other one leads and compacts from then on.
    await stopSink(sinks[leader]!);
    const survivor = `${dir}/${'ab'[follower]}.log`;
    for (let i = 0; i < 120 && (await leaderGauge(survivor)) !== 1; i++) await sleep(500);
    assert.equal(await leaderGauge(survivor), 1, 'the remaining instance leads after the leader left');
    await wave();
    await until(state.produced);
    for (let i = 0; i < 60 && compactions(follower) === 0; i++) await sleep(500);
    assert.ok(compactions(follower) >= 1, 'the new leader compacted');
  } finally {
    await Promise.all(sinks.map(stopSink));
  }
  const follower = 1 - leader;
  const compacted = [compactions(0), compactions(1)];
  await close();
  const { snapshots, replaces } = await check();
  assert.ok(replaces >= 2, `${replaces} replace snapshots`);
  // With one compactor no compaction loses a race to another; one may still run out of commit
  // attempts against the sinks' 1 s commits on a loaded machine (retried at the next tick).
  const failures = [0, 1].flatMap((i) => logOf(i).split('\n').filter((l) => /compaction failed|compaction lost to another one/.test(l)));
  assert.deepEqual(failures.filter((l) => !(/"msg":"compaction failed/.test(l) && /"error":"COMMIT_CONFLICT: append to .* gave up after/.test(l))), [], 'no compaction lost a race or failed other than by running out of attempts against the sinks');
  t.diagnostic(`${state.produced} events, ${expected.size} groups, ${snapshots} snapshots (${replaces} replace); leader gauge after each wave: ${JSON.stringify(leaders)}; compactions by the first leader ${compacted[leader]}, by the second after the first left ${compactions(follower)}; out of attempts: ${failures.length}`);
});

test('compact in the service (an append table): small files bin-packed while the sink writes; every row once, offsets carried', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 300_000 }, async (t) => {
  const { tbl, dir, config, expected, state, wave, until, close, table } = await fixture('appendcompact', '    compact: { every: 2s, minFiles: 3 }\n', 'append');
  const sink = spawnFloe(config, `${dir}/a.log`);
  try {
    for (let w = 0; w < 4; w++) await wave();
    await until(state.produced);
    await sleep(5000); // a few more ticks on the last files
  } finally {
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('close', r));
  }
  await close();
  const total = [...expected.values()].reduce((a, e) => a + e.sum, 0n);
  const [r] = (await trinoQuery(`SELECT count(*) AS n, count(DISTINCT order_id) AS d, sum(amount) AS s, count(DISTINCT "$path") AS files, count(DISTINCT CAST(_kafka."partition" AS varchar) || ':' || CAST(_kafka."offset" AS varchar)) AS records FROM ${tbl}`)).rows;
  assert.deepEqual([Number(r?.n), Number(r?.d), Number(r?.records), String(r?.s)], [state.produced, state.produced, state.produced, cents(total)], 'every produced order once, with its Kafka position');
  const meta = (await stackCatalog().loadTable(parseIdent(table))).metadata;
  const chain = [...ancestors(meta, branchHead(meta))];
  const replaces = chain.filter((s) => s.summary.operation === 'replace');
  const appends = chain.filter((s) => s.summary.operation === 'append' && Number(s.summary['added-data-files'] ?? 0) > 0);
  assert.ok(replaces.length >= 1, `${replaces.length} replace snapshots`);
  for (const s of replaces) {
    const parent = chain.find((p) => p.snapshotId === s.parentSnapshotId);
    assert.equal(s.summary[`floe.offsets.${table.split('.')[0] as string}`], parent?.summary[`floe.offsets.${table.split('.')[0] as string}`], 'offsets carried');
    assert.equal(s.summary['added-records'], s.summary['deleted-records'], 'a bin-pack keeps the rows');
  }
  const written = appends.reduce((n, s) => n + Number(s.summary['added-data-files']), 0);
  assert.ok(Number(r?.files) < written, `fewer files (${String(r?.files)}) than the sink wrote (${written})`);
  t.diagnostic(`${state.produced} orders; the sink wrote ${written} files in ${appends.length} commits; ${replaces.length} compactions; ${String(r?.files)} files now`);
});

