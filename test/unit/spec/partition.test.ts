import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildSpec,
  evolvePartitioning,
  partitionKey,
  partitionPath,
  partitioner,
  partitionType,
  sortOrderFromJson,
  sortOrderToJson,
  specTerms,
  specDifference,
  specFromJson,
  specToJson,
  validateSpec,
  type PartitionSpec,
} from '../../../src/spec/partition.js';
import { parseTransform } from '../../../src/spec/transforms.js';
import type { Schema, Value } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES } from '../../helpers/all-types.js';

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'ts', required: false, type: { type: 'timestamptz' } },
    { id: 3, name: 'who', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'name', required: false, type: { type: 'string' } }] } },
    { id: 5, name: 'tags', required: false, type: { type: 'list', elementId: 6, elementRequired: true, element: { type: 'string' } } },
  ],
};

test('partition specs round-trip through JSON, v1 fields get ids from 1000', () => {
  const spec = buildSpec(SCHEMA, [
    { column: 'ts', transform: { kind: 'hour' } },
    { column: 'id', transform: { kind: 'bucket', n: 16 } },
    { column: 'who.name', transform: { kind: 'truncate', width: 2 } },
  ], 3);
  assert.deepEqual(specToJson(spec), {
    'spec-id': 3,
    fields: [
      { name: 'ts_hour', transform: 'hour', 'source-id': 2, 'field-id': 1000 },
      { name: 'id_bucket_16', transform: 'bucket[16]', 'source-id': 1, 'field-id': 1001 },
      { name: 'who_name_trunc_2', transform: 'truncate[2]', 'source-id': 4, 'field-id': 1002 },
    ],
  });
  assert.deepEqual(specFromJson(JSON.parse(JSON.stringify(specToJson(spec)))), spec);
  const v1 = specFromJson({ fields: [{ name: 'a', transform: 'identity', 'source-id': 1 }, { name: 'b', transform: 'day', 'source-ids': [2] }] });
  assert.deepEqual(v1.fields.map((f) => [f.fieldId, f.sourceId]), [[1000, 1], [1001, 2]]);
  assert.deepEqual(specFromJson({ 'spec-id': 1, fields: [{ name: 'z', transform: 'zorder', 'source-id': 1, 'field-id': 1000 }] }).fields[0]?.transform, { kind: 'unknown', name: 'zorder' });
  assert.throws(() => specFromJson({ fields: [{ name: 'a', transform: 'identity' }] }), /'source-id' must be an integer/);
});

test('the partition type has the result types and the partition field ids', () => {
  const spec = buildSpec(SCHEMA, [{ column: 'ts', transform: { kind: 'day' } }, { column: 'id', transform: { kind: 'bucket', n: 4 } }, { column: 'who.name', transform: { kind: 'identity' } }]);
  assert.deepEqual(partitionType(spec, SCHEMA), [
    { id: 1000, name: 'ts_day', required: false, type: { type: 'date' } },
    { id: 1001, name: 'id_bucket_4', required: false, type: { type: 'int' } },
    { id: 1002, name: 'who_name', required: false, type: { type: 'string' } },
  ]);
});

test('tuples come from nested sources by field id; equal tuples have equal keys', () => {
  const spec = buildSpec(SCHEMA, [{ column: 'ts', transform: { kind: 'day' } }, { column: 'who.name', transform: { kind: 'truncate', width: 1 } }]);
  const p = partitioner(spec, SCHEMA);
  const ts = BigInt(Date.parse('2024-01-02T10:00:00Z')) * 1000n;
  const a = p({ id: 1n, ts, who: { name: 'ann' }, tags: null });
  const b = p({ id: 2n, ts: ts + 1n, who: { name: 'alf' }, tags: [] });
  assert.deepEqual(a.values, [19724, 'a']);
  assert.equal(a.key, b.key);
  assert.equal(p.path(a.values), 'ts_day=2024-01-02/who_name_trunc_1=a');
  const c = p({ id: 3n, ts: null, who: null });
  assert.deepEqual(c.values, [null, null]);
  assert.equal(p.path(c.values), 'ts_day=null/who_name_trunc_1=null');
  assert.notEqual(c.key, a.key);
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.bigInt()), { maxLength: 4 }), fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.bigInt()), { maxLength: 4 }), (x, y) => {
      const same = x.length === y.length && x.every((v, i) => v === y[i]);
      assert.equal(partitionKey(x as Value[]) === partitionKey(y as Value[]), same);
    }),
  );
});

