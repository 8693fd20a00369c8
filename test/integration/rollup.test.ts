/**
 * Rollup mode end to end (issue 7): Avro order events on a 4-partition topic fan out to a raw
 * append table and two rollups, while `floe run` children are killed with SIGKILL, a third
 * member joins and leaves (forced rebalances, so records are delivered again), one merchant
 * carries half the traffic and some events arrive minutes late, a few past the lateness bound.
 * Afterwards Trino's totals per (window, merchant) from the rollup equal, exactly, the same
 * aggregation over the raw table and over the events as produced; the events past the bound
 * are in the dead-letter table, once each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { avroType, frame, RegistryClient } from '../../src/decode/index.js';
import { parseIdent } from '../../src/iceberg/index.js';
import { branchHead } from '../../src/spec/metadata.js';
import { sparkQuery, trinoQuery } from '../helpers/engines.js';
import { floeMembers, spawnFloe, stackConfig, writeConfig } from '../helpers/floe.js';
import { stackCatalog } from '../helpers/iceberg.js';
import { cents, ORDER_SCHEMA, order } from '../helpers/orders.js';
import { ROOT, skipUnless, stack, uniqueName } from '../helpers/stack.js';

const N = 20_000;
const PARTITIONS = 4;
const MINUTE = 60_000_000n;
const LATENESS_MIN = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Totals {
  count: number;
  sum: bigint;
  min: bigint;
  max: bigint;
}

/**
 * How late an event is, by its index: most are seconds old, 1 in 5 four minutes, 1 in 25 thirty
 * minutes (past the bound); odd indexes are the hot merchant's, so late events are both its and
 * the others'.
 */
function ageUs(i: number): bigint {
  if (i % 25 === 7) return 30n * MINUTE + BigInt(i % 60) * 1_000_000n;
  if (i % 10 === 3 || i % 10 === 4) return 4n * MINUTE + BigInt(i % 60) * 1_000_000n;
  return BigInt(i % 5) * 1_000_000n;
}

