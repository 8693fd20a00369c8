/**
 * Another engine changes a table's partitioning while Floe has files open (written with the old
 * spec): the append lists those files under the spec they were written with, and files of the
 * new spec in the same commit under the new one; compaction moves an older spec's small files into
 * the current spec. Embedded catalog in-process, `file://` warehouse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableWriter, decodeManifest, decodeManifestList, type TableIdent } from '../../../src/iceberg/index.js';
import { branchHead, currentSchema, specById } from '../../../src/spec/metadata.js';
import { partitionType } from '../../../src/spec/partition.js';
import { parseTransform } from '../../../src/spec/transforms.js';
import type { Schema } from '../../../src/spec/types.js';
import { compactTable } from '../../../src/maintenance/index.js';
import { readDataFile } from '../../../src/parquet/read.js';
import { startTestCatalog } from '../../helpers/catalog.js';

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'cat', required: false, type: { type: 'string' } },
  ],
};

test('append: files keep the partition spec they were written with when another engine changes the default spec', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const ident: TableIdent = { namespace: ['db'], name: 't' };
    const created = await c.ops.create(ident, { schema: SCHEMA, spec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'cat', transform: parseTransform('identity') }] } });
    // A batch opens on spec 0 (identity(cat)).
    const old = new TableWriter(created.metadata, c.io);
    for (let i = 0; i < 6; i++) await old.write({ id: BigInt(i), cat: i % 2 ? 'a' : 'b' });
    // Meanwhile another engine repartitions: bucket(4, id) only, the new default.
    const evolved = await c.client.commitTable(ident, [{ type: 'assert-default-spec-id', defaultSpecId: 0 }], [
      { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: parseTransform('bucket[4]') }] } },
      { action: 'set-default-spec', specId: -1 },
    ]);
    assert.equal(evolved.metadata.defaultSpecId, 1);
    const fresh = new TableWriter(evolved.metadata, c.io);
    for (let i = 6; i < 10; i++) await fresh.write({ id: BigInt(i), cat: 'c' });
    const files = [...(await old.close()), ...(await fresh.close())];
    assert.deepEqual([...new Set(files.map((f) => f.specId))].sort(), [0, 1]);

    const res = await c.ops.append(ident, { files, loaded: evolved });
    const meta = res.metadata;
    const list = decodeManifestList(await c.io.read(branchHead(meta)?.manifestList as string));
    const read = await Promise.all(
      list.map(async (m) => ({
        spec: m.partition_spec_id,
        partitions: decodeManifest(await c.io.read(m.manifest_path), partitionType(specById(meta, m.partition_spec_id) ?? assert.fail(`spec ${m.partition_spec_id}`), currentSchema(meta)))
          .map((e) => e.file.partition.map(String).join('/'))
          .sort(),
      })),
    );
    read.sort((a, b) => a.spec - b.spec);
    // Spec 0's files are partitioned by cat; spec 1's by the id's bucket (ids 6..9).
    assert.deepEqual(read[0], { spec: 0, partitions: ['a', 'b'] });
    assert.equal(read[1]?.spec, 1);
    assert.ok(read[1]?.partitions.every((p) => /^[0-3]$/.test(p)), JSON.stringify(read[1]));
    assert.equal(list.reduce((n, m) => n + Number(m.added_rows_count), 0), 10);
  } finally {
    await c.close();
  }
});

test('compaction rewrites the small files of a partition of an older spec into the current spec', async () => {
  const c = await startTestCatalog();
  try {
    await c.client.createNamespace(['db']);
    const ident: TableIdent = { namespace: ['db'], name: 'old' };
    let loaded = await c.ops.create(ident, { schema: SCHEMA, spec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'cat', transform: parseTransform('identity') }] } });
    for (let i = 0; i < 3; i++) {
      const w = new TableWriter(loaded.metadata, c.io);
      for (let j = 0; j < 4; j++) await w.write({ id: BigInt(i * 4 + j), cat: 'a' });
      const res = await c.ops.append(ident, { files: await w.close(), loaded });
      loaded = { ...loaded, metadata: res.metadata, metadataLocation: res.metadataLocation };
    }
    await c.client.commitTable(ident, [{ type: 'assert-default-spec-id', defaultSpecId: 0 }], [
      { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: parseTransform('bucket[2]') }] } },
      { action: 'set-default-spec', specId: -1 },
    ]);
    const r = await compactTable(c.ops, ident, { minFiles: 2 });
    assert.deepEqual([r.filesIn, r.rowsIn, r.rowsOut], [3, 12, 12]);
    const meta = (await c.ops.load(ident)).metadata;
    const live: Array<{ spec: number; ids: bigint[] }> = [];
    for (const m of decodeManifestList(await c.io.read(branchHead(meta)?.manifestList as string))) {
      const spec = specById(meta, m.partition_spec_id) ?? assert.fail(`spec ${m.partition_spec_id}`);
      for (const e of decodeManifest(await c.io.read(m.manifest_path), partitionType(spec, currentSchema(meta)))) {
        if (e.status === 2) continue;
        live.push({ spec: spec.specId, ids: readDataFile(await c.io.read(e.file.filePath), currentSchema(meta)).map((row) => row.id as bigint) });
      }
    }
    assert.ok(live.every((f) => f.spec === 1), `only files of the current spec are live: ${JSON.stringify(live.map((f) => f.spec))}`);
    assert.deepEqual(
      live.flatMap((f) => f.ids).sort((a, b) => Number(a - b)),
      Array.from({ length: 12 }, (_, i) => BigInt(i)),
    );
  } finally {
    await c.close();
  }
});
