import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import {
  ADDED,
  EXISTING,
  avroName,
  decimalRequiredBytes,
  inheritFromManifest,
  manifestEntrySchema,
  manifestListMetadata,
  manifestListSchema,
  manifestMetadata,
  partitionFieldSummaries,
  type DataFile,
} from '../../../src/spec/manifest.js';
import { buildSpec, partitionType } from '../../../src/spec/partition.js';
import { deserializeValue } from '../../../src/spec/values.js';
import type { NestedField } from '../../../src/spec/types.js';
import { ALL_TYPES } from '../../helpers/all-types.js';

/** Every (field-id, name) pair of an Avro schema, element and key/value ids included. */
function ids(schema: unknown, out = new Map<number, string>()): Map<number, string> {
  if (Array.isArray(schema)) for (const s of schema) ids(s, out);
  else if (schema && typeof schema === 'object') {
    const o = schema as Record<string, unknown>;
    if (typeof o['field-id'] === 'number') out.set(o['field-id'], String(o.name));
    if (typeof o['element-id'] === 'number') out.set(o['element-id'], 'element');
    for (const v of Object.values(o)) if (typeof v === 'object') ids(v, out);
  }
  return out;
}

const PART: NestedField[] = [
  { id: 1000, name: 'day', required: false, type: { type: 'date' } },
  { id: 1001, name: 'a-b', required: false, type: { type: 'decimal', precision: 9, scale: 2 } },
  { id: 1002, name: 'c', required: false, type: { type: 'decimal', precision: 9, scale: 2 } },
  { id: 1003, name: 'u', required: false, type: { type: 'uuid' } },
  { id: 1004, name: 'f', required: false, type: { type: 'fixed', length: 3 } },
  { id: 1005, name: 'ts', required: false, type: { type: 'timestamptz' } },
  { id: 1006, name: '1x', required: false, type: { type: 'double' } },
];

test('manifest entry schema has every field id of the spec and avsc accepts it', () => {
  const schema = manifestEntrySchema(PART);
  const got = ids(schema);
  const want: Array<[number, string]> = [
    [0, 'status'], [1, 'snapshot_id'], [3, 'sequence_number'], [4, 'file_sequence_number'], [2, 'data_file'], [134, 'content'], [100, 'file_path'], [101, 'file_format'],
    [102, 'partition'], [103, 'record_count'], [104, 'file_size_in_bytes'], [108, 'column_sizes'], [117, 'key'], [118, 'value'], [109, 'value_counts'], [110, 'null_value_counts'],
    [137, 'nan_value_counts'], [125, 'lower_bounds'], [128, 'upper_bounds'], [131, 'key_metadata'], [132, 'split_offsets'], [133, 'element'], [135, 'equality_ids'], [136, 'element'],
    [140, 'sort_order_id'], [1000, 'day'], [1001, 'a_x2Db'], [1006, '_1x'],
  ];
  for (const [id, name] of want) assert.equal(got.get(id), name, `field-id ${id}`);
  assert.equal(got.has(142), false);
  assert.ok(ids(manifestEntrySchema(PART, 3)).has(145));
  const type = avro.Type.forSchema(schema as avro.Schema);
  const rec = {
    status: ADDED, snapshot_id: null, sequence_number: null, file_sequence_number: null,
    data_file: {
      content: 0, file_path: 's3://b/f.parquet', file_format: 'PARQUET',
      partition: { day: 19000, a_x2Db: Buffer.from([0, 0, 5, 0x8c]), c: null, u: Buffer.alloc(16), f: Buffer.from([1, 2, 3]), ts: 5, _1x: 1.5 },
      record_count: 10, file_size_in_bytes: 100, column_sizes: [{ key: 1, value: 7 }], value_counts: null, null_value_counts: null, nan_value_counts: null,
      lower_bounds: [{ key: 1, value: Buffer.from([1]) }], upper_bounds: null, key_metadata: null, split_offsets: [4], equality_ids: null, sort_order_id: null,
    },
  };
  assert.deepEqual(type.fromBuffer(type.toBuffer(rec)), type.fromBuffer(type.toBuffer(type.fromBuffer(type.toBuffer(rec)))));
  assert.equal((type.fromBuffer(type.toBuffer(rec)) as typeof rec).data_file.partition.a_x2Db.length, 4);
  // A partition type of every transform result over every type is accepted too.
  const spec = buildSpec(ALL_TYPES, ['id', 'flag', 'i32', 'f32', 'f64', 'dec9', 'dec38', 'day', 'tod', 'ts', 'tstz', 'name', 'uid', 'fix', 'bin'].map((column) => ({ column, transform: { kind: 'identity' as const } })));
  avro.Type.forSchema(manifestEntrySchema(partitionType(spec, ALL_TYPES)) as avro.Schema);
});