test('rollup totals equal the raw table and the produced events, exactly, through SIGKILLs, rebalances, late events and a hot key', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 300_000 }, async (t) => {
  const run = uniqueName('rollup');
  const topic = run;
  const ns = 'rollup_it';
  const [rawT, revT, ctyT] = [`${ns}.${run}_raw`, `${ns}.${run}_rev`, `${ns}.${run}_cty`];
  const kafka = new kafkajs.Kafka({ clientId: 'floe-rollup-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const registry = new RegistryClient({ url: stack.registryUrl });
  const schemaId = await registry.register(`${topic}-value`, JSON.stringify(ORDER_SCHEMA));
  const type = avroType(ORDER_SCHEMA);

  const dir = `${ROOT}/.stack/rollup-test/${run}`;
  const config = writeConfig(
    dir,
    stackConfig({
      group: run,
      extra: 'commit:\n  interval: 4s\n',
      mappings: `  - topics: [${topic}]
    table: ${rawT}
    kafkaColumns: [timestamp]
  - topics: [${topic}]
    table: ${revT}
    mode: rollup
    rollup:
      timeField: event_time
      window: 1m
      groupBy: [merchant]
      measures: [count, sum(amount) as revenue, min(amount) as min_amount, max(amount) as max_amount]
      lateness: ${LATENESS_MIN}m
  - topics: [${topic}]
    table: ${ctyT}
    mode: rollup
    partitionBy: ["hour(window_start)"]
    rollup:
      kafkaTimestamp: true
      window: 10s
      groupBy: [customer.country]
      measures: [count, max(event_time) as last_event]
`,
    }).replace(`groupId: ${run}\n`, `groupId: ${run}\n  sessionTimeout: 6s\n`),
  );
  const { all, count, start, assigned, started } = floeMembers(config, dir);
  const members: Record<string, ChildProcess> = { a: start('a'), b: start('b') };

  // What was produced, aggregated as the rollup should: per (window start in s, merchant).
  const expected = new Map<string, Totals>();
  let pastBound = 0;
  const merchants = Array.from({ length: 37 }, (_, m) => `m-${m}`);
  const producing = (async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < N; ) {
      const ts = Date.now();
      const messages = [];
      for (const end = i + 250; i < end; i++) {
        const at = BigInt(ts) * 1000n - ageUs(i);
        const o = { ...order(i, merchants, at), merchant: i % 2 === 1 ? 'hot' : (merchants[i % 37] as string) };
        messages.push({ value: frame(schemaId, type.toBuffer(o)), partition: i % PARTITIONS, timestamp: String(ts) });
        if (ageUs(i) > BigInt(LATENESS_MIN) * MINUTE) {
          pastBound++;
          continue;
        }
        const k = `${(at / MINUTE) * 60n}|${o.merchant}`;
        const t = expected.get(k);
        if (!t) expected.set(k, { count: 1, sum: o.amount, min: o.amount, max: o.amount });
        else {
          t.count++;
          t.sum += o.amount;
          if (o.amount < t.min) t.min = o.amount;
          if (o.amount > t.max) t.max = o.amount;
        }
      }
      await producer.send({ topic, messages, acks: -1 });
      await sleep(400);
    }
    await producer.disconnect();
  })();

  // Chaos while producing, each step once the group has settled from the last: SIGKILLs of
  // both members (the survivor is re-assigned with a half-built batch), a third member joining
  // and leaving (forced rebalances: records consumed and not committed are delivered again).
  const kill = async (name: string) => {
    members[name]?.kill('SIGKILL');
    await sleep(300);
    members[name] = start(name);
    await assigned(name);
  };
  let rebalances = 0;
  try {
    await Promise.all([assigned('a'), assigned('b')]);
    const settled = async (survivor: string, before: number) => {
      await assigned(survivor, before + 1);
      rebalances++;
    };
    let nb = count('b');
    await kill('a');
    await settled('b', nb);
    let na = count('a');
    nb = count('b');
    start('c');
    await assigned('c');
    await Promise.all([settled('a', na), settled('b', nb)]);
    await sleep(1500);
    na = count('a');
    all.at(-1)?.kill('SIGTERM'); // c leaves
    await settled('a', na);
    await sleep(1000);
    na = count('a');
    await kill('b');
    await settled('a', na);
    await producing;

    // Wait until every table's stored offsets reach the end of the topic (the dead-letter
    // table: until it holds every event past the bound).
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [String(p.partition), Number(p.high)]));
    const catalog = stackCatalog();
    const head = async (t: string) => {
      try {
        return branchHead((await catalog.loadTable(parseIdent(t))).metadata)?.summary ?? {};
      } catch {
        return {};
      }
    };
    const caughtUp = async (t: string) => {
      const stored = JSON.parse((await head(t))[`floe.offsets.${run}`] ?? '{}') as Record<string, Record<string, number>>;
      return [...ends].every(([p, end]) => stored[topic]?.[p] === end);
    };
    let done = false;
    for (let i = 0; i < 120 && !done; i++) {
      await sleep(1000);
      done = (await caughtUp(rawT)) && (await caughtUp(revT)) && (await caughtUp(ctyT)) && Number((await head(`${revT}_dlq`))['total-records'] ?? 0) >= pastBound;
    }
    assert.ok(done, `the tables did not catch up with the topic in 2 minutes (logs in ${dir})`);
    t.diagnostic(`produced ${N} events (${pastBound} past the lateness bound); ${rebalances} rebalances seen by surviving members; ${started()} floe processes`);
  } finally {
    for (const p of all) p.kill('SIGKILL');
    await admin.disconnect();
  }

  const q = async (sql: string) => (await trinoQuery(sql)).rows;
  const tbl = (t: string) => `iceberg.${ns}."${t.split('.')[1] as string}"`;
  // The raw table holds each event once.
  const [rawCount] = await q(`SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM ${tbl(rawT)}`);
  assert.deepEqual([Number(rawCount?.n), Number(rawCount?.d)], [N, N], 'raw table: every event exactly once');

  const key = (r: Record<string, unknown>) => `${String(r.w)}|${String(r.merchant)}`;
  const line = (r: Record<string, unknown>) => `${String(r.c)} ${String(r.s)} ${String(r.mn)} ${String(r.mx)}`;
  const asMap = (rows: Array<Record<string, unknown>>) => new Map(rows.map((r) => [key(r), line(r)]));
  const fromRollup = asMap(
    await q(`SELECT CAST(to_unixtime(window_start) AS bigint) AS w, merchant, sum("count") AS c, sum(revenue) AS s, min(min_amount) AS mn, max(max_amount) AS mx
      FROM ${tbl(revT)} GROUP BY 1, 2`),
  );
  const fromRaw = asMap(
    await q(`SELECT CAST(to_unixtime(date_trunc('minute', event_time)) AS bigint) AS w, merchant, count(*) AS c, sum(amount) AS s, min(amount) AS mn, max(amount) AS mx
      FROM ${tbl(rawT)} WHERE _kafka.timestamp - event_time <= INTERVAL '${LATENESS_MIN}' MINUTE GROUP BY 1, 2`),
  );
  const fromEvents = new Map([...expected].map(([k, t]) => [k, `${t.count} ${cents(t.sum)} ${cents(t.min)} ${cents(t.max)}`]));
  const windows = new Set([...expected.keys()].map((k) => k.split('|')[0])).size;
  assert.ok(windows >= 2 && fromEvents.size >= 38, `late events make several windows for all 38 merchants (${windows} windows, ${fromEvents.size} groups)`);
  assert.deepEqual(fromRollup, fromEvents, 'rollup totals = the produced events');
  assert.deepEqual(fromRaw, fromEvents, 'raw table totals = the produced events');

  // The totals view Floe created beside the rollup (the stack's catalog has views): one row per
  // (window, merchant), equal to the events, in Trino and in Spark (each reads its own dialect).
  const view = `${revT.split('.')[1] as string}_totals`;
  const viewRows = await q(`SELECT CAST(to_unixtime(window_start) AS bigint) AS w, merchant, "count" AS c, revenue AS s, min_amount AS mn, max_amount AS mx FROM iceberg.${ns}."${view}"`);
  assert.equal(viewRows.length, fromEvents.size, 'the view has one row per (window, merchant)');
  assert.deepEqual(asMap(viewRows), fromEvents, 'Trino: the totals view = the produced events');
  const sparkView = (await sparkQuery(`SELECT CAST(unix_timestamp(window_start) AS BIGINT) AS w, merchant, \`count\` AS c, revenue AS s, min_amount AS mn, max_amount AS mx FROM iceberg.${ns}.${view}`)).rows;
  assert.deepEqual(asMap(sparkView), fromEvents, 'Spark: the totals view = the produced events');
  assert.ok(await stackCatalog().viewExists(parseIdent(`${ctyT}_totals`)), 'the second rollup has its view too');

  // Past the bound: in the dead-letter table, once each, saying why.
  const [dlq] = await q(`SELECT count(*) AS n, count(DISTINCT "offset" * 16 + "partition") AS d, count_if(error LIKE '%past the lateness bound of 600 s%') AS late FROM ${tbl(`${revT}_dlq`)}`);
  assert.deepEqual([Number(dlq?.n), Number(dlq?.d), Number(dlq?.late)], [pastBound, pastBound, pastBound], 'events past the lateness bound: dead-lettered once each');

  // The hot key: one partial row per (window, commit), not per event.
  const [hot] = await q(`SELECT sum(per) AS n, max(per) AS per, count(*) AS windows FROM (SELECT window_start, count(*) AS per FROM ${tbl(revT)} WHERE merchant = 'hot' GROUP BY 1)`);
  const [snaps] = await q(`SELECT count(*) AS n FROM iceberg.${ns}."${revT.split('.')[1] as string}$snapshots"`);
  assert.ok(Number(hot?.per) <= Number(snaps?.n), `hot key: at most one row per window per commit (${String(hot?.per)} rows in a window, ${String(snaps?.n)} snapshots)`);
  t.diagnostic(`rollup: ${fromRollup.size} (window, merchant) groups; hot key: ${String(hot?.n)} partial rows in ${String(hot?.windows)} windows, at most ${String(hot?.per)} in one window, ${String(snaps?.n)} snapshots`);
  assert.ok(Number(hot?.n) < N / 2 / 20, `hot key: ${String(hot?.n)} partial rows for ${N / 2} events`);
  const [bounds] = await q(`SELECT count_if(window_end - window_start <> INTERVAL '1' MINUTE) AS bad, count_if(to_unixtime(window_start) % 60 <> 0) AS unaligned FROM ${tbl(revT)}`);
  assert.deepEqual([Number(bounds?.bad), Number(bounds?.unaligned)], [0, 0], 'windows of one minute, aligned to the epoch');

  // The second rollup of the same topic: by the Kafka timestamp and a nested field, every event (no bound).
  const cty = asMap(
    await q(`SELECT CAST(to_unixtime(window_start) AS bigint) AS w, country AS merchant, sum("count") AS c, CAST(max(last_event) AS varchar) AS s, 0 AS mn, 0 AS mx FROM ${tbl(ctyT)} GROUP BY 1, 2`),
  );
  const ctyRaw = asMap(
    await q(`SELECT CAST(floor(to_unixtime(_kafka.timestamp) / 10) * 10 AS bigint) AS w, customer.country AS merchant, count(*) AS c, CAST(max(event_time) AS varchar) AS s, 0 AS mn, 0 AS mx FROM ${tbl(rawT)} GROUP BY 1, 2`),
  );
  assert.deepEqual(cty, ctyRaw, 'per-country rollup by Kafka timestamp = the raw table');
  const [spec] = await q(`SELECT count(*) AS n FROM iceberg.${ns}."${revT.split('.')[1] as string}$partitions"`);
  assert.ok(Number(spec?.n) >= 1, 'rollup table partitioned (by day of window_start)');
});

