/**
 * npm run bench:expire [commits] [partitions]: what snapshot expiry buys a table committed often.
 *
 * One table gets `commits` appends (default 2,000: 5.5 hours of 10 s commits), each of one small
 * file and, like the sink's, an offset map over `partitions` partitions (default 12) in the
 * summary. Measured before and after `expireSnapshots` keeps the newest 100: the table metadata's
 * size (the JSON the catalog serves), the commit time (median of 100 more commits) and Trino's
 * time for a query on the table (warm-up, median of 5). The "before" figures are the baseline.
 * Then the steady state: the 100 commits measured after are expired by a second run (keeping
 * 100), as the service's hourly run would, with the manifest list cache the first run filled
 * (the service keeps one per table); then 100 more commits are expired by a third run without
 * a cache, the baseline. Objects read by each run are counted.
 * Last line:
 *   expire commits=<n> snapshots_before=<n> snapshots_after=<n> metadata_kb_before=<n> metadata_kb_after=<n> commit_p50_before_ms=<n> commit_p50_after_ms=<n> trino_before_ms=<n> trino_after_ms=<n> expire_ms=<n> expire_reads=<n> again_ms=<n> again_reads=<n> uncached_ms=<n> uncached_reads=<n>
 */
import { execFileSync } from 'node:child_process';
import { TableOps, parseIdent } from '../src/iceberg/index.js';
import { ManifestListCache, expireSnapshots } from '../src/maintenance/index.js';
import { buildSpec } from '../src/spec/partition.js';
import { trinoQuery } from '../test/helpers/engines.js';
import { stackCatalog, stackIO, stackOps } from '../test/helpers/iceberg.js';
import { ROOT, stack, uniqueName } from '../test/helpers/stack.js';
import { SMALL_SCHEMA, copier } from './lib/copies.js';

const COMMITS = Number(process.argv[2] ?? 2_000);
const PARTITIONS = Number(process.argv[3] ?? 12);
const log = (s: string) => console.log(`[expire] ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'rest', 'trino'], { stdio: 'inherit' });
  const ns = uniqueName('expire');
  const ops = stackOps();
  await ops.catalog.ensureNamespace([ns]);
  const ident = parseIdent(`${ns}.events`);
  const created = await ops.create(ident, { schema: SMALL_SCHEMA, spec: buildSpec(SMALL_SCHEMA, [{ column: 'event_time', transform: { kind: 'day' } }]), properties: { 'write.metadata.delete-after-commit.enabled': 'true' } });
  const c = await copier(ops, ident, created);
  let offset = 0;
  const commit = () => {
    offset += 1_000;
    const map = Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [String(p), offset + p]));
    return c.append({ [`floe.offsets.bench-${ns}`]: JSON.stringify({ [`orders-${ns}`]: map }) });
  };
  const metadataBytes = async () => (await (await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/events`)).text()).length;
  const snapshots = () => c.loaded().metadata.snapshots.length;
  const q = `SELECT merchant, count(*) AS n, sum(amount) AS revenue FROM iceberg."${ns}"."events" GROUP BY merchant`;
  const trino = async () => {
    await trinoQuery(q);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await trinoQuery(q);
      times.push(performance.now() - t);
    }
    return median(times);
  };

  log(`${COMMITS} commits with an offset map of ${PARTITIONS} partitions`);
  const t0 = performance.now();
  for (let i = 0; i < COMMITS; i++) await commit();
  log(`committed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const before = { snapshots: snapshots(), bytes: await metadataBytes(), trino: await trino(), commit: 0 };
  const pre: number[] = [];
  for (let i = 0; i < 100; i++) pre.push(await commit());
  before.commit = median(pre);
  log(`before: ${before.snapshots} snapshots, metadata ${(before.bytes / 1024).toFixed(0)} KB, commit p50 ${before.commit.toFixed(0)} ms, trino ${before.trino.toFixed(0)} ms`);

  // Expiry through a FileIO that counts the objects it reads.
  const io = stackIO();
  let reads = 0;
  const read = io.read.bind(io);
  io.read = (path: string) => (reads++, read(path));
  const expiring = new TableOps(stackCatalog(), io);
  const t1 = performance.now();
  const cache = new ManifestListCache();
  const r = await expireSnapshots(expiring, ident, { olderThanMs: 0, retainLast: 100, cache });
  const expireMs = performance.now() - t1;
  const expireReads = reads;
  log(`expired ${r.snapshotsRemoved} snapshots in ${(expireMs / 1000).toFixed(1)} s (${r.filesDeleted.manifestLists} manifest lists, ${r.filesDeleted.manifests} manifests, ${r.filesDeleted.dataFiles} data files deleted)`);
  const reloaded = await ops.load(ident);
  const c2 = await copier(ops, ident, reloaded);
  const hundredMore = async () => {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      offset += 1_000;
      const map = Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [String(p), offset + p]));
      times.push(await c2.append({ [`floe.offsets.bench-${ns}`]: JSON.stringify({ [`orders-${ns}`]: map }) }));
    }
    return times;
  };
  const post = await hundredMore();
  const after = { snapshots: c2.loaded().metadata.snapshots.length, bytes: await metadataBytes(), trino: await trino(), commit: median(post) };
  log(`after: ${after.snapshots} snapshots, metadata ${(after.bytes / 1024).toFixed(0)} KB, commit p50 ${after.commit.toFixed(0)} ms, trino ${after.trino.toFixed(0)} ms`);
  reads = 0;
  const t2 = performance.now();
  const again = await expireSnapshots(expiring, ident, { olderThanMs: 0, retainLast: 100, cache });
  const againMs = performance.now() - t2;
  const againReads = reads;
  log(`steady state: a second run (the first run's manifest list cache) expired ${again.snapshotsRemoved} snapshots in ${againMs.toFixed(0)} ms reading ${againReads} objects (the first read ${expireReads})`);
  await hundredMore();
  reads = 0;
  const t3 = performance.now();
  const uncached = await expireSnapshots(expiring, ident, { olderThanMs: 0, retainLast: 100 });
  const uncachedMs = performance.now() - t3;
  log(`steady state without a cache: a third run expired ${uncached.snapshotsRemoved} snapshots in ${uncachedMs.toFixed(0)} ms reading ${reads} objects`);
  const [row] = (await trinoQuery(`SELECT count(*) AS n FROM iceberg."${ns}"."events"`)).rows;
  const rows = 200 * (COMMITS + 300);
  if (Number(row?.n) !== rows) throw new Error(`the table has ${String(row?.n)} rows after expiry; ${rows} were appended`);
  console.log(
    `expire commits=${COMMITS} snapshots_before=${before.snapshots} snapshots_after=${after.snapshots} metadata_kb_before=${Math.round(before.bytes / 1024)} metadata_kb_after=${Math.round(after.bytes / 1024)} commit_p50_before_ms=${Math.round(before.commit)} commit_p50_after_ms=${Math.round(after.commit)} trino_before_ms=${Math.round(before.trino)} trino_after_ms=${Math.round(after.trino)} expire_ms=${Math.round(expireMs)} expire_reads=${expireReads} again_ms=${Math.round(againMs)} again_reads=${againReads} uncached_ms=${Math.round(uncachedMs)} uncached_reads=${reads}`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
