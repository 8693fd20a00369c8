/**
 * The attempts of appends to one table through one TableOps take turns, in call order (a
 * compaction in the service must not race the sink of the same process); appends to other tables
 * do not wait, and an append pausing between retries does not hold the table. Embedded catalog
 * in-process, `file://` warehouse; the catalog client holds each commit request for a moment so
 * that overlapping attempts would show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RestCatalog, TableOps, TableWriter, type TableIdent } from '../../../src/iceberg/index.js';
import type { TableRequirement } from '../../../src/spec/requirements.js';
import type { TableUpdate } from '../../../src/spec/updates.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };

/** Logs `<table>:<commit id> start|end` around each commit request, holding each for 100 ms. */
class Slow extends RestCatalog {
  readonly events: string[] = [];
  override async commitTable(t: TableIdent, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]) {
    const add = updates.find((u) => u.action === 'add-snapshot');
    const id = add?.action === 'add-snapshot' ? add.snapshot.summary['floe.commit-id'] : '?';
    this.events.push(`${t.name}:${id} start`);
    await sleep(100);
    try {
      return await super.commitTable(t, requirements, updates);
    } finally {
      this.events.push(`${t.name}:${id} end`);
    }
  }
}

test('appends to one table queue in call order; another table does not wait; every one lands with no conflict', async () => {
  const c = await startTestCatalog();
  try {
    const slow = new Slow({ uri: c.url });
    const ops = new TableOps(slow, c.io);
    await c.client.createNamespace(['db']);
    const t1: TableIdent = { namespace: ['db'], name: 't1' };
    const t2: TableIdent = { namespace: ['db'], name: 't2' };
    await ops.create(t1, { schema: SCHEMA });
    await ops.create(t2, { schema: SCHEMA });
    const files = async (ident: TableIdent, id: bigint) => {
      const w = new TableWriter((await ops.load(ident)).metadata, c.io);
      await w.write({ id });
      return w.close();
    };
    const [a, b, x] = [await files(t1, 1n), await files(t1, 2n), await files(t2, 3n)];
    let conflicts = 0;
    const onConflict = () => void conflicts++;
    const results = await Promise.all([
      ops.append(t1, { files: a, properties: { 'floe.commit-id': 'a' }, onConflict }),
      ops.append(t1, { files: b, properties: { 'floe.commit-id': 'b' }, onConflict }),
      ops.append(t2, { files: x, properties: { 'floe.commit-id': 'x' }, onConflict }),
    ]);
    assert.deepEqual(
      slow.events.filter((e) => e.startsWith('t1:')),
      ['t1:a start', 't1:a end', 't1:b start', 't1:b end'],
      'the second append to t1 sends its commit only after the first one ended',
    );
    assert.ok(slow.events.indexOf('t2:x start') < slow.events.indexOf('t1:a end'), `t2 did not wait for t1: ${slow.events.join(', ')}`);
    assert.equal(conflicts, 0, 'the second append loaded the table after the first committed');
    assert.deepEqual(results.map((r) => r.attempts), [1, 1, 1]);
    const head = (await ops.load(t1)).metadata;
    assert.deepEqual(head.snapshots.map((s) => s.summary['floe.commit-id']), ['a', 'b']);
    // A failed append releases the table for the next one.
    await assert.rejects(ops.append(t1, { files: a, properties: { 'floe.commit-id': 'dup' }, maxAttempts: 1, loaded: { ...(await ops.load(t1)), metadata: { ...head, tableUuid: 'another' } } }));
    const after = await ops.append(t1, { files: b, properties: { 'floe.commit-id': 'c' } });
    assert.equal(after.attempts, 1);
  } finally {
    await c.close();
  }
});

test("an append's pause between retries does not hold the table; its next attempt reloads in its turn", async () => {
  const c = await startTestCatalog();
  try {
    const slow = new Slow({ uri: c.url });
    const ops = new TableOps(slow, c.io);
    const other = new TableOps(new RestCatalog({ uri: c.url }), c.io); // another process's sink
    await c.client.createNamespace(['db']);
    const t1: TableIdent = { namespace: ['db'], name: 't1' };
    await ops.create(t1, { schema: SCHEMA });
    const w = new TableWriter((await ops.load(t1)).metadata, c.io);
    await w.write({ id: 1n });
    const files = await w.close();
    const stale = await ops.load(t1);
    await other.commitProperties(t1, { properties: { 'floe.commit-id': 'remote' } }); // `a` will conflict once
    let conflicts = 0;
    const a = ops.append(t1, { files, loaded: stale, properties: { 'floe.commit-id': 'a' }, backoffMs: 600, onConflict: () => void conflicts++ });
    while (!slow.events.includes('t1:a end')) await sleep(5); // a's first attempt failed: it is pausing
    const b = await ops.append(t1, { files: [], properties: { 'floe.commit-id': 'b' } });
    const ra = await a;
    assert.equal(b.attempts, 1);
    assert.deepEqual([ra.attempts, conflicts], [2, 1]);
    assert.deepEqual(slow.events, ['t1:a start', 't1:a end', 't1:b start', 't1:b end', 't1:a start', 't1:a end'], 'b committed during a\'s pause; a\'s retry built on b');
    assert.deepEqual((await ops.load(t1)).metadata.snapshots.map((s) => s.summary['floe.commit-id']), ['remote', 'b', 'a']);
  } finally {
    await c.close();
  }
});
