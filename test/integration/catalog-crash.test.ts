/**
 * kill -9 of `floe catalog serve` during a stream of commits, then a restart on the same store
 * and warehouse: every table loads, each at the snapshot its client was last told succeeded,
 * or at the one after it (the commit in flight when the process died). The same with streams of
 * transactions over pairs of tables: both tables of a pair are at the same snapshot (a
 * transaction is in all its tables or in none). SQLite and PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSnapshotId, RestCatalog } from '../../src/iceberg/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { stringifyJson } from '../../src/spec/json.js';
import { spawnCatalog, type StoreKind } from '../helpers/catalog.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const TABLES = 4;
const ROUNDS = 3;
const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }] };

interface Stream {
  told: bigint | null;
  inFlight: bigint | null;
  seq: number;
}

/** Commits to one table until a request fails (the process died); tracks what it was told. */
async function stream(url: string, ns: string, table: string, s: Stream): Promise<void> {
  for (;;) {
    const id = newSnapshotId();
    const parent = s.told;
    s.inFlight = id;
    let res: Response;
    try {
      res = await fetch(`${url}/v1/namespaces/${ns}/tables/${table}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stringifyJson({
          requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
          updates: [
            { action: 'add-snapshot', snapshot: { 'snapshot-id': id, ...(parent === null ? {} : { 'parent-snapshot-id': parent }), 'sequence-number': s.seq + 1, 'timestamp-ms': Date.now(), 'manifest-list': `file:///nowhere/snap-${id}.avro`, summary: { operation: 'append' } } },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
          ],
        }),
      });
      await res.text();
    } catch {
      return; // the connection died with the process: this commit's fate is unknown
    }
    assert.equal(res.status, 200, 'a single writer per table never conflicts');
    s.told = id;
    s.inFlight = null;
    s.seq++;
  }
}

/** A change adding snapshot `id` on top of `parent` (the client's view of the table's main). */
function change(parent: bigint | null, id: bigint, seq: number) {
  return {
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
    updates: [
      { action: 'add-snapshot', snapshot: { 'snapshot-id': id, ...(parent === null ? {} : { 'parent-snapshot-id': parent }), 'sequence-number': seq + 1, 'timestamp-ms': Date.now(), 'manifest-list': `file:///nowhere/snap-${id}.avro`, summary: { operation: 'append' } } },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
    ],
  };
}

