import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyUpdates, updateFromJson, updateToJson, type TableUpdate } from '../../../src/spec/updates.js';
import { emptyTableMetadata, newTableMetadata } from '../../../src/spec/create.js';
import { currentSnapshot, metadataFromJson, metadataToJson, partitionStatisticsFiles, statisticsFiles, type Snapshot, type TableMetadata } from '../../../src/spec/metadata.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import { isFloeError } from '../../../src/errors.js';
import type { Schema } from '../../../src/spec/types.js';

const SCHEMA: Schema = {
  schemaId: 7,
  fields: [
    { id: 10, name: 'id', required: true, type: { type: 'long' } },
    { id: 11, name: 'ts', required: false, type: { type: 'timestamptz' } },
    { id: 12, name: 'loc', required: false, type: { type: 'struct', fields: [{ id: 13, name: 'city', required: false, type: { type: 'string' } }] } },
  ],
  identifierFieldIds: [10],
};

const table = (v: 1 | 2 | 3 = 2): TableMetadata =>
  newTableMetadata({
    location: 's3://wh/db/t/',
    schema: SCHEMA,
    spec: { specId: 5, fields: [{ sourceId: 11, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } }] },
    sortOrder: { orderId: 9, fields: [{ sourceId: 13, transform: { kind: 'identity' }, direction: 'asc', nullOrder: 'nulls-first' }] },
    properties: { owner: 'floe' },
    formatVersion: v,
    tableUuid: '9c12d441-03fe-4693-9a96-a0705ddf69c1',
    now: 1000,
  });

