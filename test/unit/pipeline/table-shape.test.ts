import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mappingPartitioning, propertyDifferences } from '../../../src/pipeline/mapping.js';

test("propertyDifferences names the mapping's tableProperties an existing table lacks or has otherwise", () => {
  const table = { 'commit.manifest.min-count-to-merge': '100', 'write.target-file-size-bytes': '134217728', owner: 'spark' };
  assert.deepEqual(propertyDifferences(table, { 'commit.manifest.min-count-to-merge': '100' }), []);
  assert.deepEqual(propertyDifferences(table, { 'commit.manifest.min-count-to-merge': '20', 'history.expire.min-snapshots-to-keep': '10', 'format-version': '2' }), [
    'commit.manifest.min-count-to-merge=20 (the table has 100)',
    'history.expire.min-snapshots-to-keep=10 (the table has none)',
  ]);
  assert.deepEqual(propertyDifferences(table, {}), [], "the table's other properties are its own");
});

test("mappingPartitioning is the mapping's partitionBy, or day(window_start) for a rollup that names none", () => {
  const byMerchant = [{ column: 'merchant', transform: { kind: 'identity' as const } }];
  assert.deepEqual(mappingPartitioning({ mode: 'append', partitionBy: [] }), []);
  assert.deepEqual(mappingPartitioning({ mode: 'rollup', partitionBy: [] }), [{ column: 'window_start', transform: { kind: 'day' } }]);
  assert.deepEqual(mappingPartitioning({ mode: 'rollup', partitionBy: byMerchant as never }), byMerchant);
});
