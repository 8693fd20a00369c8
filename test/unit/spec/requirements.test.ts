import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRequirement, checkRequirements, requirementFromJson, requirementToJson, type TableRequirement } from '../../../src/spec/requirements.js';
import { applyUpdates, type TableUpdate } from '../../../src/spec/updates.js';
import { newTableMetadata } from '../../../src/spec/create.js';
import { ancestorsOf, currentSnapshot, latestWithSummaryKey, metadataFromJson, schemaById, snapshotById, sortOrderById, specById, type TableMetadata } from '../../../src/spec/metadata.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import { isFloeError } from '../../../src/errors.js';

const base = (): TableMetadata =>
  newTableMetadata({
    location: 's3://wh/t',
    schema: { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] },
    spec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: { kind: 'bucket', n: 4 } }] },
    tableUuid: 'ce5e5b8e-1d2f-4c2a-9f0e-0d9f4a9a7b11',
    now: 1,
  });

const append = (m: TableMetadata, id: bigint, summary: Record<string, string> = {}): TableUpdate[] => [
  {
    action: 'add-snapshot',
    snapshot: { snapshotId: id, ...(m.currentSnapshotId === undefined ? {} : { parentSnapshotId: m.currentSnapshotId }), sequenceNumber: m.lastSequenceNumber + 1, timestampMs: 10, manifestList: `ml-${id}`, summary: { operation: 'append', ...summary } },
  },
  { action: 'set-snapshot-ref', refName: 'main', snapshotId: id, type: 'branch' },
];

const fails = (re: RegExp) => (e: unknown) => isFloeError(e, 'REQUIREMENT_FAILED') && re.test(e.message);

test('each requirement passes on matching metadata and fails naming itself otherwise', () => {
  const m = applyUpdates(base(), append(base(), 7n));
  const pass: TableRequirement[] = [
    { type: 'assert-table-uuid', uuid: 'CE5E5B8E-1D2F-4C2A-9F0E-0D9F4A9A7B11' },
    { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 7n },
    { type: 'assert-ref-snapshot-id', ref: 'dev', snapshotId: null },
    { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 1 },
    { type: 'assert-current-schema-id', currentSchemaId: 0 },
    { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 1000 },
    { type: 'assert-default-spec-id', defaultSpecId: 0 },
    { type: 'assert-default-sort-order-id', defaultSortOrderId: 0 },
  ];
  checkRequirements(m, pass);
  checkRequirement(undefined, { type: 'assert-create' });
  const fail: Array<[TableRequirement, RegExp]> = [
    [{ type: 'assert-create' }, /table already exists \(assert-create\)/],
    [{ type: 'assert-table-uuid', uuid: 'other' }, /UUID does not match: expected other != ce5e5b8e/],
    [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 6n }, /branch main has changed: expected id 6 != 7 \(assert-ref-snapshot-id\)/],
    [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null }, /branch main was created concurrently/],
    [{ type: 'assert-ref-snapshot-id', ref: 'dev', snapshotId: 7n }, /branch or tag dev is missing, expected 7/],
    [{ type: 'assert-last-assigned-field-id', lastAssignedFieldId: 2 }, /last assigned field id changed: expected id 2 != 1 \(assert-last-assigned-field-id\)/],
    [{ type: 'assert-current-schema-id', currentSchemaId: 1 }, /current schema changed: expected id 1 != 0/],
    [{ type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 999 }, /last assigned partition id changed/],
    [{ type: 'assert-default-spec-id', defaultSpecId: 2 }, /default partition spec changed/],
    [{ type: 'assert-default-sort-order-id', defaultSortOrderId: 1 }, /default sort order changed/],
  ];
  for (const [r, re] of fail) assert.throws(() => checkRequirement(m, r), fails(re), r.type);
  assert.throws(() => checkRequirement(undefined, { type: 'assert-table-uuid', uuid: 'x' }), fails(/the table does not exist/));
  checkRequirement(undefined, { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 3 });
  assert.throws(() => checkRequirements(m, [...pass, fail[1]![0]]), fails(/UUID/));
});