const snap = (id: bigint, parent: bigint | undefined, seq: number, extra?: Record<string, unknown>): Snapshot => ({
  snapshotId: id,
  ...(parent === undefined ? {} : { parentSnapshotId: parent }),
  sequenceNumber: seq,
  timestampMs: 5000 + seq,
  manifestList: `s3://wh/db/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append' },
  schemaId: 0,
  ...(extra ? { extra } : {}),
});
const append = (id: bigint, parent: bigint | undefined, seq: number, extra?: Record<string, unknown>): TableUpdate[] => [
  { action: 'add-snapshot', snapshot: snap(id, parent, seq, extra) },
  { action: 'set-snapshot-ref', refName: 'main', snapshotId: id, type: 'branch' },
];
const invalid = (re: RegExp) => (e: unknown) => isFloeError(e, 'UPDATE_INVALID') && re.test(e.message);

test('newTableMetadata reassigns ids and remaps the spec and sort order by name, as a catalog create does', () => {
  const m = table();
  assert.deepEqual(m.schemas[0]?.fields.map((f) => f.id), [1, 2, 3]);
  assert.deepEqual(m.schemas[0]?.identifierFieldIds, [1]);
  assert.equal(m.lastColumnId, 4);
  assert.deepEqual(m.partitionSpecs, [{ specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } }] }]);
  assert.equal(m.lastPartitionId, 1000);
  assert.deepEqual(m.sortOrders[0], { orderId: 1, fields: [{ sourceId: 4, transform: { kind: 'identity' }, direction: 'asc', nullOrder: 'nulls-first' }] });
  assert.equal(m.defaultSortOrderId, 1);
  assert.equal(m.location, 's3://wh/db/t');
  assert.equal(m.formatVersion, 2);
  assert.equal(currentSnapshot(m), undefined);
  const v3 = newTableMetadata({ location: '/t', schema: SCHEMA, properties: { 'format-version': '3', a: 'b' } });
  assert.equal(v3.formatVersion, 3);
  assert.equal(v3.nextRowId, 0n);
  assert.deepEqual(v3.properties, { a: 'b' });
  assert.equal(v3.lastPartitionId, 999);
  assert.match(v3.tableUuid, /^[0-9a-f-]{36}$/);
  assert.throws(() => newTableMetadata({ location: '/t', schema: SCHEMA, formatVersion: 2, spec: { specId: 0, fields: [{ sourceId: 99, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }] } }), /source column 99/);
  assert.throws(() => newTableMetadata({ location: '/t', schema: { schemaId: 0, fields: [{ id: 1, name: 'n', required: false, type: { type: 'timestamp_ns' } }] } }), /needs format version 3/);
  assert.deepEqual(metadataFromJson(parseJson(stringifyJson(metadataToJson(v3)))), v3);
});

test('a create expressed as updates on empty metadata equals newTableMetadata', () => {
  const want = table();
  const got = applyUpdates(emptyTableMetadata(), [
    { action: 'assign-uuid', uuid: want.tableUuid },
    { action: 'upgrade-format-version', formatVersion: 2 },
    { action: 'add-schema', schema: want.schemas[0] as Schema },
    { action: 'set-current-schema', schemaId: -1 },
    { action: 'add-spec', spec: want.partitionSpecs[0]! },
    { action: 'set-default-spec', specId: -1 },
    { action: 'add-sort-order', sortOrder: want.sortOrders[0]! },
    { action: 'set-default-sort-order', sortOrderId: -1 },
    { action: 'set-location', location: want.location },
    { action: 'set-properties', updates: { owner: 'floe' } },
  ], { now: 1000 });
  assert.deepEqual(got, want);
});

test('schemas, specs and sort orders: reuse of equal ones, -1 for the last added, ids as Java assigns them', () => {
  const m0 = table();
  const wider: Schema = { ...m0.schemas[0]!, fields: [...m0.schemas[0]!.fields, { id: 5, name: 'n', required: false, type: { type: 'int' } }] };
  const m1 = applyUpdates(m0, [{ action: 'add-schema', schema: wider }, { action: 'set-current-schema', schemaId: -1 }]);
  assert.deepEqual([m1.currentSchemaId, m1.lastColumnId, m1.schemas.length], [1, 5, 2]);
  const m2 = applyUpdates(m1, [{ action: 'add-schema', schema: { ...m0.schemas[0]!, schemaId: 42 } }, { action: 'set-current-schema', schemaId: -1 }]);
  assert.deepEqual([m2.currentSchemaId, m2.schemas.length], [0, 2], 'an equal schema is reused by id');
  assert.throws(() => applyUpdates(m0, [{ action: 'set-current-schema', schemaId: -1 }]), invalid(/no schema has been added/));
  assert.throws(() => applyUpdates(m0, [{ action: 'set-current-schema', schemaId: 3 }]), invalid(/unknown schema: 3/));
  assert.throws(() => applyUpdates(m0, [{ action: 'add-schema', schema: { schemaId: 0, fields: [{ id: 1, name: 'a', required: true, type: { type: 'unknown' } }] } }]), invalid(/add-schema: .*must be optional/));

  const bucket = { specId: 0, fields: [{ sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: { kind: 'bucket', n: 8 } }] } as const;
  const m3 = applyUpdates(m0, [{ action: 'add-spec', spec: bucket }, { action: 'set-default-spec', specId: -1 }]);
  assert.deepEqual([m3.defaultSpecId, m3.lastPartitionId, m3.partitionSpecs.length], [1, 1001, 2]);
  assert.equal(applyUpdates(m3, [{ action: 'add-spec', spec: { ...bucket, specId: 9 } }, { action: 'set-default-spec', specId: -1 }]).partitionSpecs.length, 2);
  assert.throws(() => applyUpdates(m0, [{ action: 'add-spec', spec: { specId: 0, fields: [{ sourceId: 3, fieldId: 1001, name: 'x', transform: { kind: 'day' } }] } }]), invalid(/add-spec: .*cannot apply/));
  assert.throws(() => applyUpdates(m0, [{ action: 'set-default-spec', specId: 4 }]), invalid(/unknown spec: 4/));

  const m4 = applyUpdates(m0, [{ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [] } }, { action: 'set-default-sort-order', sortOrderId: -1 }]);
  assert.deepEqual([m4.defaultSortOrderId, m4.sortOrders.map((o) => o.orderId)], [0, [1, 0]], 'unsorted is always order 0');
  const m5 = applyUpdates(m4, [{ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [{ sourceId: 1, transform: { kind: 'identity' }, direction: 'desc', nullOrder: 'nulls-last' }] } }]);
  assert.deepEqual(m5.sortOrders.map((o) => o.orderId), [1, 0, 2]);
  assert.throws(() => applyUpdates(m0, [{ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [{ sourceId: 77, transform: { kind: 'identity' }, direction: 'asc', nullOrder: 'nulls-first' }] } }]), invalid(/source column 77/));
  assert.throws(() => applyUpdates(m0, [{ action: 'remove-schemas', schemaIds: [0] }]), invalid(/Cannot remove current schema/));
  assert.throws(() => applyUpdates(m0, [{ action: 'remove-partition-specs', specIds: [0] }]), invalid(/default partition spec/));
  assert.deepEqual(applyUpdates(m3, [{ action: 'remove-partition-specs', specIds: [0] }]).partitionSpecs.map((s) => s.specId), [1]);
  assert.deepEqual(applyUpdates(m2, [{ action: 'remove-schemas', schemaIds: [1] }]).schemas.map((s) => s.schemaId), [0]);
});

test('snapshots: sequence numbers, main, the snapshot log and last-updated-ms follow Java', () => {
  let m = applyUpdates(table(), append(1n, undefined, 1), { now: 9999 });
  assert.equal(currentSnapshot(m)?.snapshotId, 1n);
  assert.deepEqual(m.snapshotLog, [{ snapshotId: 1n, timestampMs: 5001 }]);
  assert.equal(m.lastUpdatedMs, 5001, 'a commit that adds a snapshot takes its timestamp');
  assert.equal(m.lastSequenceNumber, 1);
  assert.throws(() => applyUpdates(m, append(2n, 1n, 1)), invalid(/sequence number 1 older than last sequence number 1/));
  assert.throws(() => applyUpdates(m, append(1n, undefined, 2)), invalid(/Snapshot already exists for id: 1/));
  assert.throws(() => applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 5n, type: 'branch' }]), invalid(/unknown snapshot: 5/));
  assert.throws(() => applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 1n, type: 'tag' }]), invalid(/main must be a branch/));
  assert.throws(() => applyUpdates(emptyTableMetadata(2), append(1n, undefined, 1)), invalid(/before a schema is added/));
  // Two appends in one commit: the first was current only inside the commit, so it is not history.
  m = applyUpdates(m, [...append(2n, 1n, 2), ...append(3n, 2n, 3)]);
  assert.deepEqual(m.snapshotLog.map((e) => e.snapshotId), [1n, 3n]);
  // Setting main to what it already is changes nothing; a tag is not history; setting main back is.
  const same = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 3n, type: 'branch' }], { now: 7 });
  assert.deepEqual([same.snapshotLog.length, same.lastUpdatedMs], [2, 7]);
  m = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'v1', snapshotId: 1n, type: 'tag', maxRefAgeMs: 1000 }], { now: 8000 });
  assert.deepEqual(m.refs.v1, { snapshotId: 1n, type: 'tag', maxRefAgeMs: 1000 });
  m = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 1n, type: 'branch' }], { now: 8001 });
  assert.deepEqual(m.snapshotLog.at(-1), { snapshotId: 1n, timestampMs: 8001 });
  assert.equal(m.lastSequenceNumber, 3);
});

test('removing snapshots drops their refs, statistics and the history before them', () => {
  let m = applyUpdates(table(), [...append(1n, undefined, 1)]);
  m = applyUpdates(m, append(2n, 1n, 2));
  m = applyUpdates(m, [
    { action: 'set-snapshot-ref', refName: 'old', snapshotId: 1n, type: 'tag' },
    { action: 'set-statistics', snapshotId: 1n, statistics: { 'statistics-path': 's3://x/1.stats', 'file-size-in-bytes': 10, 'file-footer-size-in-bytes': 2, 'blob-metadata': [] } },
    { action: 'set-statistics', snapshotId: 2n, statistics: { 'statistics-path': 's3://x/2.stats', 'file-size-in-bytes': 10, 'file-footer-size-in-bytes': 2, 'blob-metadata': [] } },
    { action: 'set-partition-statistics', snapshotId: 1n, partitionStatistics: { 'statistics-path': 's3://x/p1', 'file-size-in-bytes': 4 } },
  ]);
  assert.equal(statisticsFiles(m).length, 2);
  const r = applyUpdates(m, [{ action: 'remove-snapshots', snapshotIds: [1n] }]);
  assert.deepEqual(r.snapshots.map((s) => s.snapshotId), [2n]);
  assert.equal(r.refs.old, undefined);
  assert.deepEqual(r.snapshotLog.map((e) => e.snapshotId), [2n]);
  assert.deepEqual(statisticsFiles(r).map((s) => s['snapshot-id']), [2n]);
  assert.equal(partitionStatisticsFiles(r).length, 0);
  const gone = applyUpdates(m, [{ action: 'remove-snapshots', snapshotIds: [2n] }]);
  assert.equal(gone.currentSnapshotId, undefined, 'main pointed at a removed snapshot');
  assert.equal(gone.refs.main, undefined);
  assert.deepEqual(gone.snapshotLog, [], 'history before a removed entry is dropped too');
  const noMain = applyUpdates(m, [{ action: 'remove-snapshot-ref', refName: 'main' }]);
  assert.equal(currentSnapshot(noMain), undefined);
  assert.equal(applyUpdates(m, [{ action: 'remove-statistics', snapshotId: 2n }, { action: 'remove-partition-statistics', snapshotId: 1n }]).extra['partition-statistics'] instanceof Array, true);
});

test('v3 snapshots carry row lineage and move next-row-id on', () => {
  let m = table(3);
  assert.equal(m.nextRowId, 0n);
  m = applyUpdates(m, append(1n, undefined, 1, { 'first-row-id': 0n, 'added-rows': 30n }));
  assert.equal(m.nextRowId, 30n);
  assert.throws(() => applyUpdates(m, append(2n, 1n, 2, { 'first-row-id': 10n, 'added-rows': 5n })), invalid(/first-row-id is behind table next-row-id: 10 < 30/));
  assert.throws(() => applyUpdates(m, append(2n, 1n, 2)), invalid(/first-row-id is null/));
  const up = applyUpdates(table(2), [{ action: 'upgrade-format-version', formatVersion: 3 }]);
  assert.deepEqual([up.formatVersion, up.nextRowId], [3, 0n]);
  assert.throws(() => applyUpdates(up, [{ action: 'upgrade-format-version', formatVersion: 2 }]), invalid(/Cannot downgrade v3 table to v2/));
  assert.throws(() => applyUpdates(up, [{ action: 'upgrade-format-version', formatVersion: 4 }]), invalid(/unsupported format version: v4/));
  const json = metadataToJson(m);
  assert.equal(json['next-row-id'], 30n);
  assert.equal(metadataToJson({ ...m, extra: { 'next-row-id': 0 } })['next-row-id'], 30n, 'a stale copy in extra does not win');
  assert.equal((json.snapshots as Array<Record<string, unknown>>)[0]?.['first-row-id'], 0n);
});

test('properties, location, uuid and the metadata log', () => {
  let m = applyUpdates(table(), [{ action: 'set-properties', updates: { a: '1', b: '2', 'write.metadata.previous-versions-max': '2' } }, { action: 'remove-properties', removals: ['a', 'nope'] }, { action: 'set-location', location: 's3://new' }], { previousMetadataFile: 's3://wh/v1.json' });
  assert.deepEqual(m.properties, { owner: 'floe', b: '2', 'write.metadata.previous-versions-max': '2' });
  assert.equal(m.location, 's3://new');
  assert.deepEqual(m.metadataLog, [{ metadataFile: 's3://wh/v1.json', timestampMs: 1000 }]);
  for (const v of ['v2', 'v3', 'v4']) m = applyUpdates(m, [], { previousMetadataFile: `s3://wh/${v}.json`, now: 2000 });
  assert.deepEqual(m.metadataLog.map((e) => e.metadataFile), ['s3://wh/v3.json', 's3://wh/v4.json'], 'trimmed to write.metadata.previous-versions-max');
  assert.equal(applyUpdates(m, [{ action: 'assign-uuid', uuid: 'u2' }]).tableUuid, 'u2');
});