test('a rollup that does not fit the registry schema is refused at start, or at the first record when no schema has fit yet; an older schema that does not fit, or has no Iceberg form, is dead-lettered; a table made for another section stops it', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 120_000 }, async () => {
  const run = uniqueName('rollup_bad');
  const kafka = new kafkajs.Kafka({ clientId: 'floe-rollup-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const [known, unknown] = [`${run}_known`, `${run}_unknown`];
  await admin.createTopics({ topics: [{ topic: known }, { topic: unknown }, { topic: `${run}_mixed` }], waitForLeaders: true });
  await admin.disconnect();
  const registry = new RegistryClient({ url: stack.registryUrl });
  await registry.register(`${known}-value`, JSON.stringify(ORDER_SCHEMA));
  // Registered under another subject: at start there is no `<topic>-value` to check against.
  const id = await registry.register(`${run}-elsewhere`, JSON.stringify(ORDER_SCHEMA));
  const dir = `${ROOT}/.stack/rollup-test/${run}`;
  const cfg = (topic: string) =>
    writeConfig(
      `${dir}/${topic}`,
      stackConfig({
        group: `${run}_${topic}`,
        extra: 'commit:\n  interval: 1s\n',
        mappings: `  - topics: [${topic}]
    table: rollup_it.${topic}
    mode: rollup
    rollup: { timeField: event_time, window: 1m, groupBy: [merchant], measures: [count, sum(currency)] }
`,
      }),
    );

  // The subject exists: `floe check` says so, and `floe run` exits 2, naming the key.
  const check = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'check', '-c', cfg(known)], { encoding: 'utf8' });
  assert.equal(check.status, 1, check.stdout + check.stderr);
  assert.match(check.stdout, /rollup mappings\[0\]\s+FAIL mappings\[0\]\.rollup\.measures\[1\]: sum\(currency\) needs a numeric field/);
  const refused = spawnFloe(cfg(known), `${dir}/known.log`);
  const code = await new Promise<number | null>((resolve) => refused.on('exit', resolve));
  const out = readFileSync(`${dir}/known.log`, 'utf8');
  assert.equal(code, 2, out.slice(-2000));
  assert.match(out, /mappings\[0\]\.rollup\.measures\[1\]: sum\(currency\) needs a numeric field .*'currency' is a string/);

  // Known only at the first record: processing stops naming the key; nothing is dead-lettered.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: unknown, messages: [{ value: frame(id, avroType(ORDER_SCHEMA).toBuffer(order(1, ['m'], 1_700_000_000_000_000n))) }] });
  await producer.disconnect();
  const p = spawnFloe(cfg(unknown), `${dir}/unknown.log`);
  try {
    let text = '';
    for (let i = 0; i < 300 && !/processing stopped: the config does not fit/.test(text); i++) {
      await sleep(100);
      text = existsSync(`${dir}/unknown.log`) ? readFileSync(`${dir}/unknown.log`, 'utf8') : '';
    }
    const line = text.split('\n').find((l) => l.includes('processing stopped: the config does not fit the records')) ?? '';
    assert.match(line, /CONFIG_INVALID: .*_unknown \(schema id \d+\): mappings\[0\]\.rollup\.measures\[1\]: sum\(currency\) needs a numeric field/);
    assert.doesNotMatch(text, /record sent to the dead-letter/);
    const catalog = stackCatalog();
    for (const t of [unknown, `${unknown}_dlq`]) await assert.rejects(catalog.loadTable(parseIdent(`rollup_it.${t}`)), `no table ${t} was created`);
  } finally {
    p.kill('SIGKILL');
  }

  // The latest schema fits, an older one (no amount yet) does not: its records are dead-lettered
  // and the rest aggregated, nothing stops.
  const mixed = `${run}_mixed`;
  const older = { ...ORDER_SCHEMA, fields: ORDER_SCHEMA.fields.filter((f) => f.name !== 'amount') };
  const olderId = await registry.register(`${run}-older`, JSON.stringify(older));
  const odd = { ...ORDER_SCHEMA, fields: [...ORDER_SCHEMA.fields, { name: 'extra', type: ['string', 'int'] }] }; // no Iceberg form
  const oddId = await registry.register(`${run}-odd`, JSON.stringify(odd));
  const mixedId = await registry.register(`${mixed}-value`, JSON.stringify(ORDER_SCHEMA));
  {
    const pr = kafka.producer();
    await pr.connect();
    const o = order(3, ['m'], 1_700_000_000_000_000n);
    await pr.send({
      topic: mixed,
      messages: [{ value: frame(olderId, avroType(older).toBuffer(o)) }, { value: frame(oddId, avroType(odd).toBuffer({ ...o, extra: 1 })) }, { value: frame(mixedId, avroType(ORDER_SCHEMA).toBuffer(o)) }],
    });
    await pr.disconnect();
  }
  const mixedCfg = readFileSync(cfg(mixed), 'utf8').replace('sum(currency)', 'sum(amount)');
  const m = spawnFloe(writeConfig(`${dir}/${mixed}-ok`, mixedCfg), `${dir}/mixed.log`);
  try {
    const catalog = stackCatalog();
    const total = (t: string) => catalog.loadTable(parseIdent(t)).then((x) => Number(branchHead(x.metadata)?.summary['total-records'] ?? 0), () => 0);
    let got = [0, 0];
    for (let i = 0; i < 300 && (got[0] !== 1 || got[1] !== 2); i++) {
      await sleep(100);
      got = [await total(`rollup_it.${mixed}`), await total(`rollup_it.${mixed}_dlq`)];
    }
    assert.deepEqual(got, [1, 2], 'one partial row (the record that fits) and two dead letters (the older schema, the one with no Iceberg form)');
    const [a, b] = (await trinoQuery(`SELECT error FROM iceberg.rollup_it."${mixed}_dlq" ORDER BY "offset"`)).rows;
    assert.match(String(a?.error), /does not fit the rollup: mappings\[0\]\.rollup\.measures\[1\]: 'amount' is not a field of the value schema/);
    assert.match(String(b?.error), /SCHEMA_INVALID: .*extra.*has 2 non-null branches/);
  } finally {
    m.kill('SIGKILL');
  }

  // A rollup table made for another rollup section (a measure added since): stops naming the key.
  const changed = `${run}_changed`;
  await registry.register(`${changed}-value`, JSON.stringify(ORDER_SCHEMA));
  const section = (measures: string) =>
    writeConfig(
      `${dir}/${changed}-${measures.length}`,
      stackConfig({
        group: `${run}_changed`,
        extra: 'commit:\n  interval: 1s\n',
        mappings: `  - topics: [${changed}]
    table: rollup_it.${changed}
    mode: rollup
    rollup: { timeField: event_time, window: 1m, groupBy: [merchant], measures: [${measures}] }
`,
      }),
    );
  const send = async (i: number) => {
    const pr = kafka.producer();
    await pr.connect();
    await pr.send({ topic: changed, messages: [{ value: frame(id, avroType(ORDER_SCHEMA).toBuffer(order(i, ['m'], 1_700_000_000_000_000n))) }] });
    await pr.disconnect();
  };
  await send(1);
  const first = spawnFloe(section('count'), `${dir}/changed-1.log`);
  try {
    const catalog = stackCatalog();
    let rows = 0;
    for (let i = 0; i < 300 && rows < 1; i++) {
      await sleep(100);
      rows = Number((await catalog.loadTable(parseIdent(`rollup_it.${changed}`)).then((t) => branchHead(t.metadata)?.summary['total-records'], () => 0)) ?? 0);
    }
    assert.equal(rows, 1, 'the first section wrote its row');
  } finally {
    // Reconfiguring is a graceful stop and a start: SIGTERM leaves the group.
    const exited = new Promise((resolve) => first.on('exit', resolve));
    first.kill('SIGTERM');
    await exited;
  }
  await send(2);
  const second = spawnFloe(section('count, sum(amount)'), `${dir}/changed-2.log`);
  try {
    let line = '';
    for (let i = 0; i < 300 && !line; i++) {
      await sleep(100);
      line = (existsSync(`${dir}/changed-2.log`) ? readFileSync(`${dir}/changed-2.log`, 'utf8') : '').split('\n').find((l) => l.includes('processing stopped: the config does not fit')) ?? '';
    }
    assert.match(line, /mappings\[0\]\.rollup: rollup table rollup_it\.\S+ has no column 'sum_amount'; it was created for another rollup section/);
  } finally {
    second.kill('SIGKILL');
  }
});
