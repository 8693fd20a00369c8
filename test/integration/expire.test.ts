/**
 * Snapshot expiry (`floe expire` and a mapping's `expire` in the service) against the stack:
 * an append table written by `floe run` with 1 s commits, then compacted by Trino's `optimize`
 * (its small files then live only in old snapshots, and the head has no offset map). `floe expire --retain-last 1` must carry the sink's offset map forward before it
 * removes the snapshots that held it, delete exactly the files no kept snapshot reaches, and leave
 * a table that Trino reads whole and that the sink resumes exactly once. Then the service's own
 * expiry (every minute) runs on the same table while the sink writes. Orphan files: a stray
 * object under the table is kept while young and deleted when old, nothing else is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { frame } from '../../src/decode/index.js';
import { decodeManifestList, parseIdent, readAvroFile } from '../../src/iceberg/index.js';
import { ancestors, branchHead, latestWithSummaryKey } from '../../src/spec/metadata.js';
import { trinoQuery } from '../helpers/engines.js';
import { floeMetrics, spawnFloe, stackConfig, writeConfig } from '../helpers/floe.js';
import { stackCatalog, stackIO, stackOps } from '../helpers/iceberg.js';
import { removeOrphanFiles } from '../../src/maintenance/index.js';
import { order, orderTopic } from '../helpers/orders.js';
import { ROOT, skipUnless, uniqueName } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(command: string, config: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, command, '-c', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
  });
}

test('floe expire: old snapshots and only their files go, the offset map is carried past a foreign snapshot, Trino reads the table whole and the sink resumes exactly once; the service expires too', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 420_000 }, async (t) => {
  const run = uniqueName('expire');
  const topic = run;
  const table = `${run}.orders`;
  const tbl = `iceberg."${run}"."orders"`;
  const { kafka, schemaId, type } = await orderTopic(topic, 2, 'floe-expire-test');
  const dir = `${ROOT}/.stack/expire/${run}`;
  const mapping = (extra: string) => `  - topics: [${topic}]
    table: ${table}
    partitionBy: ["bucket(2, order_id)"]
    tableProperties: { write.metadata.previous-versions-max: 5 }
${extra}`;
  const config = writeConfig(dir, stackConfig({ group: run, extra: 'commit:\n  interval: 1s\n', mappings: mapping('    expire: false\n') }));
  const serviceConfig = writeConfig(`${dir}/service`, stackConfig({ group: run, extra: 'commit:\n  interval: 1s\n', mappings: mapping('    expire: { every: 1m, olderThan: 1m, retainLast: 3 }\n') }));

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const merchants = ['a', 'b', 'c'];
  let produced = 0;
  const wave = async (n: number) => {
    for (let k = 0; k < n; k += 100) {
      const messages = Array.from({ length: 100 }, () => {
        const i = produced++;
        return { value: frame(schemaId, type.toBuffer(order(i, merchants, BigInt(Date.now()) * 1000n))), partition: i % 2 };
      });
      await producer.send({ topic, messages, acks: -1 });
      await sleep(250); // several commits per wave: several small files
    }
  };
  const catalog = stackCatalog();
  const io = stackIO();
  const meta = async () => (await catalog.loadTable(parseIdent(table))).metadata;
  const key = `floe.offsets.${run}`;
  const committed = async () => {
    try {
      const s = latestWithSummaryKey(await meta(), key)?.summary[key];
      return s ? Object.values((JSON.parse(s) as Record<string, Record<string, number>>)[topic] ?? {}).reduce((a, b) => a + b, 0) : 0;
    } catch {
      return 0;
    }
  };
  const until = async (n: number) => {
    for (let i = 0; i < 600 && (await committed()) < n; i++) await sleep(200);
    assert.equal(await committed(), n, `the sink committed ${n} records`);
  };
  const exactlyOnce = async (what: string) => {
    const [r] = (await trinoQuery(`SELECT count(*) AS n, count(DISTINCT order_id) AS ids, min(order_id) AS lo, max(order_id) AS hi FROM ${tbl}`)).rows;
    assert.deepEqual([Number(r?.n), Number(r?.ids), Number(r?.lo), Number(r?.hi)], [produced, produced, 0, produced - 1], `${what}: every order once`);
  };
  /** Objects under the table's location, and what the table's kept snapshots reach. */
  const files = async () => {
    const m = await meta();
    const stored = new Set<string>();
    for await (const f of io.list(`${m.location.replace(/\/+$/, '')}/`)) stored.add(f);
    const reached = new Set<string>();
    for (const s of m.snapshots) {
      reached.add(s.manifestList);
      for (const mf of decodeManifestList(await io.read(s.manifestList))) {
        reached.add(mf.manifest_path);
        for (const e of readAvroFile<{ status: number; data_file: { file_path: string } }>(await io.read(mf.manifest_path)).records) if (e.status !== 2) reached.add(e.data_file.file_path);
      }
    }
    const avro = (xs: Iterable<string>) => [...xs].filter((f) => f.endsWith('.avro')).sort();
    const data = (xs: Iterable<string>) => [...xs].filter((f) => f.endsWith('.parquet')).sort();
    return { stored, reached, avro, data, snapshots: m.snapshots.length };
  };

  // 1. The sink writes three waves in many small commits; floe compact rewrites the small files.
  let sink = spawnFloe(config, `${dir}/run-0.log`);
  try {
    for (let w = 0; w < 4; w++) {
      await wave(400);
      await until(produced); // a commit or more per wave
    }
  } finally {
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('close', r));
  }
  // 2. Trino's optimize rewrites the small files: the head is a snapshot without the sink's
  // offset map, and the small files live on in the older snapshots only.
  await trinoQuery(`ALTER TABLE ${tbl} EXECUTE optimize`);
  const before = await files();
  const head = branchHead(await meta());
  assert.equal(head?.summary[key], undefined, "Trino's snapshot has no offset map");
  const offsets = latestWithSummaryKey(await meta(), key)?.summary[key];
  assert.ok(offsets);
  const live = Number((await trinoQuery(`SELECT count(DISTINCT "$path") AS f FROM ${tbl}`)).rows[0]?.f);
  assert.ok(before.data(before.stored).length > live, `the small files are still stored (${before.data(before.stored).length}, ${live} live)`);
  t.diagnostic(`before: ${before.snapshots} snapshots, ${before.data(before.stored).length} data files stored, ${before.avro(before.stored).length} avro metadata files`);

  // 3. A dry run changes nothing; the expiry keeps the head only, carrying the map first.
  const dry = await cli('expire', config, ['--older-than', '0s', '--retain-last', '1', '--dry-run']);
  assert.equal(dry.code, 0, dry.out);
  assert.match(dry.out, new RegExp(`${table}: would remove ${before.snapshots - 1} of ${before.snapshots} snapshots after carrying ${key} forward`), dry.out);
  assert.equal((await meta()).snapshots.length, before.snapshots);
  const e = await cli('expire', config, ['--older-than', '0s', '--retain-last', '1']);
  assert.equal(e.code, 0, e.out);
  t.diagnostic(e.out.trim());
  const after = await files();
  const m = await meta();
  assert.equal(after.snapshots, 1, 'only the head (the carry snapshot) is left');
  assert.equal(branchHead(m)?.summary[key], offsets, 'the offset map, carried unchanged');
  assert.equal(branchHead(m)?.parentSnapshotId, head?.snapshotId, 'carried on top of the Trino snapshot, which then went too');
  // Exactly what the kept snapshot reaches is stored: every data file and every Avro metadata file.
  assert.deepEqual(after.data(after.stored), after.data(after.reached), 'data files stored = data files reached');
  assert.deepEqual(after.avro(after.stored), after.avro(after.reached), 'manifests and manifest lists stored = reached');
  assert.ok(after.data(after.stored).length < before.data(before.stored).length);
  await exactlyOnce('after floe expire');

  // 3b. Orphan files: an object no snapshot reaches (as a sink killed before its commit leaves)
  // is kept while younger than the age limit, then deleted; nothing reachable is touched.
  const stray = `${m.location.replace(/\/+$/, '')}/data/stray-${run}.parquet`;
  await io.write(stray, new Uint8Array([80, 65, 82, 49]));
  const young = await removeOrphanFiles(stackOps(), parseIdent(table));
  assert.deepEqual([young.orphans, young.tooNew], [[], 1], 'a fresh unreachable file is kept under the default 3 days');
  const short = await cli('orphans', config, ['--older-than', '5m']);
  assert.equal(short.code, 2);
  assert.match(short.out, /--older-than: '5m' is too short; at least 1h/);
  const dryOrphans = await cli('orphans', config, ['--table', table, '--dry-run']);
  assert.equal(dryOrphans.code, 0, dryOrphans.out);
  assert.match(dryOrphans.out, new RegExp(`${table}: \\d+ files, 0 orphans, 1 unreachable but newer than 3d \\(kept\\)`), dryOrphans.out);
  const old = await removeOrphanFiles(stackOps(), parseIdent(table), { olderThanMs: 0, now: Date.now() + 5000 });
  assert.deepEqual([old.orphans, old.deleted], [[stray], 1], `only the stray file is an orphan (${old.listed} listed, ${old.reachable} reachable)`);
  const cleaned = await files();
  assert.ok(!cleaned.stored.has(stray));
  assert.deepEqual(cleaned.data(cleaned.stored), cleaned.data(cleaned.reached));
  await exactlyOnce('after the orphan files went');

  // 4. The sink resumes from the carried map (no replay), with the service's expiry on: every
  // minute, snapshots older than a minute beyond the newest 3.
  sink = spawnFloe(serviceConfig, `${dir}/run-1.log`, { env: { FLOE_LOG_LEVEL: 'info' } });
  try {
    const started = Date.now();
    await wave(300);
    await until(produced);
    await exactlyOnce('the sink resumed after the expiry');
    // More commits while the first tick (at 54-66 s) comes: then more than 3 snapshots exist,
    // the carry snapshot and the first of these older than a minute.
    const log = () => readFileSync(`${dir}/run-1.log`, 'utf8');
    while (!log().includes('expired snapshots') && Date.now() - started < 150_000) {
      await wave(100);
      await until(produced);
      await sleep(4000);
    }
    assert.match(log(), /expired snapshots/, 'the service expired snapshots within 150 s');
    t.diagnostic(log().split('\n').find((l) => l.includes('expired snapshots')) ?? '');
    const metrics = await floeMetrics(log());
    const sample = (name: string) => Number(new RegExp(`^${name}\\{table="${table}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(sample('floe_expired_snapshots_total') >= 1, 'floe_expired_snapshots_total counts them');
    assert.ok(sample('floe_table_snapshots') >= 1, 'floe_table_snapshots is set after commits');
  } finally {
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('close', r));
  }
  await producer.disconnect();
  await exactlyOnce('after the service expired snapshots while writing');
  const last = await files();
  const chain = [...ancestors(await meta(), branchHead(await meta()))];
  assert.equal(chain.length, last.snapshots, 'the kept snapshots are one chain from the head');
  assert.deepEqual(last.data(last.stored), last.data(last.reached), 'no data file left behind by the service');
  // Floe creates its tables with write.metadata.delete-after-commit.enabled: the catalog keeps the
  // current metadata file and the 5 logged ones, not one per commit.
  const metadataFiles = [...last.stored].filter((f) => f.endsWith('.metadata.json')).length;
  assert.ok(metadataFiles >= 1 && metadataFiles <= 6, `${metadataFiles} metadata files stored after dozens of commits`);
  t.diagnostic(`end: ${produced} orders, ${last.snapshots} snapshots, ${last.data(last.stored).length} data files, ${metadataFiles} metadata files`);
});