test('applying never changes the input metadata (property)', () => {
  const base = applyUpdates(table(), append(1n, undefined, 1));
  const before = stringifyJson(metadataToJson(base));
  const updates: TableUpdate[] = [
    ...append(2n, 1n, 2),
    { action: 'set-properties', updates: { x: 'y' } },
    { action: 'remove-snapshots', snapshotIds: [1n] },
    { action: 'set-statistics', snapshotId: 2n, statistics: { 'statistics-path': 'p' } },
    { action: 'add-schema', schema: { schemaId: 0, fields: [{ id: 9, name: 'z', required: false, type: { type: 'int' } }] } },
  ];
  fc.assert(
    fc.property(fc.subarray(updates), (us) => {
      try {
        applyUpdates(base, us);
      } catch {
        // refused combinations are fine here; only the input matters
      }
      assert.equal(stringifyJson(metadataToJson(base)), before);
    }),
  );
});

test('every update round-trips through its REST JSON, and encryption keys are refused clearly', () => {
  const all: TableUpdate[] = [
    { action: 'assign-uuid', uuid: 'u' },
    { action: 'upgrade-format-version', formatVersion: 3 },
    { action: 'add-schema', schema: SCHEMA, lastColumnId: 13 },
    { action: 'set-current-schema', schemaId: -1 },
    { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 11, fieldId: 1000, name: 'ts_day', transform: { kind: 'day' } }] } },
    { action: 'set-default-spec', specId: -1 },
    { action: 'add-sort-order', sortOrder: { orderId: 1, fields: [{ sourceId: 10, transform: { kind: 'bucket', n: 4 }, direction: 'desc', nullOrder: 'nulls-last' }] } },
    { action: 'set-default-sort-order', sortOrderId: -1 },
    { action: 'add-snapshot', snapshot: snap(3051729675574597004n, 1n, 4, { 'first-row-id': 10, 'added-rows': 3 }) },
    { action: 'set-snapshot-ref', refName: 'b', snapshotId: 3051729675574597004n, type: 'branch', minSnapshotsToKeep: 2, maxSnapshotAgeMs: 100, maxRefAgeMs: 200 },
    { action: 'remove-snapshots', snapshotIds: [1n, 3051729675574597004n] },
    { action: 'remove-snapshot-ref', refName: 'b' },
    { action: 'set-location', location: 's3://x' },
    { action: 'set-properties', updates: { a: 'b' } },
    { action: 'remove-properties', removals: ['a'] },
    { action: 'set-statistics', snapshotId: 5n, statistics: { 'snapshot-id': 5n, 'statistics-path': 'p', 'file-size-in-bytes': 1, 'file-footer-size-in-bytes': 1, 'blob-metadata': [] } },
    { action: 'remove-statistics', snapshotId: 5n },
    { action: 'set-partition-statistics', snapshotId: 5n, partitionStatistics: { 'snapshot-id': 5n, 'statistics-path': 'p', 'file-size-in-bytes': 1 } },
    { action: 'remove-partition-statistics', snapshotId: 5n },
    { action: 'remove-partition-specs', specIds: [1, 2] },
    { action: 'remove-schemas', schemaIds: [3] },
  ];
  for (const u of all) assert.deepEqual(updateFromJson(parseJson(stringifyJson(updateToJson(u)))), u, u.action);
  assert.equal(updateToJson(all[10]!)['snapshot-ids'] instanceof Array, true);
  assert.equal(stringifyJson(updateToJson(all[9]!)), '{"action":"set-snapshot-ref","ref-name":"b","snapshot-id":3051729675574597004,"type":"branch","min-snapshots-to-keep":2,"max-snapshot-age-ms":100,"max-ref-age-ms":200}');
  assert.throws(() => updateFromJson({ action: 'add-encryption-key', 'encryption-key': { 'key-id': 'k' } }), invalid(/encryption is not supported/));
  assert.throws(() => updateFromJson({ action: 'set-properties', updates: { a: 1 } }), invalid(/'updates' is missing or of the wrong type/));
  assert.throws(() => updateFromJson({ action: 'set-snapshot-ref', 'ref-name': 'main', 'snapshot-id': 1, type: 'leaf' }), invalid(/'type'/));
  assert.throws(() => updateFromJson({ action: 'add-snapshot', snapshot: { 'snapshot-id': 1 } }), invalid(/'timestamp-ms'/));
});
