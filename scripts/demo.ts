/**
 * npm run demo: Floe's main job end to end. Brings up Kafka, the schema registry, an Iceberg
 * REST catalog and an S3 store; produces a stream of Avro order events into a 4-partition topic;
 * runs `floe run` into a day-partitioned table; queries it with Trino (revenue per merchant and
 * the offsets stored in the table); then stops Floe with SIGTERM.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { avroType, frame } from '../src/decode/index.js';
import { RegistryClient } from '../src/decode/registry.js';
import { RestCatalog, parseIdent } from '../src/iceberg/index.js';
import { ancestors, branchHead } from '../src/spec/metadata.js';
import { trinoQuery } from '../test/helpers/engines.js';
import { ROOT, stack } from '../test/helpers/stack.js';

const EVENTS = Number(process.env.DEMO_EVENTS ?? 20_000);
const TOPIC = 'orders';
const TABLE = 'demo.orders';
const say = (s: string) => console.log(`\n== ${s}`);

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'demo',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'merchant', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-micros' } },
    {
      name: 'customer',
      type: { type: 'record', name: 'Customer', fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }, { name: 'country', type: ['null', 'string'], default: null }] },
    },
  ],
};

const MERCHANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];

async function main(): Promise<void> {
  const t0 = Date.now();
  say('bringing up the stack (first run installs it; later runs take seconds)');
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'kafka', 'registry', 'rest'], { stdio: 'inherit' });

  const kafka = new kafkajs.Kafka({ clientId: 'floe-demo', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  if ((await admin.listTopics()).includes(TOPIC)) await admin.deleteTopics({ topics: [TOPIC] });
  await new Promise((r) => setTimeout(r, 1000));
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const catalog = new RestCatalog({ uri: stack.restUrl });
  if (await catalog.tableExists(parseIdent(TABLE))) await catalog.dropTable(parseIdent(TABLE), true);
  for (const t of ['demo.orders_dlq']) if (await catalog.tableExists(parseIdent(t))) await catalog.dropTable(parseIdent(t), true);

  const registry = new RegistryClient({ url: stack.registryUrl });
  const schemaId = await registry.register(`${TOPIC}-value`, JSON.stringify(ORDER));
  const type = avroType(ORDER);

  const dir = `${ROOT}/.stack/demo`;
  mkdirSync(dir, { recursive: true });
  const configPath = `${dir}/floe.yaml`;
  writeFileSync(
    configPath,
    `# Written by npm run demo
kafka:
  brokers: ["${stack.kafkaBrokers[0]}"]
  groupId: floe-demo
registry:
  url: ${stack.registryUrl}
catalog:
  uri: ${stack.restUrl}
storage:
  s3:
    endpoint: ${stack.s3.endpoint}
    region: ${stack.s3.region}
    pathStyle: true
    accessKeyId: ${stack.s3.accessKeyId}
    secretAccessKey: ${stack.s3.secretAccessKey}
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
`,
  );
  say(`starting floe run -c ${configPath.replace(`${ROOT}/`, '')}`);
  const floe = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', configPath], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FLOE_LOG_LEVEL: 'info' } });
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

  say(`producing ${EVENTS} Avro order events to '${TOPIC}' (4 partitions), plus 3 malformed records`);
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const expected = new Map<string, bigint>();
  const now = BigInt(Date.now()) * 1000n;
  for (let i = 0; i < EVENTS; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + 1000); j++) {
      const merchant = MERCHANTS[(j * 7) % MERCHANTS.length] as string;
      const amount = BigInt(((j * 7919) % 100_000) + 99);
      expected.set(merchant, (expected.get(merchant) ?? 0n) + amount);
      const order = { order_id: BigInt(j), merchant, amount, currency: 'EUR', event_time: now - BigInt(j % 3) * 86_400_000_000n, customer: { id: BigInt(j % 997), name: `customer-${j % 997}`, country: j % 5 === 0 ? null : 'DE' } };
      messages.push({ key: String(j), value: frame(schemaId, type.toBuffer(order)) });
    }
    await producer.send({ topic: TOPIC, messages });
  }
  await producer.send({ topic: TOPIC, messages: [{ value: Buffer.from('not avro at all') }, { value: frame(987654, Buffer.from([1, 2, 3])) }, { value: Buffer.from([0, 0, 0]) }] });
  await producer.disconnect();

  say('waiting for the table to hold every event');
  const ident = parseIdent(TABLE);
  let total = 0;
  for (let i = 0; i < 120 && total < EVENTS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const head = branchHead((await catalog.loadTable(ident)).metadata);
      total = Number(head?.summary['total-records'] ?? 0);
      process.stdout.write(`\r   rows in ${TABLE}: ${total}   `);
    } catch {
      // not created yet
    }
  }
  console.log();

  say('querying with Trino: revenue per merchant');
  execFileSync(`${ROOT}/scripts/stack`, ['up', 'trino'], { stdio: 'inherit' });
  const rev = await trinoQuery(`SELECT merchant, count(*) AS orders, sum(amount) AS revenue FROM iceberg.demo.orders GROUP BY merchant ORDER BY merchant`);
  console.log('   merchant   orders   revenue (EUR)   expected');
  let ok = true;
  for (const r of rev.rows) {
    const want = expected.get(String(r.merchant)) ?? 0n;
    const got = String(r.revenue);
    const wantStr = `${want / 100n}.${String(want % 100n).padStart(2, '0')}`;
    if (got !== wantStr) ok = false;
    console.log(`   ${String(r.merchant).padEnd(10)} ${String(r.orders).padStart(6)}   ${got.padStart(13)}   ${wantStr}${got === wantStr ? '' : '  MISMATCH'}`);
  }
  const dlq = await trinoQuery(`SELECT count(*) AS n FROM iceberg.demo.orders_dlq`).catch(() => ({ rows: [{ n: 0 }] }));
  console.log(`   dead-letter table demo.orders_dlq: ${String(dlq.rows[0]?.n)} records (3 malformed were produced)`);

  say('offsets stored in the table (snapshot summary floe.offsets.floe-demo)');
  const meta = (await catalog.loadTable(ident)).metadata;
  const withKey = [...ancestors(meta, branchHead(meta))].find((s) => s.summary['floe.offsets.floe-demo']);
  console.log(`   ${withKey?.summary['floe.offsets.floe-demo']}  (snapshots: ${meta.snapshots.length})`);

  say('stopping floe (SIGTERM)');
  floe.kill('SIGTERM');
  const code = await exited;
  console.log(`   floe exited with code ${code}`);
  console.log(`\ndemo ${ok && total === EVENTS && code === 0 ? 'ok' : 'FAILED'}: ${total} rows, ${rev.rows.length} merchants, ${((Date.now() - t0) / 1000).toFixed(0)} s. Stop the services with: scripts/stack down`);
  process.exit(ok && total === EVENTS && code === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
