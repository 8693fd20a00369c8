/**
 * npm run bench:catalog — commits per second of the embedded catalog on SQLite and on
 * PostgreSQL, and of Iceberg's Java REST test server (the `rest` service of scripts/stack), in
 * the same run, all three with their metadata files in the same S3 warehouse (the s3 service).
 * Each catalog runs as its own process; the client is plain fetch, so client cost is the same.
 *
 *   one table:   one client, commits in sequence (latency bound)
 *   many tables: 8 clients, each committing to its own table at once (throughput)
 *
 * A commit is what a streaming writer sends: assert-ref-snapshot-id on main, add-snapshot and
 * set-snapshot-ref (the manifest lists are not written: this measures the catalog).
 * Needs `scripts/stack up s3 rest postgres`. Last line:
 *   catalog sqlite_commits_per_s=<n> postgres_commits_per_s=<n> fixture_commits_per_s=<n> ratio=<sqlite/fixture>
 * where each figure is the many-tables throughput.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSnapshotId } from '../src/iceberg/index.js';
import { stringifyJson } from '../src/spec/json.js';
import { spawnCatalog, type CatalogProcess } from '../test/helpers/catalog.js';
import { ROOT, stack } from '../test/helpers/stack.js';

const ONE_TABLE_COMMITS = Number(process.env.BENCH_ONE ?? 300);
const TABLES = 8;
const PER_TABLE = Number(process.env.BENCH_PER_TABLE ?? 60);
const WARMUP = 30;
const run = `b${Date.now().toString(36)}`;

async function req(url: string, method: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: stringifyJson(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }, { id: 2, name: 'payload', required: false, type: 'string' }] };

/** Commits `n` snapshots to one table in sequence; the client tracks the chain itself. */
async function commitLoop(base: string, ns: string, table: string, n: number): Promise<void> {
  const path = `${base}/v1/namespaces/${ns}/tables/${table}`;
  let parent: bigint | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const id = newSnapshotId();
    await req(path, 'POST', {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
      updates: [
        {
          action: 'add-snapshot',
          snapshot: {
            'snapshot-id': id,
            ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
            'sequence-number': seq,
            'timestamp-ms': Date.now(),
            'manifest-list': `s3://${stack.s3.bucket}/bench/${ns}/${table}/snap-${id}.avro`,
            summary: { operation: 'append', 'added-records': '1000', 'floe.commit-id': `${id}` },
          },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ],
    });
    parent = id;
  }
}

interface Figures {
  one: number;
  many: number;
}

async function measure(name: string, base: string): Promise<Figures> {
  const ns = `${run}_${name}`;
  await req(`${base}/v1/namespaces`, 'POST', { namespace: [ns] });
  const create = (t: string) => req(`${base}/v1/namespaces/${ns}/tables`, 'POST', { name: t, schema: SCHEMA, properties: { 'format-version': '2' } });
  await create('warmup');
  await commitLoop(base, ns, 'warmup', WARMUP);
  await create('one');
  let t0 = performance.now();
  await commitLoop(base, ns, 'one', ONE_TABLE_COMMITS);
  const one = ONE_TABLE_COMMITS / ((performance.now() - t0) / 1000);
  for (let i = 0; i < TABLES; i++) await create(`many${i}`);
  t0 = performance.now();
  await Promise.all(Array.from({ length: TABLES }, (_, i) => commitLoop(base, ns, `many${i}`, PER_TABLE)));
  const many = (TABLES * PER_TABLE) / ((performance.now() - t0) / 1000);
  console.log(`catalog target=${name} one_table_commits_per_s=${one.toFixed(1)} many_tables_commits_per_s=${many.toFixed(1)} (one: ${ONE_TABLE_COMMITS} commits; many: ${TABLES}×${PER_TABLE})`);
  return { one, many };
}

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'rest', 'postgres'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'floe-bench-catalog-'));
  const s3Env = { AWS_ACCESS_KEY_ID: stack.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey, AWS_REGION: stack.s3.region };
  const s3Args = ['--warehouse', `s3://${stack.s3.bucket}/bench-catalog`, '--s3-endpoint', stack.s3.endpoint, '--s3-path-style'];
  const procs: CatalogProcess[] = [];
  try {
    const sqlite = await spawnCatalog(['--store', `sqlite:${join(dir, 'catalog.db')}`, ...s3Args], s3Env);
    procs.push(sqlite);
    const s = await measure('sqlite', sqlite.url);
    await sqlite.stop();
    const pg = await spawnCatalog(['--store', stack.postgresUrl, ...s3Args], s3Env);
    procs.push(pg);
    const p = await measure('postgres', pg.url);
    await pg.stop();
    const f = await measure('fixture', stack.restUrl);
    if (process.env.BENCH_LOCAL !== '0') {
      const local = await spawnCatalog(['--store', `sqlite:${join(dir, 'local.db')}`, '--warehouse', join(dir, 'warehouse')]);
      procs.push(local);
      await measure('sqlite_local_disk', local.url);
      await local.stop();
    }
    console.log(`catalog sqlite_commits_per_s=${s.many.toFixed(1)} postgres_commits_per_s=${p.many.toFixed(1)} fixture_commits_per_s=${f.many.toFixed(1)} ratio=${(s.many / f.many).toFixed(2)}`);
  } finally {
    for (const p of procs) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
