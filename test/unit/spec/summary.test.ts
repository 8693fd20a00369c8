import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SummaryCollector, snapshotSummary, updateTotals } from '../../../src/spec/summary.js';
import type { DataFile } from '../../../src/spec/data-file.js';
import { bareDataFile } from '../../helpers/metadata.js';

const file = (records: number, bytes: number, partition: DataFile['partition'] = [], content: DataFile['content'] = 0): DataFile =>
  bareDataFile(`s3://b/${records}-${bytes}.parquet`, { records, bytes, partition, content });

test('an append on a fresh table: counts, totals from zero, caller properties after', () => {
  const s = snapshotSummary({ operation: 'append', added: [file(10, 100, [1]), file(5, 50, [2]), file(1, 7, [1])], properties: { 'floe.commit-id': 'c1', 'added-records': '999' } });
  assert.deepEqual(s, {
    operation: 'append',
    'added-files-size': '157',
    'added-data-files': '3',
    'added-records': '16',
    'changed-partition-count': '2',
    'total-data-files': '3',
    'total-delete-files': '0',
    'total-records': '16',
    'total-files-size': '157',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
    'floe.commit-id': 'c1',
  });
});

test('totals carry from the parent; a missing parent total stays absent; deletes and removals count down', () => {
  const parent = { operation: 'append', 'total-data-files': '4', 'total-records': '40', 'total-files-size': '400', 'total-delete-files': '0', 'total-position-deletes': '0' };
  const s = snapshotSummary({ operation: 'overwrite', added: [file(3, 30), file(2, 20, [], 1), file(4, 10, [], 2)], removed: [file(10, 100)], parent });
  assert.equal(s['total-data-files'], '4');
  assert.equal(s['total-records'], '33');
  assert.equal(s['total-files-size'], '360');
  assert.equal(s['total-delete-files'], '2');
  assert.equal(s['total-position-deletes'], '2');
  assert.equal(s['total-equality-deletes'], undefined, 'the parent did not track it');
  assert.equal(s['deleted-data-files'], '1');
  assert.equal(s['deleted-records'], '10');
  assert.equal(s['removed-files-size'], '100');
  assert.equal(s['added-position-delete-files'], '1');
  assert.equal(s['added-equality-deletes'], '4');
  assert.equal(s['changed-partition-count'], '1');
  assert.equal(updateTotals({ 'deleted-records': '50' }, { 'total-records': '40' })['total-records'], undefined, 'a negative total is dropped');
  assert.throws(() => updateTotals({}, { 'total-records': 'many' }), /'total-records' is not a number/);
  assert.deepEqual(snapshotSummary({ operation: 'append', parent }), { operation: 'append', ...Object.fromEntries(Object.entries(parent).filter(([k]) => k !== 'operation')) }, 'an offsets-only commit keeps the totals');
});

test('per-partition summaries under the limit', () => {
  const c = new SummaryCollector({ partitionSummaryLimit: 5, partitionPath: (f) => `d=${String(f.partition[0])}` });
  c.addFile(file(2, 20, ['a'])).addFile(file(3, 30, ['b'])).addFile(file(1, 10, ['a']));
  const s = c.build();
  assert.equal(s['partition-summaries-included'], 'true');
  assert.equal(s['partitions.d=a'], 'added-files-size=30,added-data-files=2,added-records=3');
  assert.equal(new SummaryCollector({ partitionSummaryLimit: 1, partitionPath: () => 'x' }).addFile(file(1, 1, ['a'])).addFile(file(1, 1, ['b'])).build()['partition-summaries-included'], undefined);
});

test('chained appends: total-records equals the sum of added records (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.tuple(fc.nat(1000), fc.nat(10_000)), { maxLength: 4 }), { maxLength: 8 }), (commits) => {
      let parent: Record<string, string> | undefined;
      let records = 0;
      let bytes = 0;
      let files = 0;
      for (const c of commits) {
        parent = snapshotSummary({ operation: 'append', added: c.map(([r, b]) => file(r, b)), ...(parent ? { parent } : {}) });
        for (const [r, b] of c) {
          records += r;
          bytes += b;
          files++;
        }
        assert.equal(parent['total-records'], String(records));
        assert.equal(parent['total-files-size'], String(bytes));
        assert.equal(parent['total-data-files'], String(files));
      }
    }),
  );
});
