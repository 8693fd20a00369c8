/**
 * npm run test:crash [trials] [records]: exactly once under SIGKILL. A producer writes records
 * with unique ids to a 4-partition topic while two Floe instances in one group are killed with
 * SIGKILL at random moments (with a 1 s commit interval many kills land during a commit) and
 * restarted; a third instance joins and leaves mid-stream. Then the table is counted with
 * Trino. Last line:
 *   crash trials=<t> produced=<n> rows=<r> distinct=<d> duplicates=<x> missing=<y>
 * and the command fails unless duplicates=0 and missing=0.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import kafkajs from 'kafkajs';
import { avroType, frame } from '../src/decode/index.js';
import { RegistryClient } from '../src/decode/registry.js';
import { RestCatalog, decodeManifestList, parseIdent } from '../src/iceberg/index.js';
import { branchHead } from '../src/spec/metadata.js';
import { trinoQuery } from '../test/helpers/engines.js';
import { spawnFloe, stackConfig, writeConfig } from '../test/helpers/floe.js';
import { stackIO } from '../test/helpers/iceberg.js';
import { ROOT, stack, uniqueName } from '../test/helpers/stack.js';

const TRIALS = Number(process.argv[2] ?? 20);
const N = Number(process.argv[3] ?? 30_000);
const log = (s: string) => console.log(`[crash] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

const SCHEMA = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'payload', type: 'string' }] };

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'kafka', 'registry', 'rest'], { stdio: 'inherit' });
  const run = uniqueName('crash');
  const topic = run;
  const table = `crash.${run}`;
  const kafka = new kafkajs.Kafka({ clientId: 'floe-crash', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const registry = new RegistryClient({ url: stack.registryUrl });
  const schemaId = await registry.register(`${topic}-value`, JSON.stringify(SCHEMA));
  const type = avroType(SCHEMA);

  const dir = `${ROOT}/.stack/crash/${run}`;
  const config = writeConfig(
    dir,
    stackConfig({
      group: run,
      kafka: '  sessionTimeout: 6s\n',
      extra: 'commit:\n  interval: 1s\n',
      mappings: `  - topics: [${topic}]
    table: ${table}
    partitionBy: ["bucket(4, id)"]
    tableProperties: { commit.manifest.min-count-to-merge: 4 }
`,
    }),
  );

  let seq = 0;
  const start = (name: string): ChildProcess => spawnFloe(config, `${dir}/${name}-${seq++}.log`);
  const instances: Record<string, ChildProcess> = { a: start('a'), b: start('b') };

  // Producer: N unique ids, spread over the run.
  let produced = 0;
  const producing = (async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const batch = 500;
    const pause = Math.max(50, ((TRIALS * 2500) / (N / batch)) | 0);
    while (produced < N) {
      const msgs = [];
      for (let i = 0; i < batch && produced < N; i++, produced++) msgs.push({ key: String(produced), value: frame(schemaId, type.toBuffer({ id: BigInt(produced), payload: `event-${produced}` })) });
      await producer.send({ topic, messages: msgs });
      await sleep(pause);
    }
    await producer.disconnect();
  })();

  let extra: ChildProcess | undefined;
  for (let t = 1; t <= TRIALS; t++) {
    await sleep(rand(700, 2500));
    const name = Math.random() < 0.5 ? 'a' : 'b';
    instances[name]?.kill('SIGKILL');
    log(`trial ${t}: SIGKILL ${name}`);
    await sleep(rand(100, 1500));
    instances[name] = start(name);
    if (t === Math.floor(TRIALS / 3)) {
      extra = start('c');
      log('instance c joins');
    }
    if (t === Math.floor((2 * TRIALS) / 3) && extra) {
      extra.kill('SIGTERM');
      log('instance c leaves (SIGTERM)');
    }
  }
  await producing;
  log(`produced ${produced}; waiting for the table to catch up`);
  const catalog = new RestCatalog({ uri: stack.restUrl });
  let total = 0;
  for (let i = 0; i < 240; i++) {
    await sleep(1000);
    try {
      total = Number(branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      // not created yet
    }
    if (total >= N) break;
  }
  for (const p of Object.values(instances)) p.kill('SIGTERM');
  await sleep(2000);

  // Manifests are merged at every fourth (tableProperties above), under the same kills.
  const meta = (await catalog.loadTable(parseIdent(table))).metadata;
  const manifests = decodeManifestList(await stackIO().read(branchHead(meta)?.manifestList as string)).length;
  log(`${meta.snapshots.length} snapshots, ${manifests} manifests in the last one`);
  if (manifests > 3) throw new Error(`the last snapshot lists ${manifests} manifests: with min-count-to-merge 4 it lists at most 3`);

  execFileSync(`${ROOT}/scripts/stack`, ['up', 'trino'], { stdio: 'inherit' });
  const [ns, tbl] = table.split('.') as [string, string];
  const r = (await trinoQuery(`SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids, count_if(id >= ${N}) AS foreign FROM iceberg."${ns}"."${tbl}"`)).rows[0] as Record<string, unknown>;
  const rows = Number(r.rows);
  const distinct = Number(r.distinct_ids);
  const duplicates = rows - distinct;
  const missing = N - distinct;
  console.log(`crash trials=${TRIALS} produced=${produced} rows=${rows} distinct=${distinct} duplicates=${duplicates} missing=${missing}`);
  process.exit(duplicates === 0 && missing === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
