/**
 * npm run bench:catalog — commits per second of the embedded catalog on SQLite and on
 * PostgreSQL, and of Iceberg's Java REST test server (the `rest` service of scripts/stack), in
 * the same run, all three with their metadata files in the same S3 warehouse (the s3 service).
 * Each catalog runs as its own process; the client is plain fetch, so client cost is the same.
 *
 *   one table:   one client, commits in sequence (latency bound)
 *   many tables: 8 clients, each committing to its own table at once (throughput)
 *
 * The three are measured in interleaved rounds (BENCH_ROUNDS, default 3), so that a change in
 * the machine's load during the run falls on all three alike.
 *
 * A commit is what a streaming writer sends: assert-ref-snapshot-id on main, add-snapshot and
 * set-snapshot-ref (the manifest lists are not written: this measures the catalog).
 * Needs `scripts/stack up s3 rest postgres`. Last line:
 *   catalog sqlite_commits_per_s=<n> postgres_commits_per_s=<n> fixture_commits_per_s=<n> ratio=<sqlite/fixture>
 * where each figure is the many-tables throughput; the line before it gives the one-table figures.
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = `b${Date.now().toString(36)}`;

async function req(url: string, method: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: stringifyJson(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }, { id: 2, name: 'payload', required: false, type: 'string' }] };

/** A table's chain as the client tracks it: the head it commits on and the next sequence number. */
interface Chain {
  parent: bigint | null;
  seq: number;
}

/** Commits `n` snapshots to one table in sequence, continuing `chain`. */
async function commitLoop(base: string, ns: string, table: string, n: number, chain: Chain = { parent: null, seq: 1 }): Promise<void> {
  const path = `${base}/v1/namespaces/${ns}/tables/${table}`;
  for (let i = 0; i < n; i++) {
    const id = newSnapshotId();
    const parent = chain.parent;
    await req(path, 'POST', {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
      updates: [
        {
          action: 'add-snapshot',
          snapshot: {
            'snapshot-id': id,
            ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
            'sequence-number': chain.seq,
            'timestamp-ms': Date.now(),
            'manifest-list': `s3://${stack.s3.bucket}/bench/${ns}/${table}/snap-${id}.avro`,
            summary: { operation: 'append', 'added-records': '1000', 'floe.commit-id': `${id}` },
          },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ],
    });
    chain.parent = id;
    chain.seq++;
  }
}

interface Figures {
  one: number;
  many: number;
}

/** One catalog under test: its tables' chains and the time and commits measured so far. */
class Target {
  readonly ns: string;
  readonly one: Chain = { parent: null, seq: 1 };
  readonly many: Chain[] = Array.from({ length: TABLES }, () => ({ parent: null, seq: 1 }));
  oneTime = 0;
  oneCommits = 0;
  manyTime = 0;
  manyCommits = 0;

  constructor(
    readonly name: string,
    readonly base: string,
  ) {
    this.ns = `${run}_${name}`;
  }

  async setup(): Promise<void> {
    await req(`${this.base}/v1/namespaces`, 'POST', { namespace: [this.ns] });
    const create = (t: string) => req(`${this.base}/v1/namespaces/${this.ns}/tables`, 'POST', { name: t, schema: SCHEMA, properties: { 'format-version': '2' } });
    await create('warmup');
    await commitLoop(this.base, this.ns, 'warmup', WARMUP);
    await create('one');
    for (let i = 0; i < TABLES; i++) await create(`many${i}`);
  }

  /** One round: `one` commits to one table in sequence, then `perTable` to each of the tables at once. */
  async round(one: number, perTable: number): Promise<void> {
    let t0 = performance.now();
    await commitLoop(this.base, this.ns, 'one', one, this.one);
    this.oneTime += performance.now() - t0;
    this.oneCommits += one;
    t0 = performance.now();
    await Promise.all(this.many.map((chain, i) => commitLoop(this.base, this.ns, `many${i}`, perTable, chain)));
    this.manyTime += performance.now() - t0;
    this.manyCommits += TABLES * perTable;
  }

  get figures(): Figures {
    return { one: this.oneCommits / (this.oneTime / 1000), many: this.manyCommits / (this.manyTime / 1000) };
  }

  report(): Figures {
    const f = this.figures;
    console.log(`catalog target=${this.name} one_table_commits_per_s=${f.one.toFixed(1)} many_tables_commits_per_s=${f.many.toFixed(1)} (one: ${this.oneCommits} commits; many: ${TABLES}×${this.manyCommits / TABLES})`);
    return f;
  }
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
    const pg = await spawnCatalog(['--store', stack.postgresUrl, ...s3Args], s3Env);
    procs.push(pg);
    const targets = [new Target('sqlite', sqlite.url), new Target('postgres', pg.url), new Target('fixture', stack.restUrl)];
    for (const t of targets) await t.setup();
    // Rounds interleave the targets (in a rotating order), so that a change in the machine's
    // load during the run (other processes) falls on all of them alike.
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < targets.length; k++) await (targets[(r + k) % targets.length] as Target).round(Math.ceil(ONE_TABLE_COMMITS / ROUNDS), Math.ceil(PER_TABLE / ROUNDS));
    }
    const [s, p, f] = targets.map((t) => t.report()) as [Figures, Figures, Figures];
    for (const proc of procs) await proc.stop();
    if (process.env.BENCH_LOCAL !== '0') {
      const local = await spawnCatalog(['--store', `sqlite:${join(dir, 'local.db')}`, '--warehouse', join(dir, 'warehouse')]);
      procs.push(local);
      const t = new Target('sqlite_local_disk', local.url);
      await t.setup();
      await t.round(ONE_TABLE_COMMITS, PER_TABLE);
      t.report();
      await local.stop();
    }
    console.log(`catalog one_table sqlite_commits_per_s=${s.one.toFixed(1)} postgres_commits_per_s=${p.one.toFixed(1)} fixture_commits_per_s=${f.one.toFixed(1)} ratio=${(s.one / f.one).toFixed(2)}`);
    console.log(`catalog sqlite_commits_per_s=${s.many.toFixed(1)} postgres_commits_per_s=${p.many.toFixed(1)} fixture_commits_per_s=${f.many.toFixed(1)} ratio=${(s.many / f.many).toFixed(2)}`);
  } finally {
    for (const p of procs) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