/** Commits the same new snapshot id to both tables of a pair in one transactions/commit, until the process dies. */
async function pairStream(url: string, ns: string, pair: [string, string], s: Stream): Promise<void> {
  for (;;) {
    const id = newSnapshotId();
    s.inFlight = id;
    let res: Response;
    try {
      res = await fetch(`${url}/v1/transactions/commit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stringifyJson({ 'table-changes': pair.map((name) => ({ identifier: { namespace: [ns], name }, ...change(s.told, id, s.seq) })) }),
      });
      await res.text();
    } catch {
      return;
    }
    assert.equal(res.status, 204, 'a single writer per pair never conflicts');
    s.told = id;
    s.inFlight = null;
    s.seq++;
  }
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`catalog crash (${kind} store)`, { skip: kind === 'postgres' ? skipUnless('postgres') : false }, () => {
    test(`kill -9 during commits, ${ROUNDS} rounds: every table is at a told snapshot or the one after`, { timeout: 300_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'floe-catalog-crash-'));
      const args = ['--store', kind === 'postgres' ? stack.postgresUrl : `sqlite:${join(dir, 'catalog.db')}`, '--warehouse', join(dir, 'warehouse')];
      const ns = uniqueName('crash');
      const streams: Stream[] = Array.from({ length: TABLES }, () => ({ told: null, inFlight: null, seq: 0 }));
      try {
        let proc = await spawnCatalog(args);
        const setup = new RestCatalog({ uri: proc.url });
        await setup.createNamespace([ns]);
        for (let i = 0; i < TABLES; i++) await setup.createTable({ namespace: [ns], name: `t${i}` }, { schema: SCHEMA });
        for (let round = 1; round <= ROUNDS; round++) {
          const running = streams.map((s, i) => stream(proc.url, ns, `t${i}`, s));
          // Let every stream commit a few times, then kill at a moment no test controls.
          const target = streams.map((s) => s.seq + 5);
          while (streams.some((s, i) => s.seq < (target[i] as number))) await new Promise((r) => setTimeout(r, 5));
          await new Promise((r) => setTimeout(r, Math.random() * 50));
          await proc.stop('SIGKILL');
          await Promise.all(running);
          proc = await spawnCatalog(args);
          const client = new RestCatalog({ uri: proc.url });
          for (const [i, s] of streams.entries()) {
            const m = (await client.loadTable({ namespace: [ns], name: `t${i}` })).metadata;
            const head = branchHead(m);
            const allowed = [s.told, s.inFlight];
            assert.ok(allowed.includes(head?.snapshotId ?? null), `round ${round} t${i}: head ${head?.snapshotId} is neither the told ${s.told} nor the in-flight ${s.inFlight}`);
            if (head && head.snapshotId === s.inFlight) {
              assert.equal(head.parentSnapshotId ?? null, s.told, 'the in-flight commit landed on the told one');
              s.told = head.snapshotId;
              s.seq++;
            }
            s.inFlight = null;
            assert.equal([...ancestors(m, head)].length, s.seq, `round ${round} t${i}: history is linear and complete`);
          }
        }
        await proc.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`kill -9 during transactions over pairs of tables, ${ROUNDS} rounds: both tables of a pair at the same told or in-flight snapshot`, { timeout: 300_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'floe-catalog-crash-tx-'));
      const args = ['--store', kind === 'postgres' ? stack.postgresUrl : `sqlite:${join(dir, 'catalog.db')}`, '--warehouse', join(dir, 'warehouse')];
      const ns = uniqueName('crashtx');
      const pairs: Array<[string, string]> = Array.from({ length: TABLES / 2 }, (_, i) => [`a${i}`, `b${i}`]);
      const streams: Stream[] = pairs.map(() => ({ told: null, inFlight: null, seq: 0 }));
      let landedInFlight = 0;
      try {
        let proc = await spawnCatalog(args);
        const setup = new RestCatalog({ uri: proc.url });
        await setup.createNamespace([ns]);
        for (const [a, b] of pairs) for (const name of [a, b]) await setup.createTable({ namespace: [ns], name }, { schema: SCHEMA });
        for (let round = 1; round <= ROUNDS; round++) {
          const running = streams.map((s, i) => pairStream(proc.url, ns, pairs[i] as [string, string], s));
          const target = streams.map((s) => s.seq + 5);
          while (streams.some((s, i) => s.seq < (target[i] as number))) await new Promise((r) => setTimeout(r, 5));
          await new Promise((r) => setTimeout(r, Math.random() * 50));
          await proc.stop('SIGKILL');
          await Promise.all(running);
          proc = await spawnCatalog(args);
          const client = new RestCatalog({ uri: proc.url });
          for (const [i, s] of streams.entries()) {
            const heads = [];
            for (const name of pairs[i] as [string, string]) {
              const m = (await client.loadTable({ namespace: [ns], name })).metadata;
              heads.push(branchHead(m)?.snapshotId ?? null);
              assert.equal([...ancestors(m, branchHead(m))].length, s.seq + (branchHead(m)?.snapshotId === s.inFlight && s.inFlight !== null ? 1 : 0), `round ${round} ${name}: history is linear and complete`);
            }
            assert.equal(heads[0], heads[1], `round ${round} pair ${i}: a transaction is in both tables or in neither`);
            assert.ok([s.told, s.inFlight].includes(heads[0] ?? null), `round ${round} pair ${i}: head ${heads[0]} is neither the told ${s.told} nor the in-flight ${s.inFlight}`);
            if (heads[0] !== null && heads[0] === s.inFlight) {
              s.told = heads[0];
              s.seq++;
              landedInFlight++;
            }
            s.inFlight = null;
          }
        }
        await proc.stop();
        // Informational: how often the killed transaction had landed (its response lost).
        console.log(`crash tx (${kind}): ${landedInFlight} in-flight transactions had landed in ${ROUNDS} rounds × ${pairs.length} pairs`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
