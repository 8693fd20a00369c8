/**
 * Concurrency on the embedded catalog, SQLite and PostgreSQL: 8 committers × 50 appends to one
 * table, and 8 committers × 50 transactions over 3 of 8 tables each. Every commit either lands or is
 * answered 409 and retried after a reload; the final history holds exactly the successful
 * commits, linear, and a transaction is in all of its tables or in none.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isFloeError } from '../../src/errors.js';
import { RestCatalog, TableOps, newSnapshotId, parseIdent, type TableIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead, type TableMetadata } from '../../src/spec/metadata.js';
import { startTestCatalog, type StoreKind } from '../helpers/catalog.js';
import { skipUnless, uniqueName } from '../helpers/stack.js';

const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }] };
const WRITERS = 8;
const COMMITS = 50;

/** Main's history newest first, checked to be one chain with sequence numbers n..1. */
function linearHistory(m: TableMetadata): string[] {
  const chain = [...ancestors(m, branchHead(m))];
  assert.equal(chain.length, m.snapshots.length, 'every snapshot is on main');
  chain.forEach((s, i) => {
    assert.equal(s.sequenceNumber, chain.length - i, 'sequence numbers are contiguous');
    assert.equal(s.parentSnapshotId, chain[i + 1]?.snapshotId, 'each snapshot builds on the one before');
  });
  return chain.map((s) => s.summary['floe.commit-id'] ?? '');
}

async function conflictsCounted(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^floe_catalog_commit_conflicts_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`catalog concurrency (${kind} store)`, { skip: kind === 'postgres' ? skipUnless('postgres') : false }, () => {
    test(`${WRITERS} committers × ${COMMITS} appends to one table`, { timeout: 300_000 }, async () => {
      const c = await startTestCatalog({ store: kind });
      try {
        const ns = uniqueName('conc');
        await c.client.createNamespace([ns]);
        const t = parseIdent(`${ns}.t`);
        await c.client.createTable(t, { schema: SCHEMA });
        const before = await conflictsCounted(c.url);
        const told: string[] = [];
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            const ops = new TableOps(new RestCatalog({ uri: c.url }), c.io);
            for (let i = 0; i < COMMITS; i++) {
              const id = `w${w}-${i}-${randomUUID()}`;
              const r = await ops.append(t, { files: [], properties: { 'floe.commit-id': id }, maxAttempts: 10_000, backoffMs: 2 });
              assert.equal(r.recovered, false);
              conflicts += r.conflicts;
              told.push(id);
            }
          }),
        );
        const history = linearHistory((await c.client.loadTable(t)).metadata);
        assert.equal(history.length, WRITERS * COMMITS);
        assert.deepEqual([...history].sort(), [...told].sort(), 'history holds exactly the successful commits');
        assert.ok(conflicts > 0, 'the committers did race');
        assert.equal((await conflictsCounted(c.url)) - before, conflicts, 'every 409 the clients saw was counted once');
      } finally {
        await c.close();
      }
    });

    test(`${WRITERS} committers × ${COMMITS} transactions over 3 of ${WRITERS} tables each`, { timeout: 300_000 }, async () => {
      const c = await startTestCatalog({ store: kind });
      try {
        const ns = uniqueName('conctx');
        await c.client.createNamespace([ns]);
        const tables: TableIdent[] = [];
        for (let i = 0; i < WRITERS; i++) {
          tables.push(parseIdent(`${ns}.t${i}`));
          await c.client.createTable(tables[i] as TableIdent, { schema: SCHEMA });
        }
        const told = new Map<string, string[]>(tables.map((t) => [t.name, []]));
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: WRITERS }, async (_, w) => {
            const client = new RestCatalog({ uri: c.url });
            for (let i = 0; i < COMMITS; i++) {
              const id = `w${w}-${i}-${randomUUID()}`;
              // Three tables per transaction, overlapping other writers' sets, listed in no common order.
              const order = [w + i, w + i + 5, w + i + 3].map((k) => tables[k % tables.length] as TableIdent);
              for (;;) {
                const loaded = await Promise.all(order.map((t) => client.loadTable(t)));
                const changes = order.map((table, k) => {
                  const meta = (loaded[k] as { metadata: TableMetadata }).metadata;
                  const parent = branchHead(meta);
                  const snapshotId = newSnapshotId();
                  return {
                    table,
                    requirements: [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', snapshotId: parent?.snapshotId ?? null }],
                    updates: [
                      {
                        action: 'add-snapshot' as const,
                        snapshot: {
                          snapshotId,
                          ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
                          sequenceNumber: meta.lastSequenceNumber + 1,
                          timestampMs: Date.now(),
                          // Nothing reads these snapshots' files: this test is about the catalog's pointers.
                          manifestList: `${meta.location}/metadata/snap-${snapshotId}.avro`,
                          summary: { operation: 'append', 'floe.commit-id': id },
                        },
                      },
                      { action: 'set-snapshot-ref' as const, refName: 'main', snapshotId, type: 'branch' as const },
                    ],
                  };
                });
                try {
                  await client.commitTransaction(changes);
                  for (const t of order) told.get(t.name)?.push(id);
                  break;
                } catch (err) {
                  if (!isFloeError(err, 'COMMIT_CONFLICT')) throw err;
                  conflicts++;
                  await new Promise((r) => setTimeout(r, Math.random() * 4));
                }
              }
            }
          }),
        );
        assert.ok(conflicts > 0, 'the transactions did race');
        for (const t of tables) {
          const history = linearHistory((await c.client.loadTable(t)).metadata);
          assert.deepEqual([...history].sort(), [...(told.get(t.name) ?? [])].sort(), `${t.name} holds exactly the successful transactions that included it`);
        }
        assert.equal([...told.values()].reduce((n, ids) => n + ids.length, 0), WRITERS * COMMITS * 3);
      } finally {
        await c.close();
      }
    });
  });
}
