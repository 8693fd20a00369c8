import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findCommit } from '../../../src/iceberg/table.js';
import { partitionFieldSummaries } from '../../../src/spec/manifest.js';
import { snapshotSummary, TOTALS } from '../../../src/spec/summary.js';
import type { DataFile } from '../../../src/spec/data-file.js';
import { bareDataFile } from '../../helpers/metadata.js';
import { metadataFromJson, type Snapshot } from '../../../src/spec/metadata.js';
import { serializeValue } from '../../../src/spec/values.js';

const file = (records: number, bytes: number, partition: DataFile['partition'] = []): DataFile =>
  bareDataFile(`s3://b/t/data/${records}-${bytes}.parquet`, { records, bytes, partition });

/** The summary the commit path writes for an append (src/iceberg/table.ts). */
const appendSummary = (files: readonly DataFile[], parent: Snapshot | undefined, properties: Record<string, string> = {}) =>
  snapshotSummary({ operation: 'append', added: files, parent: parent?.summary, properties });
const TOTAL_KEYS = TOTALS.map(([total]) => total);

const snap = (id: bigint, parent: bigint | undefined, summary: Record<string, string>): Snapshot => ({ snapshotId: id, ...(parent ? { parentSnapshotId: parent } : {}), sequenceNumber: Number(id), timestampMs: 1, manifestList: `m${id}`, summary });

test('an append\'s summary (as the commit path builds it): totals are carried from the parent across a chain of appends', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.tuple(fc.nat(1e6), fc.nat(1e9)), { maxLength: 4 }), { minLength: 1, maxLength: 10 }), (batches) => {
      let parent: Snapshot | undefined;
      let records = 0;
      let bytes = 0;
      let files = 0;
      batches.forEach((batch, i) => {
        const s = appendSummary(batch.map(([r, b]) => file(r, b)), parent, { 'floe.x': String(i) });
        records += batch.reduce((n, [r]) => n + r, 0);
        bytes += batch.reduce((n, [, b]) => n + b, 0);
        files += batch.length;
        assert.equal(s.operation, 'append');
        assert.equal(s['total-records'], String(records));
        assert.equal(s['total-files-size'], String(bytes));
        assert.equal(s['total-data-files'], String(files));
        assert.equal(s['total-delete-files'], '0');
        assert.equal(s['added-data-files'], batch.length ? String(batch.length) : undefined);
        assert.equal(s['floe.x'], String(i));
        parent = snap(BigInt(i + 1), parent?.snapshotId, s);
      });
    }),
  );
});

test('an offsets-only append adds nothing and keeps the totals; a parent without totals leaves them out', () => {
  const parent = snap(1n, undefined, { operation: 'append', 'total-records': '10', 'total-data-files': '2', 'total-files-size': '99', 'total-delete-files': '0', 'total-position-deletes': '0', 'total-equality-deletes': '0' });
  const s = appendSummary([], parent, { 'floe.offsets.g': '{}' });
  assert.equal(s['added-records'], undefined);
  assert.equal(s['changed-partition-count'], undefined, 'no partition changed (PyIceberg writes it only when positive)');
  for (const k of TOTAL_KEYS) assert.equal(s[k], parent.summary[k]);
  const foreign = appendSummary([file(5, 50)], snap(2n, undefined, { operation: 'overwrite' }));
  for (const k of TOTAL_KEYS) assert.equal(foreign[k], undefined, `${k} is not restarted from zero`);
});

test('partition summaries hold null/NaN presence and the bounds of the files', () => {
  const part = [
    { id: 1000, name: 'd', required: false, type: { type: 'date' as const } },
    { id: 1001, name: 'x', required: false, type: { type: 'double' as const } },
  ];
  const got = partitionFieldSummaries(part, [file(1, 1, [5, 1.5]), file(1, 1, [null, Number.NaN]), file(1, 1, [2, -3])]);
  assert.deepEqual(got[0], { containsNull: true, containsNan: false, lowerBound: serializeValue({ type: 'date' }, 2), upperBound: serializeValue({ type: 'date' }, 5) });
  assert.deepEqual(got[1], { containsNull: false, containsNan: true, lowerBound: serializeValue({ type: 'double' }, -3), upperBound: serializeValue({ type: 'double' }, 1.5) });
});

test('a commit id is found in main\'s ancestry only, within the search depth', () => {
  const snaps = Array.from({ length: 6 }, (_v, i) => snap(BigInt(i + 1), i ? BigInt(i) : undefined, { operation: 'append', 'floe.commit-id': `c${i + 1}` }));
  const side = snap(99n, 2n, { operation: 'append', 'floe.commit-id': 'side' });
  const meta = metadataFromJson({
    'format-version': 2, 'table-uuid': 'ce5e5b8e-1d2f-4c2a-9f0e-0d9f4a9a7b11', location: 's3://b/t', 'last-sequence-number': 6, 'last-updated-ms': 1, 'last-column-id': 0,
    'current-schema-id': 0, schemas: [{ type: 'struct', 'schema-id': 0, fields: [] }], 'default-spec-id': 0, 'partition-specs': [{ 'spec-id': 0, fields: [] }], 'last-partition-id': 999,
    'default-sort-order-id': 0, 'sort-orders': [{ 'order-id': 0, fields: [] }], properties: {}, 'current-snapshot-id': 6,
    snapshots: [...snaps, side].map((s) => ({ 'snapshot-id': Number(s.snapshotId), ...(s.parentSnapshotId ? { 'parent-snapshot-id': Number(s.parentSnapshotId) } : {}), 'sequence-number': s.sequenceNumber, 'timestamp-ms': 1, 'manifest-list': s.manifestList, summary: s.summary })),
    refs: { main: { 'snapshot-id': 6, type: 'branch' }, side: { 'snapshot-id': 99, type: 'branch' } },
  });
  assert.equal(findCommit(meta, 'floe.commit-id', 'c3')?.snapshotId, 3n);
  assert.equal(findCommit(meta, 'floe.commit-id', 'side'), undefined, 'a snapshot off main does not count');
  assert.equal(findCommit(meta, 'floe.commit-id', 'c1', 5), undefined, 'deeper than the search depth');
  assert.equal(findCommit(meta, 'floe.commit-id', 'c2', 5)?.snapshotId, 2n);
});
