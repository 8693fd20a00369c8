/**
 * Offsets-only snapshots (an `append` that adds no file, DESIGN §2 rule 3) as Trino and Spark
 * see them: at the head of main, in the middle of the history, and by time travel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableWriter, parseIdent, type TableOps, type TableIdent } from '../../src/iceberg/index.js';
import type { Schema, Value } from '../../src/spec/types.js';
import { sparkQuery, trinoQuery, type QueryResult } from '../helpers/engines.js';
import { stackOps } from '../helpers/iceberg.js';
import { skipUnless, uniqueName } from '../helpers/stack.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'n', required: true, type: { type: 'long' } }] };

async function appendRows(ops: TableOps, ident: TableIdent, n: number) {
  const loaded = await ops.catalog.loadTable(ident);
  const w = new TableWriter(loaded.metadata, ops.io);
  for (let i = 0; i < n; i++) await w.write({ n: BigInt(i) } as { [k: string]: Value });
  return ops.append(ident, { files: await w.close(), loaded });
}

const count = (r: QueryResult) => Number(Object.values(r.rows[0] ?? {})[0]);

for (const engine of ['trino', 'spark'] as const) {
  test(`${engine} reads tables whose history has offsets-only snapshots`, { skip: skipUnless('rest', 's3', engine), timeout: 600_000 }, async () => {
    const ops = stackOps();
    const ns = uniqueName('oo');
    await ops.catalog.ensureNamespace([ns]);
    const ident = parseIdent(`${ns}.t`);
    await ops.create(ident, { schema: SCHEMA });
    await appendRows(ops, ident, 3);
    const marker = await ops.commitProperties(ident, { properties: { 'floe.offsets.g': '{"t":{"0":3}}' } });
    const table = engine === 'trino' ? `iceberg."${ns}".t` : `iceberg.${ns}.t`;
    const q = engine === 'trino' ? trinoQuery : sparkQuery;
    assert.equal(count(await q(`SELECT count(*) AS c FROM ${table}`)), 3, 'an offsets-only head');
    await appendRows(ops, ident, 2);
    // Spark's catalog caches loaded tables (cache-enabled): make it load the new head.
    if (engine === 'spark') await q(`REFRESH TABLE ${table}`);
    assert.equal(count(await q(`SELECT count(*) AS c FROM ${table}`)), 5, 'an offsets-only snapshot in the middle');
    assert.equal(count(await q(`SELECT count(*) AS c FROM ${table} FOR VERSION AS OF ${marker.snapshotId}`)), 3, 'time travel to it');
    const snaps = engine === 'trino' ? `iceberg."${ns}"."t$snapshots"` : `iceberg.${ns}.t.snapshots`;
    const ops3 = (await q(`SELECT operation FROM ${snaps} ORDER BY committed_at`)).rows.map((r) => r.operation);
    assert.deepEqual(ops3, ['append', 'append', 'append']);
  });
}
