import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdates } from '../../../src/spec/updates.js';
import { CatalogError, toErrorModel } from '../../../catalog/errors.js';
import { assertComplete, emptyMetadata, nextMetadataLocation, refsOnly } from '../../../catalog/metadata.js';
import { FloeError } from '../../../src/errors.js';

const schema = { schemaId: 0, fields: [{ id: 1, name: 'x', required: false, type: { type: 'long' as const } }] };

test('a create through updates gets v2, a uuid, and the default spec and order when not given', () => {
  const { base, updates } = emptyMetadata([{ action: 'add-schema', schema }, { action: 'set-current-schema', schemaId: -1 }], 'file:///w/ns/t');
  const m = applyUpdates(base, updates);
  assertComplete(m);
  assert.equal(m.formatVersion, 2);
  assert.match(m.tableUuid, /^[0-9a-f-]{36}$/);
  assert.equal(m.location, 'file:///w/ns/t');
  assert.deepEqual(m.partitionSpecs, [{ specId: 0, fields: [] }]);
  assert.equal(m.defaultSortOrderId, 0);
});

test('a create through updates keeps the version it asks for, and needs a schema', () => {
  const { base, updates } = emptyMetadata([{ action: 'upgrade-format-version', formatVersion: 1 }, { action: 'add-schema', schema }, { action: 'set-current-schema', schemaId: -1 }], 'file:///w/t');
  assert.equal(applyUpdates(base, updates).formatVersion, 1);
  const none = emptyMetadata([], 'file:///w/t');
  assert.throws(() => assertComplete(applyUpdates(none.base, none.updates)), (e: unknown) => e instanceof CatalogError && e.status === 400);
});

test('metadata file names count versions up from the previous file', () => {
  const { base, updates } = emptyMetadata([{ action: 'add-schema', schema }, { action: 'set-current-schema', schemaId: -1 }], 's3://b/w/t');
  const m = applyUpdates(base, updates);
  const first = nextMetadataLocation(m, undefined);
  assert.match(first, /^s3:\/\/b\/w\/t\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
  assert.match(nextMetadataLocation(m, first), /\/00001-/);
  assert.match(nextMetadataLocation(m, 's3://b/w/t/metadata/00099-abc.metadata.json'), /\/00100-/);
  const moved = applyUpdates(m, [{ action: 'set-properties', updates: { 'write.metadata.path': 's3://b/meta/' } }]);
  assert.match(nextMetadataLocation(moved, first), /^s3:\/\/b\/meta\/00001-/);
});

test('snapshots=refs keeps the snapshots that refs point at', () => {
  const { base, updates } = emptyMetadata([{ action: 'add-schema', schema }, { action: 'set-current-schema', schemaId: -1 }], 'file:///w/t');
  let m = applyUpdates(base, updates);
  for (let i = 1n; i <= 3n; i++) {
    m = applyUpdates(m, [
      { action: 'add-snapshot', snapshot: { snapshotId: i, ...(i > 1n ? { parentSnapshotId: i - 1n } : {}), sequenceNumber: Number(i), timestampMs: Number(i), manifestList: `l${i}`, summary: { operation: 'append' } } },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: i, type: 'branch' },
    ]);
  }
  m = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'first', snapshotId: 1n, type: 'tag' }]);
  assert.deepEqual(refsOnly(m).snapshots.map((s) => s.snapshotId), [1n, 3n]);
});

test('errors: spec failures map to the REST types, anything else is a 500 without details', () => {
  assert.deepEqual(toErrorModel(new FloeError('REQUIREMENT_FAILED', 'Requirement failed: x')).error, { message: 'Requirement failed: x', type: 'CommitFailedException', code: 409 });
  assert.equal(toErrorModel(new FloeError('UPDATE_INVALID', 'bad')).error.code, 400);
  assert.equal(toErrorModel(new FloeError('STORAGE_ERROR', 'disk')).error.code, 503);
  const internal = toErrorModel(new Error('secret detail at /some/path'));
  assert.deepEqual(internal.error, { message: 'internal error (see the catalog log)', type: 'InternalServerError', code: 500 });
});
