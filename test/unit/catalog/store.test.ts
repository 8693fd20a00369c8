/**
 * The SQLite store's compare-and-swap against a model: random sequences of swaps (some stale,
 * some creating, some over several tables) leave exactly the pointers the model predicts, and
 * a refused swap changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SqliteStore } from '../../../catalog/store/index.js';

async function memoryStore(): Promise<SqliteStore> {
  const s = new SqliteStore(':memory:');
  await s.migrate();
  return s;
}

test('namespaces: create once, properties, pages, drop only when empty', async () => {
  const s = await memoryStore();
  assert.equal(await s.createNamespace(['a'], { k: 'v' }), true);
  assert.equal(await s.createNamespace(['a'], {}), false);
  for (const n of ['b', 'c', 'd']) await s.createNamespace(['a', n], {});
  assert.deepEqual(await s.getNamespace(['a']), { k: 'v' });
  assert.deepEqual(await s.updateNamespace(['a'], { x: '1' }, ['k']), { x: '1' });
  assert.equal(await s.updateNamespace(['zz'], {}, []), undefined);
  const p1 = await s.listNamespaces(['a'], undefined, 2);
  assert.deepEqual(p1.items, [['a', 'b'], ['a', 'c']]);
  const p2 = await s.listNamespaces(['a'], p1.next, 2);
  assert.deepEqual(p2, { items: [['a', 'd']], next: undefined });
  assert.equal(await s.dropNamespace(['a']), 'not-empty');
  assert.equal(await s.dropNamespace(['a', 'b']), 'dropped');
  assert.equal(await s.dropNamespace(['a', 'b']), 'missing');
  await s.swap([{ namespace: ['a', 'c'], name: 't', expected: null, next: 'm0' }]);
  assert.equal(await s.dropNamespace(['a', 'c']), 'not-empty');
  await s.close();
});

test('rename: missing table, missing namespace, taken name, success', async () => {
  const s = await memoryStore();
  await s.createNamespace(['n'], {});
  await s.swap([{ namespace: ['n'], name: 'a', expected: null, next: 'ma' }, { namespace: ['n'], name: 'b', expected: null, next: 'mb' }]);
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'x' }, { namespace: ['n'], name: 'y' }), 'missing-table');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'a' }, { namespace: ['m'], name: 'y' }), 'missing-namespace');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'a' }, { namespace: ['n'], name: 'b' }), 'exists');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'a' }, { namespace: ['n'], name: 'c' }), 'renamed');
  assert.equal(await s.getTable(['n'], 'c'), 'ma');
  assert.equal(await s.getTable(['n'], 'a'), undefined);
  assert.equal(await s.dropTable(['n'], 'c'), 'ma');
  assert.equal(await s.dropTable(['n'], 'c'), undefined);
  await s.close();
});

test('swap: all or none, with the outcome of the first refused change (property)', async () => {
  const names = ['t0', 't1', 't2', 't3'];
  const change = fc.record({ table: fc.constantFrom(...names), stale: fc.boolean(), next: fc.string({ minLength: 1, maxLength: 4 }) });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uniqueArray(change, { selector: (c) => c.table, minLength: 1, maxLength: 3 }), { maxLength: 25 }), async (batches) => {
      const s = await memoryStore();
      await s.createNamespace(['ns'], {});
      const model = new Map<string, string>();
      let version = 0;
      for (const batch of batches) {
        const swaps = batch.map((c) => {
          const current = model.get(c.table) ?? null;
          // A stale change expects what is not there: another location, or "absent" for an existing table.
          const expected = c.stale ? (current === null ? 'never-written' : null) : current;
          return { namespace: ['ns'], name: c.table, expected, next: `${c.next}-${version++}` };
        });
        const out = await s.swap(swaps);
        const firstBad = batch.findIndex((c) => c.stale);
        if (firstBad === -1) {
          assert.deepEqual(out, { ok: true });
          for (const sw of swaps) model.set(sw.name, sw.next);
        } else {
          assert.equal(out.ok, false);
          assert.equal(!out.ok && out.index, firstBad);
          const expectedReason = model.has(swaps[firstBad]?.name as string) ? (swaps[firstBad]?.expected === null ? 'exists' : 'conflict') : 'missing-table';
          assert.equal(!out.ok && out.reason, expectedReason);
        }
        for (const n of names) assert.equal(await s.getTable(['ns'], n), model.get(n));
      }
      await s.close();
    }),
    { numRuns: 60 },
  );
});

test('swap into a missing namespace is refused', async () => {
  const s = await memoryStore();
  assert.deepEqual(await s.swap([{ namespace: ['nope'], name: 't', expected: null, next: 'm' }]), { ok: false, index: 0, reason: 'missing-namespace' });
  await s.close();
});
