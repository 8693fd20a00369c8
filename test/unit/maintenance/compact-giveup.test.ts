/**
 * A compaction whose commit gives up (it loses every race to a sink committing on the same table)
 * deletes the files it wrote when no attempt can still land, and keeps them while one of unknown
 * outcome might. Embedded catalog in-process, `file://` warehouse; the racing sink is a second
 * TableOps committing an offsets-only snapshot just before each of compaction's commit requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError, isFloeError } from '../../../src/errors.js';
import { RestCatalog, TableOps, TableWriter, type TableIdent } from '../../../src/iceberg/index.js';
import type { TableRequirement } from '../../../src/spec/requirements.js';
import type { TableUpdate } from '../../../src/spec/updates.js';
import { compactTable } from '../../../src/maintenance/index.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog, type TestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };

/** A catalog client whose rewrite commits always lose (`race`) or never get an answer (`silent`). */
class Contended extends RestCatalog {
  requests = 0;
  constructor(
    uri: string,
    private readonly sink: TableOps,
    private readonly mode: 'race' | 'silent',
  ) {
    super({ uri });
  }

  override async commitTable(t: TableIdent, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]) {
    const rewrite = updates.some((u) => u.action === 'add-snapshot' && u.snapshot.summary.operation === 'replace');
    if (rewrite) {
      this.requests++;
      if (this.mode === 'silent') throw new FloeError('COMMIT_STATE_UNKNOWN', 'test: the catalog did not answer', { retryable: true });
      await this.sink.commitProperties(t, { properties: { 'floe.offsets.test': String(this.requests) } });
    }
    return super.commitTable(t, requirements, updates);
  }
}

async function dataFiles(c: TestCatalog, location: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of c.io.listFiles(`${location}/data`)) out.push(f.location);
  return out.sort();
}

for (const mode of ['race', 'silent'] as const) {
  test(`a compaction that gives up (${mode === 'race' ? 'every attempt loses a race: nothing can land' : 'no attempt answered: the last may yet land'}) ${mode === 'race' ? 'deletes' : 'keeps'} its new files`, async () => {
    const c = await startTestCatalog();
    try {
      await c.client.createNamespace(['db']);
      const ident: TableIdent = { namespace: ['db'], name: `t_${mode}` };
      let loaded = await c.ops.create(ident, { schema: SCHEMA });
      for (let i = 0; i < 3; i++) {
        const w = new TableWriter(loaded.metadata, c.io);
        for (let j = 0; j < 5; j++) await w.write({ id: BigInt(i * 5 + j) });
        const res = await c.ops.append(ident, { files: await w.close(), loaded });
        loaded = { ...loaded, metadata: res.metadata, metadataLocation: res.metadataLocation };
      }
      const before = await dataFiles(c, loaded.metadata.location);
      assert.equal(before.length, 3);
      const catalog = new Contended(c.url, c.ops, mode);
      const err = await compactTable(new TableOps(catalog, c.io), ident, { minFiles: 2, commit: { maxAttempts: 3, backoffMs: 1 } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isFloeError(err) && /gave up after 3 attempts/.test(err.message), `gave up: ${String(err)}`);
      assert.equal(catalog.requests, 3);
      assert.equal(err.details?.mayLand, mode === 'silent');
      const after = await dataFiles(c, loaded.metadata.location);
      if (mode === 'race') assert.deepEqual(after, before, 'the compacted file is deleted; the inputs stay');
      else {
        assert.equal(after.length, 4, 'the compacted file stays while its commit may land');
        assert.deepEqual(after.filter((f) => before.includes(f)), before);
      }
    } finally {
      await c.close();
    }
  });
}
