import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readAvroFile } from '../../../src/iceberg/avro.js';
import { decodeManifest, decodeManifestList, encodeManifest, encodeManifestList, type ManifestFile } from '../../../src/iceberg/manifest.js';
import { avroName } from '../../../src/spec/manifest.js';
import type { DataFile } from '../../../src/spec/data-file.js';
import { buildSpec, partitionType } from '../../../src/spec/partition.js';
import type { NestedField, PrimitiveType, Schema, Value } from '../../../src/spec/types.js';

// One column per partitionable primitive, some with names that are not Avro names.
const COLUMNS: Array<[string, PrimitiveType]> = [
  ['flag', { type: 'boolean' }],
  ['i32', { type: 'int' }],
  ['l64', { type: 'long' }],
  ['f32', { type: 'float' }],
  ['f64', { type: 'double' }],
  ['dec', { type: 'decimal', precision: 9, scale: 2 }],
  ['big-dec', { type: 'decimal', precision: 38, scale: 0 }],
  ['day', { type: 'date' }],
  ['tod', { type: 'time' }],
  ['ts', { type: 'timestamp' }],
  ['tstz', { type: 'timestamptz' }],
  ['1st name', { type: 'string' }],
  ['uid', { type: 'uuid' }],
  ['fix', { type: 'fixed', length: 3 }],
  ['bin', { type: 'binary' }],
];

const SCHEMA: Schema = { schemaId: 3, fields: COLUMNS.map(([name, type], i) => ({ id: i + 1, name, required: false, type })) };
const SPEC = buildSpec(SCHEMA, COLUMNS.map(([column]) => ({ column, transform: { kind: 'identity' as const } })), 5);
const PART: NestedField[] = partitionType(SPEC, SCHEMA);

const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

function valueOf(t: PrimitiveType): fc.Arbitrary<Value> {
  switch (t.type) {
    case 'boolean':
      return fc.boolean();
    case 'int':
    case 'date':
      return int;
    case 'float':
      return fc.float();
    case 'double':
      return fc.double();
    case 'decimal':
      return fc.bigInt({ min: -(10n ** BigInt(t.precision)) + 1n, max: 10n ** BigInt(t.precision) - 1n });
    case 'string':
      return fc.string();
    case 'uuid':
      return fc.uuid();
    case 'fixed':
      return fc.uint8Array({ minLength: t.length, maxLength: t.length });
    case 'binary':
      return fc.uint8Array({ maxLength: 20 });
    default:
      return long;
  }
}

const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const metrics = <T>(v: fc.Arbitrary<T>) => fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 2000 }), v), { selector: (e) => e[0], maxLength: 5 }).map((es) => new Map(es));

const dataFile: fc.Arbitrary<DataFile> = fc
  .record({
    filePath: fc.string({ minLength: 1 }).map((s) => `s3://b/t/data/${s}.parquet`),
    partition: fc.tuple(...PART.map((f) => fc.option(valueOf(f.type as PrimitiveType), { nil: null }))),
    recordCount: count,
    fileSizeInBytes: count,
    columnSizes: metrics(count),
    valueCounts: metrics(count),
    nullValueCounts: metrics(count),
    nanValueCounts: metrics(count),
    lowerBounds: metrics(fc.uint8Array({ maxLength: 16 })),
    upperBounds: metrics(fc.uint8Array({ maxLength: 16 })),
    splitOffsets: fc.array(count, { maxLength: 4 }),
    sortOrderId: fc.option(fc.nat(10), { nil: undefined }),
  })
  .map(({ sortOrderId, ...f }) => ({ content: 0 as const, fileFormat: 'PARQUET' as const, ...f, ...(sortOrderId === undefined ? {} : { sortOrderId }) }));