test('requirements round-trip through their REST JSON', () => {
  const all: Array<Record<string, unknown>> = [
    { type: 'assert-create' },
    { type: 'assert-table-uuid', uuid: 'u' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3051729675574597004n },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
    { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
    { type: 'assert-current-schema-id', 'current-schema-id': 1 },
    { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1001 },
    { type: 'assert-default-spec-id', 'default-spec-id': 0 },
    { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
  ];
  for (const r of all) assert.deepEqual(requirementToJson(requirementFromJson(parseJson(stringifyJson(r)))), r);
  assert.deepEqual(requirementFromJson({ type: 'assert-ref-snapshot-id', ref: 'main' }), { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null });
  assert.throws(() => requirementFromJson({ type: 'assert-current-schema-id' }), (e) => isFloeError(e, 'UPDATE_INVALID') && /'current-schema-id' must be a number/.test(e.message));
  assert.throws(() => requirementFromJson({ type: 'assert-everything' }), /unknown requirement type 'assert-everything'/);
});

test('concurrent writers on one base: assert-ref-snapshot-id lets exactly one land (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (writers, schedule) => {
      // Each writer read the table at some point; it commits against what it read, retrying after a refusal.
      let t = base();
      let next = 1n;
      const view = Array.from({ length: writers }, () => t);
      const landed: bigint[] = [];
      for (const pick of schedule) {
        const w = pick % writers;
        const seen = view[w] as TableMetadata;
        try {
          checkRequirement(t, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: seen.currentSnapshotId ?? null });
          const id = next++;
          t = applyUpdates(t, append(seen, id));
          landed.push(id);
        } catch (e) {
          assert.ok(isFloeError(e, 'REQUIREMENT_FAILED'));
        }
        view[w] = t; // after a commit or a refusal, the writer reloads
      }
      // Every landed commit built on the previous head: one linear history, nothing lost.
      assert.deepEqual(ancestorsOf(t).map((s) => s.snapshotId), [...landed].reverse());
      assert.equal(t.lastSequenceNumber, landed.length);
    }),
  );
});

test('metadata helpers: ancestry of main, the newest snapshot with a summary key, lookups by id', () => {
  let m = base();
  m = applyUpdates(m, append(m, 1n, { 'floe.offsets.g': '{"t":{"0":5}}' }));
  m = applyUpdates(m, append(m, 2n, { 'floe.offsets.g': '{"t":{"0":9}}' }));
  m = applyUpdates(m, append(m, 3n));
  assert.equal(currentSnapshot(m)?.snapshotId, 3n);
  assert.deepEqual(ancestorsOf(m).map((s) => s.snapshotId), [3n, 2n, 1n]);
  assert.deepEqual(ancestorsOf(m, 2n).map((s) => s.snapshotId), [2n, 1n]);
  assert.deepEqual(ancestorsOf(m, 99n), []);
  assert.equal(latestWithSummaryKey(m, 'floe.offsets.g')?.snapshotId, 2n);
  assert.equal(latestWithSummaryKey(m, 'floe.offsets.other'), undefined);
  assert.equal(snapshotById(m, 1n)?.manifestList, 'ml-1');
  assert.equal(schemaById(m, 0)?.fields[0]?.name, 'id');
  assert.equal(specById(m, 0)?.fields[0]?.name, 'id_bucket');
  assert.equal(sortOrderById(m, 0)?.fields.length, 0);
  assert.equal(specById(m, 5), undefined);
});

test('v3 metadata reads with its extra fields kept; unsupported versions are refused', () => {
  const v3 = metadataFromJson({
    'format-version': 3, 'table-uuid': 'u', location: 's3://t', 'last-sequence-number': 1, 'last-updated-ms': 1, 'last-column-id': 1,
    schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'ts', required: false, type: 'timestamptz_ns' }] }], 'current-schema-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }], 'default-spec-id': 0, 'last-partition-id': 999, 'sort-orders': [{ 'order-id': 0, fields: [] }], 'default-sort-order-id': 0,
    'next-row-id': 42, 'encryption-keys': [{ 'key-id': 'k', 'encrypted-key-metadata': 'AA==' }],
    snapshots: [{ 'snapshot-id': 1, 'sequence-number': 1, 'timestamp-ms': 1, 'manifest-list': 'ml', summary: { operation: 'append' }, 'first-row-id': 0, 'added-rows': 42 }],
    'current-snapshot-id': 1,
  });
  assert.equal(v3.nextRowId, 42n);
  assert.deepEqual(v3.refs.main, { snapshotId: 1n, type: 'branch' });
  assert.deepEqual(v3.snapshots[0]?.extra, { 'first-row-id': 0, 'added-rows': 42 });
  assert.ok(Array.isArray(v3.extra['encryption-keys']));
  assert.throws(() => metadataFromJson({ 'format-version': 4 }), (e) => isFloeError(e, 'METADATA_INVALID') && /format-version 4/.test(e.message));
});
