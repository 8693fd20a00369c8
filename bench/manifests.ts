/**
 * npm run bench:manifests [commits]: what merging manifests buys a table that is committed often.
 *
 * Two tables get the same `commits` appends (default 400, e.g. 400 s of a 1 s commit interval),
 * each of one small file of the same 200 rows (one Parquet file written once, stored under a new
 * name per commit): one with Iceberg's default merging (commit.manifest-merge.enabled, every
 * 100 manifests), one with it off, as Floe behaved before. Then Trino asks both tables the
 * same question (revenue per merchant), warm-up and the median of 5; and PyIceberg plans both.
 * Last line:
 *   manifests commits=<n> merged_manifests=<n> unmerged_manifests=<n> trino_merged_ms=<n> trino_unmerged_ms=<n> trino_speedup=<x> plan_merged_ms=<n> plan_unmerged_ms=<n> commit_p50_merged_ms=<n> commit_p50_unmerged_ms=<n> commit_max_merged_ms=<n>
 */
import { execFileSync } from 'node:child_process';
import { decodeManifestList, parseIdent, type TableIdent } from '../src/iceberg/index.js';
import { branchHead } from '../src/spec/metadata.js';
import { buildSpec } from '../src/spec/partition.js';
import { pyiceberg, trinoQuery } from '../test/helpers/engines.js';
import { stackOps } from '../test/helpers/iceberg.js';
import { ROOT, uniqueName } from '../test/helpers/stack.js';
import { SMALL_SCHEMA, copier } from './lib/copies.js';

const COMMITS = Number(process.argv[2] ?? 400);
const log = (s: string) => console.log(`[manifests] ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function fill(ident: TableIdent, properties: Record<string, string>): Promise<{ commitMs: number[]; manifests: number }> {
  const ops = stackOps();
  const created = await ops.create(ident, { schema: SMALL_SCHEMA, spec: buildSpec(SMALL_SCHEMA, [{ column: 'event_time', transform: { kind: 'day' } }]), properties });
  const c = await copier(ops, ident, created);
  const commitMs: number[] = [];
  for (let i = 0; i < COMMITS; i++) commitMs.push(await c.append());
  const manifests = decodeManifestList(await ops.io.read(branchHead(c.loaded().metadata)?.manifestList as string)).length;
  return { commitMs, manifests };
}

async function timed(sql: string, runs = 5): Promise<number> {
  await trinoQuery(sql);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await trinoQuery(sql);
    times.push(performance.now() - t);
  }
  return median(times);
}

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'rest', 'pyiceberg'], { stdio: 'inherit' });
  const ns = uniqueName('manifests');
  await stackOps().catalog.ensureNamespace([ns]);
  const merged = parseIdent(`${ns}.merged`);
  const unmerged = parseIdent(`${ns}.unmerged`);
  log(`${COMMITS} appends of one file to each table`);
  const m = await fill(merged, {});
  const u = await fill(unmerged, { 'commit.manifest-merge.enabled': 'false' });
  log(`merged: ${m.manifests} manifests, commit p50 ${median(m.commitMs).toFixed(0)} ms, max ${Math.max(...m.commitMs).toFixed(0)} ms`);
  log(`unmerged: ${u.manifests} manifests, commit p50 ${median(u.commitMs).toFixed(0)} ms, max ${Math.max(...u.commitMs).toFixed(0)} ms`);

  const plan = (await pyiceberg(`
import time
out = {}
for name in ["merged", "unmerged"]:
    t = catalog().load_table("${ns}." + name)
    runs = []
    for _ in range(3):
        s = time.perf_counter(); n = len(list(t.scan().plan_files())); runs.append((time.perf_counter() - s) * 1000)
    out[name] = [sorted(runs)[1], n]
result = out
`)) as Record<string, [number, number]>;
  if (plan.merged?.[1] !== COMMITS || plan.unmerged?.[1] !== COMMITS) throw new Error(`PyIceberg planned ${JSON.stringify(plan)} files; ${COMMITS} expected in each`);
  log(`pyiceberg plan_files: merged ${plan.merged[0].toFixed(0)} ms, unmerged ${plan.unmerged[0].toFixed(0)} ms (${COMMITS} files each)`);

  execFileSync(`${ROOT}/scripts/stack`, ['up', 'trino'], { stdio: 'inherit' });
  const q = (t: string) => `SELECT merchant, sum(amount) AS revenue FROM iceberg."${ns}"."${t}" GROUP BY merchant`;
  const [a, b] = [await trinoQuery(`${q('merged')} ORDER BY 1`), await trinoQuery(`${q('unmerged')} ORDER BY 1`)];
  if (JSON.stringify(a.rows) !== JSON.stringify(b.rows) || a.rows.length !== 20) throw new Error('the two tables answer differently');
  const tm = await timed(q('merged'));
  const tu = await timed(q('unmerged'));
  log(`trino: merged ${tm.toFixed(0)} ms, unmerged ${tu.toFixed(0)} ms (median of 5 after a warm-up)`);
  console.log(
    `manifests commits=${COMMITS} merged_manifests=${m.manifests} unmerged_manifests=${u.manifests} trino_merged_ms=${Math.round(tm)} trino_unmerged_ms=${Math.round(tu)} trino_speedup=${(tu / tm).toFixed(1)} plan_merged_ms=${Math.round(plan.merged[0])} plan_unmerged_ms=${Math.round(plan.unmerged[0])} commit_p50_merged_ms=${Math.round(median(m.commitMs))} commit_p50_unmerged_ms=${Math.round(median(u.commitMs))} commit_max_merged_ms=${Math.round(Math.max(...m.commitMs))}`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
