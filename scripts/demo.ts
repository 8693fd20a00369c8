/**
 * npm run demo: Floe's main job end to end, on embedded defaults. Brings up Kafka, the schema
 * registry and an S3 store; Floe runs its own Iceberg REST catalog (no catalog section in the
 * config: SQLite in a data directory, tables in the S3 store), which Trino is pointed at; produces a stream of Avro order events (some an hour late, three
 * malformed) into a 4-partition topic; runs `floe run` with two mappings of that topic: a raw
 * table partitioned by day and merchant, and a rollup (orders and revenue per merchant per
 * minute); asks Trino for the revenue per merchant from both and checks them against what was
 * produced, compares the per-minute totals of both tables and of the totals view Floe created,
 * runs `floe compact` on the rollup while Floe runs and compares again, counts the dead-letter
 * table, prints the offsets stored in the table, and stops Floe with SIGTERM. Ends with `demo ok`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { avroType, frame } from '../src/decode/index.js';
import { RegistryClient } from '../src/decode/registry.js';
import { RestCatalog, parseIdent } from '../src/iceberg/index.js';
import { parseOffsets } from '../src/commit/index.js';
import { ancestors, branchHead } from '../src/spec/metadata.js';
import { trinoCatalog, trinoQuery } from '../test/helpers/engines.js';
import { ORDER_SCHEMA, cents, order } from '../test/helpers/orders.js';
import { ROOT, stack } from '../test/helpers/stack.js';

const EVENTS = Number(process.env.DEMO_EVENTS ?? 20_000);
const TOPIC = 'orders';
const TABLE = 'demo.orders';
const ROLLUP = 'demo.revenue_per_minute';
const CATALOG_PORT = Number(process.env.FLOE_DEMO_CATALOG_PORT ?? 9181);
const say = (s: string) => console.log(`\n== ${s}`);


const MERCHANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];

async function main(): Promise<void> {
  const t0 = Date.now();
  say('bringing up the stack (first run installs it; later runs take seconds)');
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'kafka', 'registry'], { stdio: 'inherit' });

  const kafka = new kafkajs.Kafka({ clientId: 'floe-demo', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  if ((await admin.listTopics()).includes(TOPIC)) await admin.deleteTopics({ topics: [TOPIC] });
  await new Promise((r) => setTimeout(r, 1000));
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  // Each run starts with an empty embedded catalog and its own warehouse prefix.
  const run = Date.now().toString(36);
  const catalogUrl = `http://127.0.0.1:${CATALOG_PORT}`;
  const catalog = new RestCatalog({ uri: catalogUrl });

  const registry = new RegistryClient({ url: stack.registryUrl });
  const schemaId = await registry.register(`${TOPIC}-value`, JSON.stringify(ORDER_SCHEMA));
  const type = avroType(ORDER_SCHEMA);

  const dir = `${ROOT}/.stack/demo`;
  mkdirSync(dir, { recursive: true });
  rmSync(`${dir}/floe-data`, { recursive: true, force: true });
  const configPath = `${dir}/floe.yaml`;
  writeFileSync(
    configPath,
    `# Written by npm run demo
kafka:
  brokers: ["${stack.kafkaBrokers[0]}"]
  groupId: floe-demo
registry:
  url: ${stack.registryUrl}
# No catalog section: Floe runs its embedded Iceberg REST catalog (SQLite under dataDir).
embeddedCatalog:
  dataDir: floe-data
  port: ${CATALOG_PORT}
storage:
  s3:
    endpoint: ${stack.s3.endpoint}
    region: ${stack.s3.region}
    pathStyle: true
    accessKeyId: ${stack.s3.accessKeyId}
    secretAccessKey: ${stack.s3.secretAccessKey}
  warehouse: s3://${stack.s3.bucket}/demo-${run}
commit:
  interval: 2s
http:
  port: 0
mappings:
  - topics: [${TOPIC}]
    table: ${TABLE}
    format: avro
    partitionBy: ["day(event_time)", merchant]
    kafkaColumns: [partition, offset]
  # The same topic, aggregated as it arrives: one row per minute and merchant per commit.
  - topics: [${TOPIC}]
    table: ${ROLLUP}
    mode: rollup
    rollup:
      timeField: event_time
      window: 1m
      groupBy: [merchant]
      measures: [count, sum(amount) as revenue]
      # Floe creates demo.revenue_per_minute_totals (exact totals); 'floe' is Trino's name for this catalog below.
      view: { catalog: floe }
`,
  );
  say(`starting floe run -c ${configPath.replace(`${ROOT}/`, '')}`);
  const floe = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', configPath], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FLOE_LOG_LEVEL: 'info', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  floe.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.trim().split('\n')) {
      try {
        const o = JSON.parse(line) as { msg?: string; table?: string };
        if (o.msg && /created table|assigned|floe started|stopping|stopped/.test(o.msg)) console.log(`   floe: ${o.msg}${o.table ? ` (${o.table})` : ''}`);
      } catch {
        // not a log line
      }
    }
  });
  const exited = new Promise<number | null>((r) => floe.on('exit', (code) => r(code)));

  const seen = async (table: string) => {
    try {
      const s = branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['floe.offsets.floe-demo'];
      return s ? [...(parseOffsets(s).get(TOPIC)?.values() ?? [])].reduce((x, y) => x + y, 0) : 0;
    } catch {
      return 0; // not created yet
    }
  };
  say(`producing ${EVENTS} Avro order events to '${TOPIC}' (4 partitions) in four parts, each committed before the next (so the rollup gets partial rows), plus 3 malformed records`);
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const expected = new Map<string, bigint>();
  // Event times over the last ten minutes; every 50th order arrives an hour late.
  const now = BigInt(Date.now()) * 1000n;
  for (let part = 1; part <= 4; part++) {
    const end = Math.round((EVENTS * part) / 4);
    for (let i = Math.round((EVENTS * (part - 1)) / 4); i < end; i += 1000) {
      const messages = [];
      for (let j = i; j < Math.min(end, i + 1000); j++) {
        const at = now - 600_000_000n + (BigInt(j) * 600_000_000n) / BigInt(EVENTS) - (j % 50 === 0 ? 3_600_000_000n : 0n);
        const o = order(j, MERCHANTS, at);
        expected.set(o.merchant, (expected.get(o.merchant) ?? 0n) + o.amount);
        messages.push({ key: String(j), value: frame(schemaId, type.toBuffer(o)) });
      }
      await producer.send({ topic: TOPIC, messages });
    }
    // A quarter produced: wait for its commit, so that the next quarter lands in other files.
    for (let k = 0; part < 4 && k < 60 && (await seen(ROLLUP)) < end; k++) await new Promise((r) => setTimeout(r, 250));
  }
  await producer.send({ topic: TOPIC, messages: [{ value: Buffer.from('not avro at all') }, { value: frame(987654, Buffer.from([1, 2, 3])) }, { value: Buffer.from([0, 0, 0]) }] });
  await producer.disconnect();

  say(`waiting for both tables to hold every event (${EVENTS} orders + 3 malformed)`);
  const ident = parseIdent(TABLE);
  let counts = [0, 0];
  for (let i = 0; i < 120 && counts.some((n) => n < EVENTS + 3); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    counts = [await seen(TABLE), await seen(ROLLUP)];
    process.stdout.write(`\r   records committed: ${TABLE} ${counts[0]}, ${ROLLUP} ${counts[1]}   `);
  }
  console.log();
  const total = Number(branchHead((await catalog.loadTable(ident)).metadata)?.summary['total-records'] ?? 0);

  say('querying with Trino: revenue per merchant, from the raw table and from the rollup');
  execFileSync(`${ROOT}/scripts/stack`, ['up', 'trino'], { stdio: 'inherit' });
  await trinoCatalog('floe', catalogUrl);
  console.log(`   Trino's catalog 'floe' is Floe's embedded catalog at ${catalogUrl}`);
  const raw = await trinoQuery(`SELECT merchant, count(*) AS orders, sum(amount) AS revenue FROM floe.${TABLE} GROUP BY merchant ORDER BY merchant`);
  const rolled = new Map(
    (await trinoQuery(`SELECT merchant, sum("count") AS orders, sum(revenue) AS revenue, count(*) AS partial_rows FROM floe.${ROLLUP} GROUP BY merchant`)).rows.map((r) => [String(r.merchant), r]),
  );
  console.log('   merchant   orders   revenue (raw table)   revenue (rollup)   produced        rollup rows');
  let ok = raw.rows.length === MERCHANTS.length;
  for (const r of raw.rows) {
    const want = cents(expected.get(String(r.merchant)) ?? 0n);
    const ru = rolled.get(String(r.merchant));
    const same = String(r.revenue) === want && String(ru?.revenue) === want && String(ru?.orders) === String(r.orders);
    if (!same) ok = false;
    console.log(`   ${String(r.merchant).padEnd(10)} ${String(r.orders).padStart(6)}   ${String(r.revenue).padStart(19)}   ${String(ru?.revenue).padStart(16)}   ${want.padStart(13)}   ${String(ru?.partial_rows).padStart(11)}${same ? '' : '  MISMATCH'}`);
  }
  // The question a rollup is for, asked of both tables: revenue per merchant per minute.
  const perMinute = async (sql: string) => (await trinoQuery(`${sql} ORDER BY 1, 2`)).rows.map((r) => `${String(r.w)}|${String(r.merchant)}|${String(r.orders)}|${String(r.revenue)}`).join('\n');
  const fromRaw = await perMinute(`SELECT date_trunc('minute', event_time) AS w, merchant, count(*) AS orders, sum(amount) AS revenue FROM floe.${TABLE} GROUP BY 1, 2`);
  const fromRollup = await perMinute(`SELECT window_start AS w, merchant, sum("count") AS orders, sum(revenue) AS revenue FROM floe.${ROLLUP} GROUP BY 1, 2`);
  const groups = fromRaw.split('\n').length;
  const rollupRows = Number(branchHead((await catalog.loadTable(parseIdent(ROLLUP))).metadata)?.summary['total-records'] ?? 0);
  if (fromRaw !== fromRollup) ok = false;
  console.log(`   per merchant and minute: ${groups} (minute, merchant) totals, ${fromRaw === fromRollup ? 'identical' : 'DIFFERENT'} from both tables; the rollup holds ${rollupRows} rows for ${total} orders`);
  // The view Floe created over the rollup: one exact row per (minute, merchant), no GROUP BY to write.
  const viewSql = `SELECT window_start AS w, merchant, "count" AS orders, revenue FROM floe.${ROLLUP}_totals`;
  const fromView = await perMinute(viewSql);
  if (fromView !== fromRaw) ok = false;
  console.log(`   the view ${ROLLUP}_totals: ${fromView.split('\n').length} rows, ${fromView === fromRaw ? 'identical' : 'DIFFERENT'} to the raw table's per-minute totals`);

  say(`floe compact, while floe runs: the raw table's small files bin-packed, the rollup's partial rows combined into one row per (minute, merchant)`);
  const compacted = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'compact', '-c', configPath, '--min-files', '2'], { encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  for (const line of compacted.stdout.trim().split('\n').filter((l) => l.includes('partitions rewritten'))) console.log(`   ${line}`);
  if (compacted.status !== 0) {
    console.log(`   floe compact failed (exit ${String(compacted.status)}): ${compacted.stderr.trim()}`);
    ok = false;
  }
  const afterRows = Number(branchHead((await catalog.loadTable(parseIdent(ROLLUP))).metadata)?.summary['total-records'] ?? 0);
  const afterView = await perMinute(viewSql);
  const afterRaw = await perMinute(`SELECT date_trunc('minute', event_time) AS w, merchant, count(*) AS orders, sum(amount) AS revenue FROM floe.${TABLE} GROUP BY 1, 2`);
  if (afterView !== fromRaw || afterRaw !== fromRaw) ok = false;
  console.log(`   the rollup now holds ${afterRows} rows (was ${rollupRows}); the view's totals are ${afterView === fromRaw ? 'unchanged' : 'DIFFERENT'}, the raw table's ${afterRaw === fromRaw ? 'unchanged' : 'DIFFERENT'}`);
  const dlq = await trinoQuery(`SELECT count(*) AS n FROM floe.${TABLE}_dlq`).catch(() => ({ rows: [{ n: 0 }] }));
  console.log(`   dead-letter table ${TABLE}_dlq: ${String(dlq.rows[0]?.n)} records (3 malformed were produced)`);

  say('offsets stored in the table (snapshot summary floe.offsets.floe-demo)');
  const meta = (await catalog.loadTable(ident)).metadata;
  const withKey = [...ancestors(meta, branchHead(meta))].find((s) => s.summary['floe.offsets.floe-demo']);
  console.log(`   ${withKey?.summary['floe.offsets.floe-demo']}  (snapshots: ${meta.snapshots.length})`);

  say('stopping floe (SIGTERM)');
  floe.kill('SIGTERM');
  const code = await exited;
  console.log(`   floe exited with code ${code}`);
  console.log(`\ndemo ${ok && total === EVENTS && code === 0 ? 'ok' : 'FAILED'}: ${total} rows, ${raw.rows.length} merchants, ${((Date.now() - t0) / 1000).toFixed(0)} s. Stop the services with: scripts/stack down`);
  process.exit(ok && total === EVENTS && code === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
