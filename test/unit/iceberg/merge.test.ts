import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LocalFileIO } from '../../../src/io/local.js';
import { decodeManifest, encodeManifest, type ManifestFile } from '../../../src/iceberg/manifest.js';
import { MERGE_DEFAULTS, manifestPartitions, mergeManifests, mergeSettings, packFromEnd, planMerge, unionPartitions } from '../../../src/iceberg/merge.js';
import { newTableMetadata } from '../../../src/spec/create.js';
import type { DataFile } from '../../../src/spec/data-file.js';
import { buildSpec, partitionType } from '../../../src/spec/partition.js';
import type { Schema } from '../../../src/spec/types.js';

const manifest = (name: string, bytes: number, extra: Partial<ManifestFile> = {}): ManifestFile => ({
  manifest_path: name,
  manifest_length: BigInt(bytes),
  partition_spec_id: 0,
  content: 0,
  sequence_number: 1n,
  min_sequence_number: 1n,
  added_snapshot_id: 1n,
  added_files_count: 1,
  existing_files_count: 0,
  deleted_files_count: 0,
  added_rows_count: 1n,
  existing_rows_count: 0n,
  deleted_rows_count: 0n,
  partitions: null,
  key_metadata: null,
  ...extra,
});

test('packFromEnd fills bins from the oldest end, keeps order, and never splits or loses an item', () => {
  // Oldest (last) items first: 5 alone (5+4 > 6), then 4 (4+3 > 6), then 3+2+1 = 6.
  assert.deepEqual(packFromEnd([1, 2, 3, 4, 5], (x) => x, 6), [[1, 2, 3], [4], [5]]);
  assert.deepEqual(packFromEnd([10, 1, 1], (x) => x, 6), [[10], [1, 1]], 'an item over the target gets a bin of its own');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 60 }), fc.integer({ min: 1, max: 120 }), (items, target) => {
      const bins = packFromEnd(items, (x) => x, target);
      assert.deepEqual(bins.flat(), items);
      for (const b of bins) {
        assert.ok(b.length > 0);
        if (b.length > 1) assert.ok(b.reduce((a, x) => a + x, 0) <= target);
      }
    }),
  );
});

test('planMerge keeps the newest bin until it holds min-count manifests, merges other bins, never touches delete manifests', () => {
  const settings = { enabled: true, minCountToMerge: 4, targetSizeBytes: 1000 };
  const three = [manifest('new', 10), manifest('a', 10), manifest('b', 10)];
  assert.deepEqual(planMerge(three, settings), three.map((m) => ({ keep: m })));
  const four = [...three, manifest('c', 10)];
  assert.deepEqual(planMerge(four, settings), [{ merge: four }]);
  const deletes = manifest('d', 10, { content: 1 });
  assert.deepEqual(planMerge([...four, deletes], settings), [{ keep: deletes }, { merge: four }]);
  // A full old bin of several small manifests is merged even while the newest bin is small.
  const old = [manifest('x', 600), manifest('y', 300)];
  assert.deepEqual(planMerge([manifest('new', 10), manifest('z', 200), ...old], settings), [{ keep: manifest('new', 10) }, { keep: manifest('z', 200) }, { merge: old }]);
  // Specs are merged apart.
  const spec1 = [manifest('s1a', 10, { partition_spec_id: 1 }), manifest('s1b', 10, { partition_spec_id: 1 }), manifest('s1c', 10, { partition_spec_id: 1 }), manifest('s1d', 10, { partition_spec_id: 1 })];
  const plan = planMerge([...three, ...spec1], settings);
  assert.deepEqual(plan, [...three.map((m) => ({ keep: m })), { merge: spec1 }]);
  assert.deepEqual(planMerge(four, { ...settings, enabled: false }), four.map((m) => ({ keep: m })));
});

test('mergeSettings reads the Iceberg property names and keeps defaults for nonsense', () => {
  assert.deepEqual(mergeSettings({}), MERGE_DEFAULTS);
  assert.deepEqual(mergeSettings({ 'commit.manifest-merge.enabled': 'FALSE', 'commit.manifest.min-count-to-merge': '5', 'commit.manifest.target-size-bytes': '1024' }), {
    enabled: false,
    minCountToMerge: 5,
    targetSizeBytes: 1024,
  });
  assert.deepEqual(mergeSettings({ 'commit.manifest.min-count-to-merge': 'many', 'commit.manifest.target-size-bytes': '-3' }), MERGE_DEFAULTS);
});

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'day', required: true, type: { type: 'date' } },
  ],
};

const dataFile = (n: number, day: number): DataFile => ({
  content: 0,
  filePath: `file:///t/data/${n}.parquet`,
  fileFormat: 'PARQUET',
  partition: [day],
  recordCount: n + 1,
  fileSizeInBytes: 1000 + n,
  columnSizes: new Map([[1, 10]]),
  valueCounts: new Map([[1, n + 1]]),
  nullValueCounts: new Map([[1, 0]]),
  nanValueCounts: new Map(),
  lowerBounds: new Map(),
  upperBounds: new Map(),
  splitOffsets: [4],
});