test('partition paths URL-encode names and values', () => {
  const spec: PartitionSpec = { specId: 0, fields: [{ sourceId: 4, fieldId: 1000, name: 'who name', transform: { kind: 'identity' } }] };
  const type = partitionType(spec, SCHEMA);
  assert.equal(partitionPath(spec, type, ['a/b c&d=é']), 'who%20name=a%2Fb%20c%26d%3D%C3%A9');
  const months = buildSpec(SCHEMA, [{ column: 'ts', transform: { kind: 'month' } }, { column: 'ts', transform: { kind: 'year' } }]);
  assert.equal(partitioner(months, SCHEMA).path([647, 53]), 'ts_month=2023-12/ts_year=2023');
});

test('specs that Java would refuse are refused with the reason', () => {
  const bad: Array<[PartitionSpec, RegExp]> = [
    [{ specId: 0, fields: [{ sourceId: 99, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }] }, /source column 99 is not in the schema/],
    [{ specId: 0, fields: [{ sourceId: 6, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }] }, /inside a list or map/],
    [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'x', transform: { kind: 'day' } }] }, /day cannot apply to 'id' of type long/],
    [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }, { sourceId: 2, fieldId: 1001, name: 'x', transform: { kind: 'identity' } }] }, /'x' is used twice/],
    [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'x', transform: { kind: 'identity' } }, { sourceId: 2, fieldId: 1000, name: 'y', transform: { kind: 'identity' } }] }, /field id 1000 is used twice/],
    [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'ts', transform: { kind: 'bucket', n: 2 } }] }, /name of schema column 'ts'/],
    [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'z', transform: { kind: 'unknown', name: 'zorder' } }] }, /'zorder' is not supported/],
  ];
  for (const [spec, re] of bad) assert.throws(() => validateSpec(spec, SCHEMA), (e) => isFloeError(e, 'SCHEMA_INVALID') && re.test(e.message), re.source);
  validateSpec({ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id', transform: { kind: 'identity' } }] }, SCHEMA);
  assert.throws(() => buildSpec(ALL_TYPES, [{ column: 'tags', transform: { kind: 'identity' } }]), /expected a primitive type, got list/);
  assert.throws(() => buildSpec(SCHEMA, [{ column: 'id', transform: { kind: 'bucket', n: 2 }, name: 'ts' }]), /name of schema column 'ts'/);
});

test('sort orders round-trip through JSON', () => {
  const j = {
    'order-id': 1,
    fields: [
      { transform: 'identity', 'source-id': 2, direction: 'asc', 'null-order': 'nulls-first' },
      { transform: 'bucket[4]', 'source-id': 3, direction: 'desc', 'null-order': 'nulls-last' },
    ],
  };
  const o = sortOrderFromJson(j);
  assert.deepEqual(o.fields[1], { sourceId: 3, transform: { kind: 'bucket', n: 4 }, direction: 'desc', nullOrder: 'nulls-last' });
  assert.deepEqual(sortOrderToJson(o), j);
});