test('data manifests round-trip every partition type and metric, with sequence numbers left to inheritance', () => {
  fc.assert(
    fc.property(fc.array(dataFile, { minLength: 1, maxLength: 8 }), long, (files, snapshotId) => {
      const bytes = encodeManifest({ schema: SCHEMA, spec: SPEC, partitionType: PART, formatVersion: 2, entries: files.map((file) => ({ status: 1, snapshotId, sequenceNumber: null, fileSequenceNumber: null, file })) });
      const read = decodeManifest(bytes, PART);
      assert.deepEqual(
        read.map((e) => e.file),
        files,
      );
      for (const e of read) {
        assert.equal(e.status, 1);
        assert.equal(e.snapshotId, snapshotId);
        assert.equal(e.sequenceNumber, null, 'ADDED entries inherit the sequence number of the manifest list');
        assert.equal(e.fileSequenceNumber, null);
      }
    }),
    { numRuns: 60 },
  );
});

test('a manifest carries the spec metadata keys and the field ids of the spec schema', () => {
  const file = readAvroFile(encodeManifest({ schema: SCHEMA, spec: SPEC, partitionType: PART, formatVersion: 2, entries: [] }));
  const m = file.metadata;
  assert.equal(m['format-version'], '2');
  assert.equal(m.content, 'data');
  assert.equal(m['schema-id'], '3');
  assert.equal(m['partition-spec-id'], '5');
  assert.equal((JSON.parse(m.schema ?? '{}') as { 'schema-id': number })['schema-id'], 3);
  const specFields = JSON.parse(m['partition-spec'] ?? '[]') as Array<{ 'field-id': number; name: string; transform: string }>;
  assert.deepEqual(specFields.map((f) => [f['field-id'], f.name, f.transform]), PART.map((f) => [f.id, f.name, 'identity']));

  type F = { name: string; type: unknown; 'field-id': number };
  const entry = file.schema as { name: string; fields: F[] };
  assert.equal(entry.name, 'manifest_entry');
  assert.deepEqual(entry.fields.map((f) => [f.name, f['field-id']]), [['status', 0], ['snapshot_id', 1], ['sequence_number', 3], ['file_sequence_number', 4], ['data_file', 2]]);
  const dataFields = (entry.fields[4]?.type as { fields: F[] }).fields;
  const byName = new Map(dataFields.map((f) => [f.name, f]));
  const ids = Object.fromEntries(dataFields.map((f) => [f.name, f['field-id']]));
  assert.deepEqual(ids, {
    content: 134, file_path: 100, file_format: 101, partition: 102, record_count: 103, file_size_in_bytes: 104, column_sizes: 108, value_counts: 109,
    null_value_counts: 110, nan_value_counts: 137, lower_bounds: 125, upper_bounds: 128, key_metadata: 131, split_offsets: 132, equality_ids: 135, sort_order_id: 140,
  });
  // Maps with int keys are arrays of key/value records, as the spec requires for Avro.
  const lower = (byName.get('lower_bounds')?.type as unknown[])[1] as { type: string; logicalType: string; items: { fields: F[] } };
  assert.equal(lower.type, 'array');
  assert.equal(lower.logicalType, 'map');
  assert.deepEqual(lower.items.fields.map((f) => [f.name, f['field-id'], f.type]), [['key', 126, 'int'], ['value', 127, 'bytes']]);
  const partition = byName.get('partition')?.type as { fields: Array<F & { 'iceberg-field-name'?: string }> };
  assert.deepEqual(partition.fields.map((f) => f['field-id']), PART.map((f) => f.id));
  const odd = partition.fields.find((f) => f['iceberg-field-name'] === '1st name');
  assert.equal(odd?.name, '_1st_x20name');
});

test('partition field names become Avro names the way Java makes them', () => {
  assert.equal(avroName('ts_day'), 'ts_day');
  assert.equal(avroName('1st'), '_1st');
  assert.equal(avroName('a-b.c'), 'a_x2Db_x2Ec');
  assert.equal(avroName('é'), '_xE9');
  fc.assert(fc.property(fc.string({ minLength: 1 }), (s) => assert.match(avroName(s), /^[A-Za-z_][A-Za-z0-9_]*$/)));
});

