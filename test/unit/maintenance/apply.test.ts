/**
 * `floe apply`'s table changes: a new default partition spec (or an older equal one again) and
 * the config's properties, in one commit, through the embedded catalog in-process; a dry run
 * changes nothing; mappings that disagree on a table are refused with both keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTableShape, wantedShape } from '../../../src/maintenance/index.js';
import type { TableIdent } from '../../../src/iceberg/index.js';
import { parseTransform } from '../../../src/spec/transforms.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'ts', required: false, type: { type: 'timestamptz' } },
  ],
};
const day = { column: 'ts', transform: parseTransform('day') };
const bucket = { column: 'id', transform: parseTransform('bucket[4]') };

test('applyTableShape: repartitions and sets properties in one commit, a dry run changes nothing, again it is a no-op, and back reuses the old spec', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const ident: TableIdent = { namespace: ['db'], name: 't' };
    const created = await c.ops.create(ident, { schema: SCHEMA, spec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: parseTransform('day') }] }, properties: { keep: 'me', 'commit.retry.num-retries': '4' } });
    const want = { partitioning: [day, bucket], properties: { 'commit.retry.num-retries': '10', 'write.target-file-size-bytes': '1048576' } };

    const dry = await applyTableShape(c.ops, ident, want, { dryRun: true });
    assert.deepEqual(dry, {
      partitioning: { from: ['day(ts)'], to: ['day(ts)', 'bucket(4, id)'], specId: 1, existing: false },
      properties: ['commit.retry.num-retries=10 (was 4)', 'write.target-file-size-bytes=1048576 (was unset)'],
      committed: false,
    });
    assert.equal((await c.ops.load(ident)).metadataLocation, created.metadataLocation, 'a dry run commits nothing');

    const done = await applyTableShape(c.ops, ident, want);
    assert.deepEqual({ ...done, committed: true }, { ...dry, committed: true });
    assert.equal(done.committed, true);
    const meta = (await c.ops.load(ident)).metadata;
    assert.deepEqual([meta.defaultSpecId, meta.lastPartitionId, meta.partitionSpecs.length], [1, 1001, 2]);
    assert.deepEqual(meta.partitionSpecs[1]?.fields.map((f) => [f.fieldId, f.name]), [[1000, 'ts_day'], [1001, 'id_bucket_4']]);
    assert.deepEqual([meta.properties.keep, meta.properties['commit.retry.num-retries'], meta.properties['write.target-file-size-bytes']], ['me', '10', '1048576'], 'keys the config does not name are kept');

    assert.deepEqual(await applyTableShape(c.ops, ident, want), { properties: [], committed: false }, 'nothing left to change');
    const back = await applyTableShape(c.ops, ident, { partitioning: [day], properties: {} });
    assert.deepEqual(back.partitioning, { from: ['day(ts)', 'bucket(4, id)'], to: ['day(ts)'], specId: 0, existing: true });
    const after = (await c.ops.load(ident)).metadata;
    assert.deepEqual([after.defaultSpecId, after.partitionSpecs.length], [0, 2], 'spec 0 is the default again; no spec added');
  } finally {
    await c.close();
  }
});

test('wantedShape: the mappings writing a table must agree on partitionBy and on each property they set', () => {
  const a = { key: 'mappings[0]', partitioning: [day], properties: { x: '1' } };
  assert.deepEqual(wantedShape('db.t', [a, { key: 'mappings[2]', partitioning: [day], properties: { y: '2' } }]), { partitioning: [day], properties: { x: '1', y: '2' } });
  assert.throws(() => wantedShape('db.t', [a, { key: 'mappings[1]', partitioning: [bucket], properties: {} }]), /^FloeError: mappings\[1\]\.partitionBy differs from mappings\[0\]\.partitionBy, and both write db\.t: make them the same$/);
  assert.throws(() => wantedShape('db.t', [a, { key: 'mappings[1]', partitioning: [day], properties: { x: '3' } }]), /mappings\[1\]\.tableProperties\.x is '3' but mappings\[0\] sets '1', and both write db\.t/);
});
