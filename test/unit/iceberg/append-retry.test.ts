/**
 * TableOps.append reports every failed commit request as it happens (onAttemptFailed), so that a
 * commit the catalog keeps failing is visible while it is still being retried; 409s go to
 * onConflict only. Embedded catalog in-process, `file://` warehouse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError, isFloeError } from '../../../src/errors.js';
import { RestCatalog, TableOps, TableWriter, type TableIdent } from '../../../src/iceberg/index.js';
import { branchHead } from '../../../src/spec/metadata.js';
import type { TableRequirement } from '../../../src/spec/requirements.js';
import type { TableUpdate } from '../../../src/spec/updates.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };

/** A catalog client whose next commit requests fail as `plan` says (then it passes them on). */
class Flaky extends RestCatalog {
  constructor(
    uri: string,
    private readonly plan: Array<'unknown' | 'refused' | 'conflict'>,
    private readonly ops: TableOps,
  ) {
    super({ uri });
  }

  override async commitTable(t: TableIdent, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]) {
    const next = this.plan.shift();
    if (next === 'unknown') throw new FloeError('COMMIT_STATE_UNKNOWN', 'test: 503 from the catalog', { retryable: true });
    if (next === 'refused') throw new FloeError('CATALOG_ERROR', 'test: 400 from the catalog');
    if (next === 'conflict') await this.ops.commitProperties(t, { properties: { 'floe.test': 'race' } });
    return super.commitTable(t, requirements, updates);
  }
}

test('append: each failed commit request is reported when it fails, conflicts apart; a refusal is reported, then thrown', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const ident: TableIdent = { namespace: ['db'], name: 't' };
    await c.ops.create(ident, { schema: SCHEMA });
    const files = async () => {
      const w = new TableWriter((await c.ops.load(ident)).metadata, c.io);
      await w.write({ id: 1n });
      return w.close();
    };

    const failed: Array<[string, number]> = [];
    let conflicts = 0;
    const ops = new TableOps(new Flaky(c.url, ['unknown', 'conflict', 'unknown'], c.ops), c.io);
    const res = await ops.append(ident, { files: await files(), backoffMs: 1, onAttemptFailed: (e, a) => failed.push([e.code, a]), onConflict: () => conflicts++ });
    assert.deepEqual(failed, [['COMMIT_STATE_UNKNOWN', 1], ['COMMIT_STATE_UNKNOWN', 3]]);
    assert.equal(conflicts, 1);
    assert.equal(res.attempts, 4);
    assert.equal(branchHead((await c.ops.load(ident)).metadata)?.snapshotId, res.snapshotId, 'the fourth attempt landed');

    failed.length = 0;
    const refusing = new TableOps(new Flaky(c.url, ['unknown', 'refused'], c.ops), c.io);
    const err = await refusing.append(ident, { files: await files(), backoffMs: 1, onAttemptFailed: (e, a) => failed.push([e.code, a]) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isFloeError(err, 'CATALOG_ERROR'), `thrown: ${String(err)}`);
    assert.deepEqual(failed, [['COMMIT_STATE_UNKNOWN', 1], ['CATALOG_ERROR', 2]]);
  } finally {
    await c.close();
  }
});