test('manifest lists round-trip, with snapshot, parent and sequence number in the metadata', () => {
  const entry = (i: number): ManifestFile => ({
    manifest_path: `s3://b/t/metadata/m${i}.avro`,
    manifest_length: BigInt(1000 + i),
    partition_spec_id: 0,
    content: 0,
    sequence_number: BigInt(i),
    min_sequence_number: BigInt(i),
    added_snapshot_id: 2n ** 62n + BigInt(i),
    added_files_count: i,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: 2n ** 40n,
    existing_rows_count: 0n,
    deleted_rows_count: 0n,
    partitions: i % 2 ? [{ contains_null: true, contains_nan: false, lower_bound: Buffer.from([1]), upper_bound: Buffer.from([9]) }] : null,
    key_metadata: null,
  });
  const list = [entry(3), entry(2), entry(1)];
  const bytes = encodeManifestList(list, { snapshotId: 77n, parentSnapshotId: 76n, sequenceNumber: 3n, formatVersion: 2 });
  assert.deepEqual(
    decodeManifestList(bytes).map((m) => ({ ...m, partitions: m.partitions?.map((p) => ({ ...p })) ?? null })),
    list,
  );
  const meta = readAvroFile(bytes).metadata;
  assert.deepEqual([meta['snapshot-id'], meta['parent-snapshot-id'], meta['sequence-number'], meta['format-version']], ['77', '76', '3', '2']);
  const first = readAvroFile(encodeManifestList([], { snapshotId: 1n, sequenceNumber: 1n, formatVersion: 2 })).metadata;
  assert.equal(first['parent-snapshot-id'], 'null', 'the first snapshot has no parent, written as Java writes it');
});

test('a manifest written before its partition sources were promoted (int, float, decimal(9,2)) reads and rewrites as the promoted types', () => {
  const before: Schema = { schemaId: 0, fields: [{ id: 1, name: 'n', required: false, type: { type: 'int' } }, { id: 2, name: 'f', required: false, type: { type: 'float' } }, { id: 3, name: 'd', required: false, type: { type: 'decimal', precision: 9, scale: 2 } }] };
  const after: Schema = { schemaId: 1, fields: [{ id: 1, name: 'n', required: false, type: { type: 'long' } }, { id: 2, name: 'f', required: false, type: { type: 'double' } }, { id: 3, name: 'd', required: false, type: { type: 'decimal', precision: 12, scale: 2 } }] };
  const cols = ['n', 'f', 'd'].map((column) => ({ column, transform: { kind: 'identity' as const } }));
  const [specBefore, specAfter] = [buildSpec(before, cols, 0), buildSpec(after, cols, 0)];
  const [partBefore, partAfter] = [partitionType(specBefore, before), partitionType(specAfter, after)];
  const file = (partition: Value[]): DataFile => ({ content: 0, fileFormat: 'PARQUET', filePath: 's3://b/t/data/a.parquet', partition, recordCount: 1, fileSizeInBytes: 1, columnSizes: new Map(), valueCounts: new Map(), nullValueCounts: new Map(), nanValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map(), splitOffsets: [] });
  const old = encodeManifest({ schema: before, spec: specBefore, partitionType: partBefore, formatVersion: 2, entries: [{ status: 1, snapshotId: 1n, sequenceNumber: null, fileSequenceNumber: null, file: file([-2147483648, 1.5, -99999n]) }] });
  const read = decodeManifest(old, partAfter).map((e) => e.file.partition);
  assert.deepEqual(read, [[-2147483648n, 1.5, -99999n]]);
  // Carried into a manifest of the promoted spec (a merge or a rewrite does that).
  const again = encodeManifest({ schema: after, spec: specAfter, partitionType: partAfter, formatVersion: 2, entries: [{ status: 0, snapshotId: 1n, sequenceNumber: 1n, fileSequenceNumber: 1n, file: file(read[0] as Value[]) }] });
  assert.deepEqual(decodeManifest(again, partAfter).map((e) => e.file.partition), read);
});
