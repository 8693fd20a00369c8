/**
 * Orphan file removal as the service runs it: only under the table's data and metadata
 * directories, and on the Maintainer's schedule (the first run within 10 minutes of start).
 * Embedded catalog in-process with a `file://` warehouse, so that a stray file's age can be set.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../src/config/index.js';
import { TableWriter, type TableIdent } from '../../../src/iceberg/index.js';
import { Maintainer, removeOrphanFiles } from '../../../src/maintenance/index.js';
import { Metrics, silentLogger } from '../../../src/observability/index.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog, type TestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };

/** A table with one committed file, and three files no snapshot reaches, two hours old. */
async function tableWithStrays(c: TestCatalog, name: string) {
  const ident: TableIdent = { namespace: ['db'], name };
  const loaded = await c.ops.create(ident, { schema: SCHEMA });
  const w = new TableWriter(loaded.metadata, c.io);
  await w.write({ id: 1n });
  await c.ops.append(ident, { files: await w.close(), loaded });
  const loc = loaded.metadata.location.replace(/\/+$/, '');
  const strays = { data: `${loc}/data/stray.parquet`, metadata: `${loc}/metadata/stray-m0.avro`, other: `${loc}/backfill/mine.parquet` };
  const old = new Date(Date.now() - 2 * 3_600_000);
  for (const f of Object.values(strays)) {
    await c.io.write(f, new Uint8Array([80, 65, 82, 49]));
    await utimes(fileURLToPath(f), old, old);
  }
  return { ident, strays };
}

test('writerDirsOnly: orphans are looked for under data/ and metadata/ only; the whole location otherwise', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const { ident, strays } = await tableWithStrays(c, 'dirs');
    const whole = await removeOrphanFiles(c.ops, ident, { olderThanMs: 3_600_000, dryRun: true });
    assert.deepEqual(whole.orphans.sort(), [strays.other, strays.data, strays.metadata].sort());
    const dirs = await removeOrphanFiles(c.ops, ident, { olderThanMs: 3_600_000, writerDirsOnly: true });
    assert.deepEqual(dirs.orphans.sort(), [strays.data, strays.metadata].sort());
    assert.equal(dirs.deleted, 2);
    const again = await removeOrphanFiles(c.ops, ident, { olderThanMs: 3_600_000, dryRun: true });
    assert.deepEqual(again.orphans, [strays.other], 'the file outside the writer directories is still there');
  } finally {
    await c.close();
  }
});

test('the Maintainer removes orphan files on the leader soon after start, counts them, and not on another instance', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const { strays } = await tableWithStrays(c, 'svc');
    const config = parseConfig(`kafka: { brokers: ["127.0.0.1:9092"], groupId: g }\nmappings:\n  - topics: [t]\n    table: db.svc\n    format: json\n    schema: [{ name: id, type: long }]\n    expire: false\n    orphans: { every: 1d, olderThan: 1h }\n`, 'floe.yaml', {});
    const run = async (leads: boolean) => {
      const metrics = new Metrics();
      const m = new Maintainer({ ops: c.ops, mappings: config.mappings, log: silentLogger(), metrics, leads: () => leads });
      mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
      try {
        m.start();
        mock.timers.tick(9 * 60_000); // not yet: the first run comes 9 to 11 minutes after start
        assert.ok(await c.io.exists(strays.data));
        mock.timers.tick(2 * 60_000);
      } finally {
        mock.timers.reset();
      }
      await m.stop(); // waits for the run under way
      return (await metrics.registry.getSingleMetric('floe_orphan_files_deleted_total')?.get())?.values.find((v) => v.labels.table === 'db.svc')?.value ?? 0;
    };
    assert.equal(await run(false), 0, 'an instance that does not lead removes nothing');
    assert.ok(await c.io.exists(strays.data));
    assert.equal(await run(true), 2);
    assert.deepEqual([await c.io.exists(strays.data), await c.io.exists(strays.metadata), await c.io.exists(strays.other)], [false, false, true]);
  } finally {
    await c.close();
  }
});
