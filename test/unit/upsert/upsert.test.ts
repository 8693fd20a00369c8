/**
 * Upsert mode (D28): the batch buffer keeps the newest row per key; the key is checked against
 * the schema; and batches committed as rows plus equality deletes of their keys read back, by
 * Iceberg's sequence-number rule, as the newest row of every key, also after the table's
 * manifests were merged (whose older entries must keep their own sequence numbers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TableWriter, type TableIdent } from '../../../src/iceberg/index.js';
import { decodeManifest, decodeManifestList } from '../../../src/iceberg/manifest.js';
import { readDataFile } from '../../../src/parquet/read.js';
import { ancestors, branchHead, currentSchema, defaultSpec, specById, type TableMetadata } from '../../../src/spec/metadata.js';
import { buildSpec, partitionType } from '../../../src/spec/partition.js';
import type { Schema, Value } from '../../../src/spec/types.js';
import { planUpsert, upsertTableSchema, UpsertBuffer } from '../../../src/upsert/index.js';
import type { FileIO } from '../../../src/io/file-io.js';
import { startTestCatalog } from '../../helpers/catalog.js';

const VALUE: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: false, type: { type: 'long' } },
    { id: 2, name: 'v', required: false, type: { type: 'string' } },
    { id: 3, name: 'op', required: false, type: { type: 'string' } },
    { id: 4, name: 'score', required: false, type: { type: 'double' } },
  ],
};
const CFG = { key: ['id'], deleteWhen: { field: 'op', equals: 'd' } };

test('the buffer keeps the newest row per key; a delete keeps the key and drops the row; a row without its key adds nothing', () => {
  const b = new UpsertBuffer(planUpsert(CFG, VALUE, 'mappings[0]'));
  assert.equal(b.add({ id: 1n, v: 'a', op: 'u' }, 10), false);
  b.add({ id: 2n, v: 'b', op: 'u' }, 10);
  b.add({ id: 1n, v: 'c', op: 'u' }, 12);
  assert.equal(b.add({ id: 2n, v: null, op: 'd' }, 8), true);
  b.add({ id: 3n, v: 'x', op: 'd' }, 8);
  b.add({ id: 3n, v: 'y', op: 'u' }, 8);
  assert.throws(() => b.add({ id: null, v: 'z', op: 'u' }, 8), /upsert key field 'id' is null/);
  assert.equal(b.size, 3);
  assert.ok(b.bufferedBytes > 12 + 8 + 8, 'the newest record of each key is counted');
  const { rows, keys } = b.drain();
  assert.deepEqual(rows, [{ id: 1n, v: 'c', op: 'u' }, { id: 3n, v: 'y', op: 'u' }]);
  assert.deepEqual(keys, [{ id: 1n }, { id: 2n }, { id: 3n }]);
  assert.equal(b.bufferedBytes, 0);
  assert.equal(b.size, 0);
});

test('the key must be a top-level primitive other than float and double; deleteWhen must name a field; the table schema makes the key required and its identifier', () => {
  assert.throws(() => planUpsert({ key: ['nope'] }, VALUE, 'mappings[1]'), /mappings\[1\]\.upsert\.key\[0\]: 'nope' is not a field of the table \(its fields: id, v, op, score\)$/);
  assert.throws(() => planUpsert({ key: ['id', 'score'] }, VALUE, 'mappings[1]'), /mappings\[1\]\.upsert\.key\[1\]: 'score' is a double; a key field must be a primitive other than float and double/);
  assert.throws(() => planUpsert({ key: ['id'], deleteWhen: { field: 'gone', equals: 'x' } }, VALUE, 'mappings[1]'), /mappings\[1\]\.upsert\.deleteWhen\.field: 'gone' is not a field of the table/);
  const s = upsertTableSchema(VALUE, { key: ['v', 'id'] }, 'mappings[0]');
  assert.deepEqual(s.identifierFieldIds, [2, 1]);
  assert.deepEqual(s.fields.map((f) => f.required), [true, true, false, false]);
});

/** The table as an engine reads it: the rows of live data files not deleted by an equality delete of a later sequence number in their partition. */
async function mergeOnRead(io: FileIO, meta: TableMetadata): Promise<Map<string, string>> {
  const head = branchHead(meta);
  const schema = currentSchema(meta);
  const data: Array<{ seq: bigint; part: string; rows: Array<{ [k: string]: Value }> }> = [];
  const deletes: Array<{ seq: bigint; part: string; keys: Set<string> }> = [];
  for (const m of decodeManifestList(await io.read(head?.manifestList as string))) {
    const spec = specById(meta, m.partition_spec_id);
    assert.ok(spec);
    for (const e of decodeManifest(await io.read(m.manifest_path), partitionType(spec, schema))) {
      if (e.status === 2) continue;
      const seq = e.sequenceNumber ?? m.sequence_number;
      const part = JSON.stringify(e.file.partition, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      const rows = readDataFile(await io.read(e.file.filePath), e.file.content === 2 ? { fields: schema.fields.filter((f) => e.file.equalityIds?.includes(f.id)) } : schema);
      assert.equal(m.content, e.file.content === 0 ? 0 : 1, 'delete files are listed by delete manifests only');
      if (e.file.content === 2) {
        assert.deepEqual(e.file.equalityIds, [1]);
        deletes.push({ seq, part, keys: new Set(rows.map((r) => String(r.id))) });
      } else data.push({ seq, part, rows });
    }
  }
  const out = new Map<string, string>();
  for (const d of data) {
    for (const r of d.rows) {
      if (deletes.some((x) => x.seq > d.seq && x.part === d.part && x.keys.has(String(r.id)))) continue;
      assert.ok(!out.has(String(r.id)), `key ${String(r.id)} read twice`);
      out.set(String(r.id), String(r.v));
    }
  }
  return out;
}

test('batches of rows and equality deletes read back as the newest row of every key, with merged manifests', async () => {
  const c = await startTestCatalog();
  try {
    const ops = c.ops;
    await c.client.createNamespace(['db']);
    const schema = upsertTableSchema(VALUE, CFG, 'mappings[0]');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.boolean()), { maxLength: 15 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (batches, partitioned) => {
          const ident: TableIdent = { namespace: ['db'], name: `t${n++}` };
          // Manifests merged every second commit: older entries must keep their sequence numbers.
          await ops.create(ident, { schema, ...(partitioned ? { spec: buildSpec(schema, [{ column: 'id', transform: { kind: 'bucket', n: 3 } }]) } : {}), properties: { 'commit.manifest.min-count-to-merge': '2' } });
          const expected = new Map<string, string>();
          let i = 0;
          for (const batch of batches) {
            const meta = (await ops.load(ident)).metadata;
            const plan = planUpsert(CFG, currentSchema(meta), 'mappings[0]');
            const buf = new UpsertBuffer(plan);
            for (const [id, del] of batch) {
              const v = `v${i++}`;
              buf.add({ id: BigInt(id), v, op: del ? 'd' : 'u', score: null }, 10);
              if (del) expected.delete(String(id));
              else expected.set(String(id), v);
            }
            const { rows, keys } = buf.drain();
            const w = new TableWriter(meta, c.io);
            for (const r of rows) await w.write(r);
            const d = new TableWriter(meta, c.io, {}, { schema: plan.deleteSchema, equalityIds: plan.equalityIds });
            for (const k of keys) await d.write(k);
            const files = [...(await w.close()), ...(await d.close())];
            assert.equal(defaultSpec(meta).fields.length, partitioned ? 1 : 0);
            await ops.append(ident, { files, operation: 'overwrite' });
          }
          const meta = (await ops.load(ident)).metadata;
          assert.deepEqual(await mergeOnRead(c.io, meta), expected);
          for (const s of ancestors(meta, branchHead(meta))) {
            assert.equal(s.summary.operation, 'overwrite');
            const keys = Number(s.summary['added-equality-deletes'] ?? 0);
            assert.equal(Number(s.summary['added-equality-delete-files'] ?? 0) > 0, keys > 0);
          }
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    await c.close();
  }
});