test('manifest list schema has the spec field ids and the v3 first_row_id', () => {
  const got = ids(manifestListSchema());
  for (const [id, name] of [[500, 'manifest_path'], [501, 'manifest_length'], [502, 'partition_spec_id'], [517, 'content'], [515, 'sequence_number'], [516, 'min_sequence_number'], [503, 'added_snapshot_id'], [504, 'added_files_count'], [505, 'existing_files_count'], [506, 'deleted_files_count'], [512, 'added_rows_count'], [513, 'existing_rows_count'], [514, 'deleted_rows_count'], [507, 'partitions'], [508, 'element'], [509, 'contains_null'], [518, 'contains_nan'], [510, 'lower_bound'], [511, 'upper_bound'], [519, 'key_metadata']] as const) {
    assert.equal(got.get(id), name, `field-id ${id}`);
  }
  assert.equal(ids(manifestListSchema(3)).get(520), 'first_row_id');
  avro.Type.forSchema(manifestListSchema(3) as avro.Schema);
});

test('decimal widths, Avro names and metadata keys', () => {
  assert.deepEqual([1, 2, 3, 9, 10, 18, 19, 38].map(decimalRequiredBytes), [1, 1, 2, 4, 5, 8, 9, 16]);
  assert.deepEqual(['ts_day', '1a', 'a b', 'é', ''].map(avroName), ['ts_day', '_1a', 'a_x20b', '_xE9', '_']);
  const spec = buildSpec(ALL_TYPES, [{ column: 'id', transform: { kind: 'bucket', n: 4 } }], 2);
  const meta = manifestMetadata(ALL_TYPES, spec, 2);
  assert.deepEqual(Object.keys(meta), ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content']);
  assert.deepEqual(JSON.parse(meta['partition-spec'] as string), [{ name: 'id_bucket_4', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1000 }]);
  assert.equal(meta['partition-spec-id'], '2');
  assert.deepEqual(manifestListMetadata({ snapshotId: 3051729675574597004n, sequenceNumber: 4, formatVersion: 2 }), { 'snapshot-id': '3051729675574597004', 'parent-snapshot-id': 'null', 'sequence-number': '4', 'format-version': '2' });
});

test('partition summaries and sequence number inheritance', () => {
  const file = (partition: DataFile['partition']) => ({ partition });
  const s = partitionFieldSummaries(
    [{ id: 1000, name: 'a', required: false, type: { type: 'int' } }, { id: 1001, name: 'b', required: false, type: { type: 'double' } }, { id: 1002, name: 'c', required: false, type: { type: 'string' } }],
    [file([3, 1.5, null]), file([-2, Number.NaN, null]), file([null, -0.5, null])],
  );
  assert.deepEqual([s[0]?.containsNull, s[0]?.containsNan], [true, false]);
  assert.equal(deserializeValue({ type: 'int' }, s[0]?.lowerBound as Uint8Array), -2);
  assert.equal(deserializeValue({ type: 'int' }, s[0]?.upperBound as Uint8Array), 3);
  assert.deepEqual([s[1]?.containsNull, s[1]?.containsNan], [false, true]);
  assert.equal(deserializeValue({ type: 'double' }, s[1]?.lowerBound as Uint8Array), -0.5);
  assert.deepEqual(s[2], { containsNull: true, containsNan: false });
  const df = {} as DataFile;
  const m = { addedSnapshotId: 9n, sequenceNumber: 4 };
  assert.deepEqual(inheritFromManifest({ status: ADDED, dataFile: df }, m), { status: ADDED, dataFile: df, snapshotId: 9n, sequenceNumber: 4, fileSequenceNumber: 4 });
  assert.deepEqual(inheritFromManifest({ status: EXISTING, snapshotId: 2n, sequenceNumber: 1, fileSequenceNumber: 1, dataFile: df }, m), { status: EXISTING, snapshotId: 2n, sequenceNumber: 1, fileSequenceNumber: 1, dataFile: df });
});