test('specDifference: alike when sources and transforms match in order (names aside); else both sides in words', () => {
  const parts = [
    { column: 'ts', transform: { kind: 'day' as const } },
    { column: 'who.name', transform: { kind: 'bucket' as const, n: 16 } },
  ];
  const table = buildSpec(SCHEMA, parts, 3);
  assert.deepEqual(specTerms(table, SCHEMA), ['day(ts)', 'bucket(16, who.name)']);
  assert.equal(specDifference(table, SCHEMA, parts), undefined);
  const renamed: PartitionSpec = { specId: 3, fields: table.fields.map((f) => ({ ...f, name: `${f.name}_x`, fieldId: f.fieldId + 7 })) };
  assert.equal(specDifference(renamed, SCHEMA, parts), undefined, 'partition field names and ids do not matter');
  assert.equal(specDifference(table, SCHEMA, [parts[0]!, { column: 'who.name', transform: { kind: 'bucket', n: 8 } }]), 'the table is partitioned by [day(ts), bucket(16, who.name)]; the mapping says [day(ts), bucket(8, who.name)]');
  assert.equal(specDifference(table, SCHEMA, [parts[1]!, parts[0]!]), 'the table is partitioned by [day(ts), bucket(16, who.name)]; the mapping says [bucket(16, who.name), day(ts)]');
  assert.equal(specDifference({ specId: 0, fields: [] }, SCHEMA, [{ column: 'id', transform: { kind: 'identity' } }]), 'the table is unpartitioned; the mapping says [id]');
  assert.equal(specDifference(table, SCHEMA, []), 'the table is partitioned by [day(ts), bucket(16, who.name)]; the mapping says none');
  assert.match(specDifference(table, SCHEMA, [{ column: 'nope', transform: { kind: 'identity' } }]) ?? '', /partition column 'nope' is not in the table schema/);
});

test('evolvePartitioning: field ids of fields the table had are reused, new ones follow the last; an equal older spec is reused; alike is undefined', () => {
  const day = { column: 'ts', transform: parseTransform('day') };
  const bucket = { column: 'id', transform: parseTransform('bucket[8]') };
  const hour = { column: 'ts', transform: parseTransform('hour') };
  const spec0 = buildSpec(SCHEMA, [day]);
  const meta = { partitionSpecs: [spec0], defaultSpecId: 0, lastPartitionId: 1000 };
  assert.equal(evolvePartitioning(meta, SCHEMA, [day]), undefined, 'already partitioned so');
  const one = evolvePartitioning(meta, SCHEMA, [day, bucket]);
  assert.deepEqual(one, { existing: false, spec: { specId: 1, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: parseTransform('day') }, { sourceId: 1, fieldId: 1001, name: 'id_bucket_8', transform: parseTransform('bucket[8]') }] } });
  // Then hour(ts) only: a new field id; then back to [day, bucket]: spec 1 again, nothing added.
  const meta1 = { partitionSpecs: [spec0, (one as NonNullable<typeof one>).spec], defaultSpecId: 1, lastPartitionId: 1001 };
  const two = evolvePartitioning(meta1, SCHEMA, [hour]);
  assert.deepEqual(two?.spec.fields.map((f) => [f.fieldId, f.name]), [[1002, 'ts_hour']]);
  assert.equal(two?.spec.specId, 2);
  const meta2 = { partitionSpecs: [...meta1.partitionSpecs, (two as NonNullable<typeof two>).spec], defaultSpecId: 2, lastPartitionId: 1002 };
  assert.deepEqual(evolvePartitioning(meta2, SCHEMA, [day, bucket]), { existing: true, spec: meta1.partitionSpecs[1] });
  // bucket first, then day: the same fields in another order are another spec, with the old ids.
  const three = evolvePartitioning(meta2, SCHEMA, [bucket, day]);
  assert.deepEqual([three?.existing, three?.spec.specId, three?.spec.fields.map((f) => f.fieldId)], [false, 3, [1001, 1000]]);
  // Unpartitioned is a spec too; a column that is not there is refused with the reason.
  assert.deepEqual(evolvePartitioning(meta2, SCHEMA, []), { existing: false, spec: { specId: 3, fields: [] } });
  assert.throws(() => evolvePartitioning(meta2, SCHEMA, [{ column: 'nope', transform: parseTransform('identity') }]), /partition column 'nope' is not in the table schema/);
});
