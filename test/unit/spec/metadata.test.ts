import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import { schemaFromJson, schemaToJson, assignFreshIds, indexById } from '../../../src/spec/schema.js';
import { ancestors, branchHead, metadataFromJson, metadataText, metadataToJson, type TableMetadata } from '../../../src/spec/metadata.js';
import { checkRequirement, requirementFromJson, requirementToJson } from '../../../src/spec/requirements.js';
import { applyUpdates, updateFromJson, updateToJson, type TableUpdate } from '../../../src/spec/updates.js';
import { buildSpec, partitioner } from '../../../src/spec/partition.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../../helpers/all-types.js';
import { tableMetadataJson } from '../../helpers/metadata.js';

test('JSON keeps 64-bit snapshot ids exact both ways', () => {
  const text = '{"snapshot-id":3051729675574597004,"small":12,"neg":-9007199254740993,"s":"9007199254740993","f":1.5e+300}';
  const v = parseJson(text) as Record<string, unknown>;
  assert.equal(v['snapshot-id'], 3051729675574597004n);
  assert.equal(v.small, 12);
  assert.equal(v.neg, -9007199254740993n);
  assert.equal(v.s, '9007199254740993');
  assert.equal(stringifyJson(v), text);
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (b) => assert.equal((parseJson(stringifyJson({ b })) as { b: bigint | number }).b.toString(), b.toString())));
});

test('schemas round-trip through the spec JSON form', () => {
  const json = schemaToJson(ALL_TYPES);
  assert.deepEqual(schemaToJson(schemaFromJson(JSON.parse(JSON.stringify(json)))), json);
  assert.equal((json.fields as Array<{ type: unknown }>)[5]?.type, 'decimal(9,2)');
  const fresh = assignFreshIds({ schemaId: 0, fields: [{ id: 7, name: 'a', required: true, type: { type: 'struct', fields: [{ id: 9, name: 'b', required: false, type: { type: 'int' } }] } }, { id: 8, name: 'c', required: false, type: { type: 'int' } }] });
  assert.deepEqual([...indexById(fresh.fields).entries()].map(([id, f]) => `${id}:${f.path}`), ['1:a', '3:a.b', '2:c']);
});

const base = (): TableMetadata =>
  metadataFromJson({
    'format-version': 2,
    'table-uuid': 'ce5e5b8e-1d2f-4c2a-9f0e-0d9f4a9a7b11',
    location: 's3://wh/db/t',
    'last-sequence-number': 0,
    'last-updated-ms': 1,
    'last-column-id': 2,
    'current-schema-id': 0,
    schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'ts', required: false, type: 'timestamptz' }] }],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [{ name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 }] }],
    'last-partition-id': 1000,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: {},
    'current-snapshot-id': -1,
    snapshots: [],
    'statistics': [],
    'some-future-key': { kept: true },
  });

const append = (id: bigint, parent: bigint | undefined, seq: number): TableUpdate[] => [
  { action: 'add-snapshot', snapshot: { snapshotId: id, ...(parent ? { parentSnapshotId: parent } : {}), sequenceNumber: seq, timestampMs: 1000 + seq, manifestList: `s3://wh/db/t/metadata/snap-${id}.avro`, summary: { operation: 'append' } } },
  { action: 'set-snapshot-ref', refName: 'main', snapshotId: id, type: 'branch' },
];

test('metadata round-trips, keeps unknown keys, and reads v1', () => {
  const m = base();
  const again = metadataFromJson(parseJson(stringifyJson(metadataToJson(m))));
  assert.deepEqual(again, m);
  assert.deepEqual(metadataToJson(m)['some-future-key'], { kept: true });
  const v1 = metadataFromJson({ 'format-version': 1, location: '/t', 'last-updated-ms': 0, 'last-column-id': 1, schema: { type: 'struct', fields: [{ id: 1, name: 'a', required: false, type: 'int' }] }, 'partition-spec': [], properties: {} });
  assert.equal(v1.schemas.length, 1);
  assert.equal(v1.partitionSpecs[0]?.fields.length, 0);
});

