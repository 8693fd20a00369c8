/**
 * The embedded catalog with an S3 warehouse (the s3 service), used by Floe's writer and by
 * PyIceberg: each reads the other's writes value by value. PyIceberg authenticates with OAuth2
 * client credentials and gets its S3 settings only from the catalog (vended in the table config);
 * it also creates a table through a staged create committed with assert-create.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableWriter, parseIdent } from '../../src/iceberg/index.js';
import { schemaToJson } from '../../src/spec/schema.js';
import type { Schema } from '../../src/spec/types.js';
import { pyiceberg } from '../helpers/engines.js';
import { startTestCatalog } from '../helpers/catalog.js';
import { skipUnless, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('s3', 'pyiceberg');

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'name', required: false, type: { type: 'string' } },
    { id: 3, name: 'ts', required: false, type: { type: 'timestamptz' } },
  ],
};

/** PyIceberg with only the catalog's URI and a client credential: no S3 settings of its own. */
const PY_CATALOG = (uri: string) => `
from pyiceberg.catalog import load_catalog
def cat():
    return load_catalog("embedded", **{"type": "rest", "uri": "${uri}", "credential": "pyiceberg:py-secret"})
`;

test('Floe and PyIceberg share the embedded catalog on S3, with OAuth2 and vended credentials', { skip, timeout: 300_000 }, async () => {
  const c = await startTestCatalog({ warehouse: 's3', vend: true, auth: { clients: [{ id: 'floe', secret: 'floe-secret' }, { id: 'pyiceberg', secret: 'py-secret' }] } });
  try {
    const { RestCatalog, TableOps } = await import('../../src/iceberg/index.js');
    const client = new RestCatalog({ uri: c.url, oauth2: { clientId: 'floe', clientSecret: 'floe-secret' } });
    const ops = new TableOps(client, c.io);
    const ns = uniqueName('cats3');
    await client.createNamespace([ns]);
    const ident = parseIdent(`${ns}.floe_written`);
    const created = await client.createTable(ident, { schema: schemaToJson(SCHEMA), partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[2]' }] } });
    assert.match(created.metadataLocation ?? '', /^s3:\/\/[^/]+\/floe-catalog-tests\//);
    assert.equal(created.config['s3.path-style-access'], 'true', 'the table config carries vended S3 settings');

    // Floe writes, PyIceberg reads.
    const w = new TableWriter(created.metadata, c.io);
    const rows = [
      { id: 1n, name: 'alpha', ts: 1_700_000_000_000_001n },
      { id: 2n, name: null, ts: null },
      { id: 9_007_199_254_740_993n, name: 'big', ts: -1n },
    ];
    for (const r of rows) await w.write(r);
    await ops.append(ident, { files: await w.close(), loaded: created });
    const read = (await pyiceberg(`${PY_CATALOG(c.url)}
t = cat().load_table("${ns}.floe_written")
result = sorted([[str(r["id"]), r["name"], None if r["ts"] is None else int(r["ts"].timestamp() * 1_000_000)] for r in t.scan().to_arrow().to_pylist()], key=lambda r: int(r[0]))
`)) as unknown[][];
    assert.deepEqual(read, [['1', 'alpha', 1_700_000_000_000_001], ['2', null, null], ['9007199254740993', 'big', -1]]);

    // PyIceberg creates (staged create + commit with assert-create) and appends; Floe appends on top; PyIceberg reads both.
    await pyiceberg(`${PY_CATALOG(c.url)}
import pyarrow as pa
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType
schema = Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "name", StringType(), required=False))
data = pa.Table.from_pylist([{"id": 10, "name": "py-1"}, {"id": 11, "name": "py-2"}], schema=pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())]))
with cat().create_table_transaction("${ns}.py_written", schema=schema) as tx:
    tx.append(data)
t = cat().load_table("${ns}.py_written")
t.append(pa.Table.from_pylist([{"id": 12, "name": "py-3"}], schema=data.schema))
t.update_schema().add_column("extra", StringType()).commit()
t.update_spec().add_identity("name").commit()
t.manage_snapshots().create_tag(t.current_snapshot().snapshot_id, "v1").commit()
result = len(t.history())
`);
    const pyTable = parseIdent(`${ns}.py_written`);
    const loaded = await client.loadTable(pyTable);
    assert.equal(loaded.metadata.snapshots.length, 2, 'the staged create committed its append, then one more');
    assert.equal(loaded.metadata.currentSchemaId, 1);
    assert.equal(loaded.metadata.defaultSpecId, 1);
    assert.ok(loaded.metadata.refs.v1);
    const w2 = new TableWriter(loaded.metadata, c.io);
    await w2.write({ id: 13n, name: 'floe', extra: 'x' });
    await ops.append(pyTable, { files: await w2.close(), loaded });
    const all = (await pyiceberg(`${PY_CATALOG(c.url)}
t = cat().load_table("${ns}.py_written")
result = sorted([[r["id"], r["name"], r["extra"]] for r in t.scan().to_arrow().to_pylist()])
`)) as unknown[][];
    assert.deepEqual(all, [[10, 'py-1', null], [11, 'py-2', null], [12, 'py-3', null], [13, 'floe', 'x']]);

    // Drop with purge removes the table's objects from the bucket.
    await client.dropTable(pyTable, true);
    const left: string[] = [];
    for await (const f of c.io.list(`${loaded.metadata.location}/`)) left.push(f);
    assert.deepEqual(left, []);
  } finally {
    await c.close();
  }
});