for (const path of ['carried as bytes', 'decoded and written again'] as const) {
test(`a merged manifest (entries ${path}) lists the new files as ADDED, older live files as EXISTING with explicit sequence numbers, and drops old deletes`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-merge-'));
  try {
    const io = new LocalFileIO();
    const meta = newTableMetadata({ schema: SCHEMA, spec: buildSpec(SCHEMA, [{ column: 'day', transform: { kind: 'identity' } }]), location: `file://${dir}`, properties: { 'commit.manifest.min-count-to-merge': '3' } });
    const spec = meta.partitionSpecs[0]!;
    const partType = partitionType(spec, meta.schemas[0]!);
    const write = async (name: string, entries: Parameters<typeof encodeManifest>[0]['entries']) => {
      const bytes = encodeManifest({ schema: meta.schemas[0]!, spec, partitionType: partType, formatVersion: 2, entries });
      await io.write(`file://${dir}/${name}`, bytes);
      return bytes.length;
    };
    // Snapshot 11 (seq 1) added file 0 (inherited numbers); snapshot 12 (seq 2) added file 1 and deleted file 2 of snapshot 5.
    // The manifest list's partition summaries let the merge carry entries as bytes; without them it decodes.
    const parts = (days: number[]) => (path === 'carried as bytes' ? manifestPartitions(partType, days.map((d) => ({ partition: [d] }))) : null);
    const m1 = manifest(`file://${dir}/m1.avro`, await write('m1.avro', [{ status: 1, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, file: dataFile(0, 19000) }]), {
      added_snapshot_id: 11n,
      sequence_number: 1n,
      partitions: parts([19000]),
    });
    const m2 = manifest(`file://${dir}/m2.avro`, await write('m2.avro', [
      { status: 1, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, file: dataFile(1, 19001) },
      { status: 2, snapshotId: 12n, sequenceNumber: 0n, fileSequenceNumber: 0n, file: dataFile(2, 19002) },
    ]), { added_snapshot_id: 12n, sequence_number: 2n, min_sequence_number: 0n, added_rows_count: 2n, deleted_files_count: 1, partitions: parts([19001]) });
    const added = [dataFile(3, 19005), dataFile(4, 19003)];
    const mine = manifest(`file://${dir}/new.avro`, 100, { added_snapshot_id: 13n, sequence_number: 3n });
    const res = await mergeManifests([mine, m2, m1], { io, meta, snapshotId: 13n, sequenceNumber: 3n, metadataDir: `file://${dir}/metadata`, added: [{ manifest: mine, files: added }] });
    assert.equal(res.manifests.length, 1);
    assert.equal(res.written.length, 1);
    assert.deepEqual(res.mergedAdded, [mine]);
    assert.deepEqual([res.carried, res.decoded], path === 'carried as bytes' ? [2, 0] : [0, 2]);
    const m = res.manifests[0]!;
    assert.equal(m.manifest_path, res.written[0]);
    assert.deepEqual(
      [m.added_snapshot_id, m.sequence_number, m.min_sequence_number, m.added_files_count, m.existing_files_count, m.deleted_files_count, m.added_rows_count, m.existing_rows_count],
      [13n, 3n, 1n, 2, 2, 0, 9n, 3n],
    );
    const entries = decodeManifest(await io.read(m.manifest_path), partType);
    assert.deepEqual(
      entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber, e.file.filePath, e.file.partition[0]]),
      [
        [1, 13n, null, null, 'file:///t/data/3.parquet', 19005],
        [1, 13n, null, null, 'file:///t/data/4.parquet', 19003],
        [0, 12n, 2n, 2n, 'file:///t/data/1.parquet', 19001],
        [0, 11n, 1n, 1n, 'file:///t/data/0.parquet', 19000],
      ],
    );
    assert.deepEqual(entries[2]!.file, dataFile(1, 19001), 'the data file travels whole, stats included');
    // Partition summary over every live file: days 19000..19005.
    const p = m.partitions![0]!;
    assert.deepEqual([p.contains_null, p.lower_bound?.readInt32LE(), p.upper_bound?.readInt32LE()], [false, 19000, 19005]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
}

test('unionPartitions: nulls and NaNs of any, the lowest lower and the highest upper bound by the type\'s order', () => {
  const t = [{ id: 1000, name: 'x', required: false, type: { type: 'long' as const } }, { id: 1001, name: 's', required: false, type: { type: 'string' as const } }];
  const a = manifestPartitions(t, [{ partition: [-5n, 'b'] }, { partition: [3n, null] }]);
  const b = manifestPartitions(t, [{ partition: [200n, 'a'] }]);
  const both = manifestPartitions(t, [{ partition: [-5n, 'b'] }, { partition: [3n, null] }, { partition: [200n, 'a'] }]);
  assert.deepEqual(unionPartitions(t, [a, b]), both);
  assert.deepEqual(unionPartitions(t, [b, null, a]), both, 'a manifest without summaries adds nothing');
});
