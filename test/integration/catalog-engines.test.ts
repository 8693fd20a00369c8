/**
 * Spark, Trino and PyIceberg use the embedded catalog (S3 warehouse, OAuth2 client credentials)
 * as their catalog: each creates a namespace and a table and inserts, and each reads the other
 * engines' tables value by value; DuckDB attaches it too and reads Spark's table. On Spark's v2 table Spark DELETEs, MERGEs, rewrites data files
 * and expires snapshots; PyIceberg, Trino and Floe append to it; all read the same rows.
 * Spark's catalog is registered at run time (`SET spark.sql.catalog.<name>...`) under a name
 * unique to the run, since the long-lived Spark server keeps catalogs it has loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestCatalog, TableOps, TableWriter, parseIdent } from '../../src/iceberg/index.js';
import { ensureEngine, pyiceberg, sparkQuery, trinoCatalog, trinoQuery } from '../helpers/engines.js';
import { stackS3, startTestCatalog } from '../helpers/catalog.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('s3', 'pyiceberg');

test('Spark, Trino, PyIceberg and Floe on the embedded catalog: DML, MERGE, maintenance, each reads the others', { skip, timeout: 900_000 }, async () => {
  await ensureEngine('spark');
  await ensureEngine('trino');
  const c = await startTestCatalog({
    warehouse: 's3',
    vend: true,
    auth: { clients: [{ id: 'spark', secret: 'spark-secret' }, { id: 'py', secret: 'py-secret' }, { id: 'floe', secret: 'floe-secret' }, { id: 'trino', secret: 'trino-secret' }, { id: 'duck', secret: 'duck-secret' }] },
  });
  const tcat = uniqueName('emb').toLowerCase();
  try {
    const cat = uniqueName('emb');
    const s3 = stackS3();
    const conf: Record<string, string> = {
      '': 'org.apache.iceberg.spark.SparkCatalog',
      '.type': 'rest',
      '.uri': c.url,
      '.credential': 'spark:spark-secret',
      '.scope': 'catalog',
      '.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      '.s3.endpoint': s3.endpoint,
      '.s3.path-style-access': 'true',
      '.s3.access-key-id': s3.accessKeyId,
      '.s3.secret-access-key': s3.secretAccessKey,
      '.client.region': s3.region,
    };
    for (const [k, v] of Object.entries(conf)) await sparkQuery(`SET \`spark.sql.catalog.${cat}${k}\`=\`${v}\``);
    // Trino's catalog is created at run time too, with OAuth2 client credentials against the embedded catalog.
    await trinoCatalog(tcat, c.url, { 'iceberg.rest-catalog.security': 'OAUTH2', 'iceberg.rest-catalog.oauth2.credential': 'trino:trino-secret' });
    const tq = async (sql: string) => (await trinoQuery(sql, { catalog: tcat })).rows;
    const ns = uniqueName('eng');
    const t = `${cat}.${ns}.orders`;
    const q = async (sql: string) => (await sparkQuery(sql)).rows;
    await q(`CREATE NAMESPACE ${cat}.${ns}`);
    await q(`CREATE TABLE ${t} (id BIGINT, customer STRING, amount DECIMAL(10,2)) USING iceberg PARTITIONED BY (customer) TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read', 'write.merge.mode'='merge-on-read', 'write.update.mode'='merge-on-read')`);
    await q(`INSERT INTO ${t} VALUES (1, 'ann', 10.50), (2, 'bob', 20.00), (3, 'cid', 30.25)`);
    await q(`INSERT INTO ${t} VALUES (4, 'dan', 40.00)`);
    await q(`DELETE FROM ${t} WHERE id = 2`);
    await q(`MERGE INTO ${t} AS target USING (SELECT * FROM VALUES (3L, 'cid', 33.33), (5L, 'eve', 50.00) AS s(id, customer, amount)) AS source ON target.id = source.id WHEN MATCHED THEN UPDATE SET amount = source.amount WHEN NOT MATCHED THEN INSERT *`);
    const want = [[1, 'ann', '10.50'], [3, 'cid', '33.33'], [4, 'dan', '40.00'], [5, 'eve', '50.00']];
    const sparkRows = async () => (await q(`SELECT id, customer, CAST(amount AS STRING) AS amount FROM ${t} ORDER BY id`)).map((r) => [Number(r.id), r.customer, r.amount]);
    assert.deepEqual(await sparkRows(), want);

    // PyIceberg (OAuth2, S3 settings only from the catalog) reads Spark's writes, including its delete files, and appends.
    const pyCat = `
from pyiceberg.catalog import load_catalog
from decimal import Decimal
import pyarrow as pa
cat = load_catalog("embedded", **{"type": "rest", "uri": "${c.url}", "credential": "py:py-secret"})
t = cat.load_table("${ns}.orders")
`;
    const pyRows = (await pyiceberg(`${pyCat}
result = sorted([[r["id"], r["customer"], str(r["amount"])] for r in t.scan().to_arrow().to_pylist()])
`)) as unknown[][];
    assert.deepEqual(pyRows, want);
    await pyiceberg(`${pyCat}
t.append(pa.Table.from_pylist([{"id": 6, "customer": "fay", "amount": Decimal("60.00")}], schema=t.schema().as_arrow()))
result = 1
`);
    // Floe appends too, with its own client.
    const client = new RestCatalog({ uri: c.url, oauth2: { clientId: 'floe', clientSecret: 'floe-secret' } });
    const ops = new TableOps(client, c.io);
    const ident = parseIdent(`${ns}.orders`);
    const loaded = await client.loadTable(ident);
    const w = new TableWriter(loaded.metadata, c.io);
    await w.write({ id: 7n, customer: 'gus', amount: 7000n });
    await ops.append(ident, { files: await w.close(), loaded });
    // Trino reads Spark's table (with Spark's position deletes and MERGE), PyIceberg's and Floe's rows, and inserts.
    const trinoRows = async () => (await tq(`SELECT id, customer, CAST(amount AS VARCHAR) AS amount FROM "${ns}".orders ORDER BY id`)).map((r) => [Number(r.id), r.customer, r.amount]);
    assert.deepEqual(await trinoRows(), [...want, [6, 'fay', '60.00'], [7, 'gus', '70.00']], 'Trino reads Spark, PyIceberg and Floe rows');
    // DuckDB attaches the embedded catalog (OAuth2 client credentials) and reads the same rows,
    // Spark's position deletes and MERGE included.
    const duckRows = (await pyiceberg(`
con = duckdb_connection()
con.execute("CREATE SECRET emb_auth (TYPE iceberg, CLIENT_ID 'duck', CLIENT_SECRET 'duck-secret', OAUTH2_SERVER_URI '${c.url}/v1/oauth/tokens')")
con.execute("ATTACH 'floe' AS emb (TYPE iceberg, SECRET emb_auth, ENDPOINT '${c.url}')")
result = sorted([[r[0], r[1], str(r[2])] for r in con.execute('SELECT id, customer, amount FROM emb."${ns}".orders').fetchall()])
`)) as unknown[][];
    assert.deepEqual(duckRows, [...want, [6, 'fay', '60.00'], [7, 'gus', '70.00']], 'DuckDB reads Spark, PyIceberg and Floe rows through the embedded catalog');
    await tq(`INSERT INTO "${ns}".orders VALUES (8, 'hal', DECIMAL '80.00')`);
    await q(`REFRESH TABLE ${t}`);
    const all = [...want, [6, 'fay', '60.00'], [7, 'gus', '70.00'], [8, 'hal', '80.00']];
    assert.deepEqual(await sparkRows(), all, 'Spark reads PyIceberg, Floe and Trino rows');

    // Trino creates a namespace and a table and inserts; PyIceberg appends to it; Spark and PyIceberg read both.
    const tns = uniqueName('trino');
    await tq(`CREATE SCHEMA "${tns}"`);
    await tq(`CREATE TABLE "${tns}".events (id BIGINT, name VARCHAR, score DOUBLE) WITH (format_version = 2)`);
    await tq(`INSERT INTO "${tns}".events VALUES (1, 'a', 1.5), (2, NULL, -2.25)`);
    await pyiceberg(`
from pyiceberg.catalog import load_catalog
import pyarrow as pa
t = load_catalog("embedded", **{"type": "rest", "uri": "${c.url}", "credential": "py:py-secret"}).load_table("${tns}.events")
t.append(pa.Table.from_pylist([{"id": 3, "name": "c", "score": 3.0}], schema=t.schema().as_arrow()))
result = 1
`);
    const events = [[1, 'a', 1.5], [2, null, -2.25], [3, 'c', 3]];
    assert.deepEqual((await q(`SELECT id, name, score FROM ${cat}.${tns}.events ORDER BY id`)).map((r) => [Number(r.id), r.name, r.score]), events, 'Spark reads Trino and PyIceberg rows');
    assert.deepEqual((await tq(`SELECT id, name, score FROM "${tns}".events ORDER BY id`)).map((r) => [Number(r.id), r.name, r.score]), events, 'Trino reads PyIceberg rows');

    // PyIceberg creates a namespace and a table and appends; Spark and Trino read it and insert; PyIceberg reads theirs.
    const pns = uniqueName('py');
    await pyiceberg(`
from pyiceberg.catalog import load_catalog
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType
import pyarrow as pa
cat = load_catalog("embedded", **{"type": "rest", "uri": "${c.url}", "credential": "py:py-secret"})
cat.create_namespace("${pns}")
t = cat.create_table("${pns}.items", schema=Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "label", StringType(), required=False)))
t.append(pa.Table.from_pylist([{"id": 10, "label": "py"}], schema=t.schema().as_arrow()))
result = 1
`);
    await q(`INSERT INTO ${cat}.${pns}.items VALUES (11, 'spark')`);
    await tq(`INSERT INTO "${pns}".items VALUES (12, 'trino')`);
    const items = [[10, 'py'], [11, 'spark'], [12, 'trino']];
    assert.deepEqual((await tq(`SELECT id, label FROM "${pns}".items ORDER BY id`)).map((r) => [Number(r.id), r.label]), items, 'Trino reads PyIceberg and Spark rows');
    await q(`REFRESH TABLE ${cat}.${pns}.items`);
    assert.deepEqual((await q(`SELECT id, label FROM ${cat}.${pns}.items ORDER BY id`)).map((r) => [Number(r.id), r.label]), items, 'Spark reads PyIceberg and Trino rows');
    const pyItems = (await pyiceberg(`
from pyiceberg.catalog import load_catalog
t = load_catalog("embedded", **{"type": "rest", "uri": "${c.url}", "credential": "py:py-secret"}).load_table("${pns}.items")
result = sorted([[r["id"], r["label"]] for r in t.scan().to_arrow().to_pylist()])
`)) as unknown[][];
    assert.deepEqual(pyItems, items, 'PyIceberg reads Spark and Trino rows');
    const pyEvents = (await pyiceberg(`
from pyiceberg.catalog import load_catalog
t = load_catalog("embedded", **{"type": "rest", "uri": "${c.url}", "credential": "py:py-secret"}).load_table("${tns}.events")
result = sorted([[r["id"], r["name"], r["score"]] for r in t.scan().to_arrow().to_pylist()])
`)) as unknown[][];
    assert.deepEqual(pyEvents, events, 'PyIceberg reads Trino rows');

    // Maintenance through the catalog.
    const rewritten = await q(`CALL ${cat}.system.rewrite_data_files(table => '${ns}.orders', options => map('min-input-files', '1', 'delete-file-threshold', '1'))`);
    assert.ok(Number(rewritten[0]?.rewritten_data_files_count ?? 0) > 0, JSON.stringify(rewritten));
    const before = (await client.loadTable(ident)).metadata.snapshots.length;
    await q(`CALL ${cat}.system.expire_snapshots(table => '${ns}.orders', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 1)`);
    const after = (await client.loadTable(ident)).metadata;
    assert.ok(after.snapshots.length === 1 && before > 1, `expired ${before} -> ${after.snapshots.length}`);
    assert.deepEqual(await sparkRows(), all, 'the rows survive compaction and expiry');
    const pyAfter = (await pyiceberg(`${pyCat}
result = sorted([[r["id"], r["customer"], str(r["amount"])] for r in t.scan().to_arrow().to_pylist()])
`)) as unknown[][];
    assert.deepEqual(pyAfter, all);
    assert.deepEqual(await trinoRows(), all, 'Trino reads the table after compaction and expiry');
    await q(`DROP TABLE ${t} PURGE`);
    await q(`DROP NAMESPACE ${cat}.${ns}`);
    assert.equal(await client.namespaceExists([ns]), false);
    await tq(`DROP TABLE "${tns}".events`);
    await tq(`DROP SCHEMA "${tns}"`);
    await q(`DROP TABLE ${cat}.${pns}.items PURGE`);
    await q(`DROP NAMESPACE ${cat}.${pns}`);
    void stack;
  } finally {
    await trinoQuery(`DROP CATALOG IF EXISTS ${tcat}`).catch(() => undefined);
    await c.close();
  }
});
