/**
 * Spark and PyIceberg use the embedded catalog (S3 warehouse, OAuth2 client credentials) as
 * their catalog: Spark creates, inserts, DELETEs, MERGEs, rewrites data files and expires
 * snapshots; PyIceberg and Floe append to Spark's table; each reads the others' rows.
 * Spark's catalog is registered at run time (`SET spark.sql.catalog.<name>...`) under a name
 * unique to the run, since the long-lived Spark server keeps catalogs it has loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestCatalog, TableOps, TableWriter, parseIdent } from '../../src/iceberg/index.js';
import { ensureEngine, pyiceberg, sparkQuery } from '../helpers/engines.js';
import { stackS3, startTestCatalog } from '../helpers/catalog.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('s3', 'pyiceberg');

test('Spark, PyIceberg and Floe on the embedded catalog: DML, MERGE, maintenance, each reads the others', { skip, timeout: 900_000 }, async () => {
  await ensureEngine('spark');
  const c = await startTestCatalog({ warehouse: 's3', vend: true, auth: { clients: [{ id: 'spark', secret: 'spark-secret' }, { id: 'py', secret: 'py-secret' }, { id: 'floe', secret: 'floe-secret' }] } });
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
    await q(`REFRESH TABLE ${t}`);
    const all = [...want, [6, 'fay', '60.00'], [7, 'gus', '70.00']];
    assert.deepEqual(await sparkRows(), all, 'Spark reads PyIceberg and Floe rows');

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
    await q(`DROP TABLE ${t} PURGE`);
    await q(`DROP NAMESPACE ${cat}.${ns}`);
    assert.equal(await client.namespaceExists([ns]), false);
    void stack;
  } finally {
    await c.close();
  }
});