test('appends chain snapshots; assert-ref-snapshot-id behaves as compare-and-swap', () => {
  let m = base();
  checkRequirement(m, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null });
  m = applyUpdates(m, append(3051729675574597004n, undefined, 1));
  assert.throws(() => checkRequirement(m, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null }), (e) => isFloeError(e, 'REQUIREMENT_FAILED'));
  checkRequirement(m, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 3051729675574597004n });
  m = applyUpdates(m, append(2n, 3051729675574597004n, 2));
  assert.deepEqual([...ancestors(m, branchHead(m))].map((s) => s.snapshotId), [2n, 3051729675574597004n]);
  assert.equal(m.lastSequenceNumber, 2);
  assert.equal(m.snapshotLog.length, 2);
  assert.throws(() => applyUpdates(m, append(3n, 2n, 2)), /older than last sequence number/);
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 12 }), (stale) => {
      // Writers that build on a stale head are refused; only ones on the current head land.
      let t = base();
      let head: bigint | null = null;
      let landed = 0;
      stale.forEach((isStale, i) => {
        const expect = isStale ? 999n : head;
        try {
          checkRequirement(t, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: expect });
          t = applyUpdates(t, append(BigInt(i + 1), head ?? undefined, t.lastSequenceNumber + 1));
          head = BigInt(i + 1);
          landed++;
        } catch (e) {
          assert.ok(isFloeError(e, 'REQUIREMENT_FAILED'));
        }
      });
      assert.equal([...ancestors(t, branchHead(t))].length, landed);
    }),
  );
});

test('requirements and updates round-trip through their REST JSON', () => {
  const reqs = [
    { type: 'assert-create' },
    { type: 'assert-table-uuid', uuid: 'u' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3051729675574597004n },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
    { type: 'assert-current-schema-id', 'current-schema-id': 1 },
  ];
  for (const r of reqs) assert.deepEqual(requirementToJson(requirementFromJson(r)), r);
  for (const u of [...append(5n, 4n, 3), { action: 'set-properties', updates: { a: 'b' } } as TableUpdate, { action: 'remove-properties', removals: ['a'] } as TableUpdate]) {
    assert.deepEqual(updateFromJson(parseJson(stringifyJson(updateToJson(u)))), u);
  }
  assert.throws(() => updateFromJson({ action: 'explode' }), /unknown or unsupported update action 'explode'/);
});

test('a partitioner computes tuples and paths for rows', () => {
  const spec = buildSpec(ALL_TYPES, [
    { column: 'tstz', transform: { kind: 'day' } },
    { column: 'id', transform: { kind: 'bucket', n: 4 } },
    { column: 'st.a', transform: { kind: 'identity' } },
  ]);
  const p = partitioner(spec, ALL_TYPES);
  const t = p(ALL_TYPES_ROWS[3] as never);
  assert.equal(p.path(t.values), `tstz_day=2023-11-14/id_bucket_4=${t.values[1]}/st_a=5`);
  assert.deepEqual(p(ALL_TYPES_ROWS[2] as never).values.map((v) => v === null), [true, false, true]);
  assert.throws(() => buildSpec(ALL_TYPES, [{ column: 'nope', transform: { kind: 'identity' } }]), /partition column 'nope' is not in the table schema/);
  assert.throws(() => buildSpec(ALL_TYPES, [{ column: 'name', transform: { kind: 'day' } }]), /cannot apply to type string/);
});

test('metadataText is stringifyJson(metadataToJson(m)) in every format version, with snapshots cached across commits', () => {
  for (const version of [1, 2, 3]) {
    const base: Record<string, unknown> = { ...tableMetadataJson('s3://wh/db/t', { 'a"b': 'c\\d' }), 'format-version': version, 'current-snapshot-id': -1, 'some-future-key': { x: [1, 9223372036854775807n] } };
    if (version === 1) Object.assign(base, { schema: (base.schemas as unknown[])[0], 'partition-spec': [] });
    let m = metadataFromJson(base);
    assert.equal(metadataText(m), stringifyJson(metadataToJson(m)), `v${version}, no snapshots`);
    for (let i = 1; i <= 3; i++) {
      const snapshot = { snapshotId: 9_000_000_000_000_000_000n + BigInt(i), ...(i > 1 ? { parentSnapshotId: 9_000_000_000_000_000_000n + BigInt(i - 1) } : {}), sequenceNumber: i, timestampMs: 1_000 * i, manifestList: `s3://wh/db/t/metadata/snap-${i}.avro`, summary: { operation: 'append', 'floe.offsets.g': `{"t":{"0":${i}}}` }, schemaId: 0, ...(version >= 3 ? { extra: { 'first-row-id': 10 * (i - 1), 'added-rows': 10 } } : {}) };
      m = applyUpdates(m, [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', refName: 'main', snapshotId: snapshot.snapshotId, type: 'branch' },
      ]);
      const text = metadataText(m);
      assert.equal(text, stringifyJson(metadataToJson(m)), `v${version} after commit ${i}`);
      assert.equal(metadataText(m), text, 'again, from the cache');
      if (version >= 2) assert.deepEqual(metadataFromJson(parseJson(text)), m); // (v1 has no sequence numbers)
    }
  }
});
