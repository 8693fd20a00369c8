/**
 * Views in the embedded catalog. Over plain HTTP (fetch) against both stores: create, load,
 * exists, list with pages, replace with assert-view-uuid, rename and drop, the metadata file in
 * the warehouse, the name clashes between tables and views, the ErrorModels. Then Trino and Spark
 * with the embedded catalog as their REST catalog (S3 warehouse): each creates a table and a
 * view over it, reads the view (equal to the table's rows), replaces it, lists, alters, renames
 * and drops it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../../catalog/index.js';
import { parseIdent } from '../../src/iceberg/index.js';
import { parseJson } from '../../src/spec/json.js';
import { sparkQuery, trinoCatalog, trinoQuery } from '../helpers/engines.js';
import { stackS3, startTestCatalog, type StoreKind, type TestCatalog } from '../helpers/catalog.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (parseJson(text) as Record<string, unknown>) : null };
}

function assertError(a: Answer, status: number, type: string): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  const e = (a.body as { error: { message: string; type: string; code: number } }).error;
  assert.equal(e.type, type, e.message);
  assert.equal(e.code, status);
  assert.ok(e.message.length > 0);
}

const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }] };

const viewVersion = (sql: string, ns: string[], id = 1) => ({
  'version-id': id,
  'timestamp-ms': Date.now(),
  'schema-id': 0,
  summary: { 'engine-name': 'test' },
  representations: [
    { type: 'sql', sql, dialect: 'trino' },
    { type: 'sql', sql, dialect: 'spark' },
  ],
  'default-namespace': ns,
});

type ViewMeta = { 'view-uuid': string; location: string; 'current-version-id': number; versions: Array<{ 'version-id': number; representations: Array<{ sql: string }> }>; 'version-log': unknown[]; properties: Record<string, string> };

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`views over REST (${kind} store)`, { skip: kind === 'postgres' ? skipUnless('postgres') : false }, () => {
    let c: TestCatalog;
    const api = () => `${c.url}/v1`;
    before(async () => {
      c = await startTestCatalog({ store: kind });
    });
    after(async () => {
      await c?.close();
    });

    test('config lists the view endpoints; Floe’s client sees views', async () => {
      const cfg = (await call(c.url, 'GET', '/v1/config')).body as { endpoints: string[] };
      for (const e of ['GET /v1/{prefix}/namespaces/{namespace}/views', 'POST /v1/{prefix}/namespaces/{namespace}/views', 'POST /v1/{prefix}/namespaces/{namespace}/views/{view}', 'POST /v1/{prefix}/views/rename']) {
        assert.ok(cfg.endpoints.includes(e), e);
      }
      assert.equal(await c.client.supportsViews(), true);
    });

    test('create, load, exists, list, replace, rename, drop', async () => {
      const ns = uniqueName('vw');
      const other = uniqueName('vw2');
      assert.equal((await call(api(), 'POST', '/namespaces', { namespace: [ns] })).status, 200);
      assert.equal((await call(api(), 'POST', '/namespaces', { namespace: [other] })).status, 200);
      const created = await call(api(), 'POST', `/namespaces/${ns}/views`, { name: 'v', schema: SCHEMA, 'view-version': viewVersion('SELECT 1 AS id', [ns]), properties: { owner: 'test' } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const loc0 = created.body?.['metadata-location'] as string;
      const meta0 = created.body?.metadata as ViewMeta;
      assert.match(loc0, new RegExp(`/${ns}/v/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`));
      assert.ok(existsSync(fileURLToPath(loc0)), 'the metadata file is in the warehouse');
      assert.deepEqual(parseJson((await import('node:fs')).readFileSync(fileURLToPath(loc0), 'utf8')), meta0, 'the answer is the file');
      assert.equal(meta0['current-version-id'], 1);
      assert.deepEqual(meta0.properties, { owner: 'test' });

      const loaded = await call(api(), 'GET', `/namespaces/${ns}/views/v`);
      assert.equal(loaded.status, 200);
      assert.equal(loaded.body?.['metadata-location'], loc0);
      assert.equal((await call(api(), 'HEAD', `/namespaces/${ns}/views/v`)).status, 204);
      assert.equal((await call(api(), 'HEAD', `/namespaces/${ns}/views/nope`)).status, 404);
      assert.equal(await c.client.viewExists(parseIdent(`${ns}.v`)), true);

      // Pages of views; tables are not listed as views and the reverse.
      for (const n of ['w', 'x']) assert.equal((await call(api(), 'POST', `/namespaces/${ns}/views`, { name: n, schema: SCHEMA, 'view-version': viewVersion('SELECT 2 AS id', [ns]), properties: {} })).status, 200);
      assert.equal((await call(api(), 'POST', `/namespaces/${ns}/tables`, { name: 't', schema: SCHEMA })).status, 200);
      const p1 = await call(api(), 'GET', `/namespaces/${ns}/views?pageSize=2`);
      assert.deepEqual((p1.body?.identifiers as Array<{ name: string }>).map((i) => i.name), ['v', 'w']);
      const p2 = await call(api(), 'GET', `/namespaces/${ns}/views?pageSize=2&pageToken=${String(p1.body?.['next-page-token'])}`);
      assert.deepEqual(p2.body, { identifiers: [{ namespace: [ns], name: 'x' }], 'next-page-token': null });
      assert.deepEqual((await call(api(), 'GET', `/namespaces/${ns}/tables`)).body, { identifiers: [{ namespace: [ns], name: 't' }] });

      // Replace: a new schema and version made current, as Java's and Trino's clients send it.
      const uuid = meta0['view-uuid'];
      const replaced = await call(api(), 'POST', `/namespaces/${ns}/views/v`, {
        identifier: { namespace: [ns], name: 'v' },
        requirements: [{ type: 'assert-view-uuid', uuid }],
        updates: [
          { action: 'add-schema', schema: { type: 'struct', 'schema-id': 1, fields: [{ id: 1, name: 'id', required: false, type: 'long' }, { id: 2, name: 'y', required: false, type: 'string' }] } },
          { action: 'add-view-version', 'view-version': { ...viewVersion("SELECT 1 AS id, 'a' AS y", [ns], 2), 'schema-id': -1 } },
          { action: 'set-current-view-version', 'view-version-id': -1 },
          { action: 'set-properties', updates: { comment: 'replaced' } },
          { action: 'remove-properties', removals: ['owner'] },
        ],
      });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      const loc1 = replaced.body?.['metadata-location'] as string;
      const meta1 = replaced.body?.metadata as ViewMeta;
      assert.match(loc1, /\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);
      assert.equal(meta1['current-version-id'], 2);
      assert.equal(meta1.versions.length, 2);
      assert.equal(meta1['version-log'].length, 2);
      assert.deepEqual(meta1.properties, { comment: 'replaced' });
      assert.equal((await call(api(), 'GET', `/namespaces/${ns}/views/v`)).body?.['metadata-location'], loc1);

      // A failed requirement, an update that is not a view's, malformed bodies.
      const stale = { requirements: [{ type: 'assert-view-uuid', uuid: '00000000-0000-0000-0000-000000000000' }], updates: [{ action: 'set-properties', updates: { a: 'b' } }] };
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/v`, stale), 409, 'CommitFailedException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/v`, { updates: [{ action: 'add-spec', spec: { 'spec-id': 0, fields: [] } }] }), 400, 'BadRequestException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/v`, { updates: [{ action: 'set-current-view-version', 'view-version-id': 77 }] }), 400, 'BadRequestException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/v`, '{"updates": ['), 400, 'BadRequestException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views`, { name: 'bad', schema: SCHEMA }), 400, 'BadRequestException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views`, { name: 'bad', schema: SCHEMA, 'view-version': { 'version-id': 1 }, properties: {} }), 400, 'BadRequestException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/nope`, { updates: [] }), 404, 'NoSuchViewException');
      assertError(await call(api(), 'GET', `/namespaces/${ns}/views/nope`), 404, 'NoSuchViewException');
      assertError(await call(api(), 'GET', `/namespaces/nope_${ns}/views`), 404, 'NoSuchNamespaceException');
      assertError(await call(api(), 'POST', `/namespaces/nope_${ns}/views`, { name: 'v', schema: SCHEMA, 'view-version': viewVersion('SELECT 1', [ns]), properties: {} }), 404, 'NoSuchNamespaceException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views`, { name: 'v', schema: SCHEMA, 'view-version': viewVersion('SELECT 1', [ns]), properties: {} }), 409, 'AlreadyExistsException');

      // Rename across namespaces; then onto a taken name, from a missing view, into a missing namespace.
      const rename = (from: [string, string], to: [string, string]) => call(api(), 'POST', '/views/rename', { source: { namespace: [from[0]], name: from[1] }, destination: { namespace: [to[0]], name: to[1] } });
      assert.equal((await rename([ns, 'v'], [other, 'moved'])).status, 204);
      assertError(await call(api(), 'GET', `/namespaces/${ns}/views/v`), 404, 'NoSuchViewException');
      assert.equal((await call(api(), 'GET', `/namespaces/${other}/views/moved`)).body?.['metadata-location'], loc1);
      assertError(await rename([ns, 'w'], [ns, 'x']), 409, 'AlreadyExistsException');
      assertError(await rename([ns, 'gone'], [ns, 'y']), 404, 'NoSuchViewException');
      assertError(await rename([ns, 'w'], [`nope_${ns}`, 'y']), 404, 'NoSuchNamespaceException');

      // Drop; a namespace holding a view is not empty.
      assertError(await call(api(), 'DELETE', `/namespaces/${other}`), 409, 'NamespaceNotEmptyException');
      assert.equal((await call(api(), 'DELETE', `/namespaces/${other}/views/moved`)).status, 204);
      assertError(await call(api(), 'DELETE', `/namespaces/${other}/views/moved`), 404, 'NoSuchViewException');
      assert.equal((await call(api(), 'DELETE', `/namespaces/${other}`)).status, 204);
    });

    test('concurrent replaces of one view: each wins or gets CommitFailedException, the log counts the winners', async () => {
      const ns = uniqueName('race');
      await call(api(), 'POST', '/namespaces', { namespace: [ns] });
      const created = await call(api(), 'POST', `/namespaces/${ns}/views`, { name: 'v', schema: SCHEMA, 'view-version': viewVersion('SELECT 0 AS id', [ns]), properties: {} });
      const uuid = (created.body?.metadata as ViewMeta)['view-uuid'];
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(api(), 'POST', `/namespaces/${ns}/views/v`, {
            requirements: [{ type: 'assert-view-uuid', uuid }],
            updates: [
              { action: 'add-view-version', 'view-version': viewVersion(`SELECT ${i + 1} AS id`, [ns], 2) },
              { action: 'set-current-view-version', 'view-version-id': -1 },
            ],
          }),
        ),
      );
      const won = answers.filter((a) => a.status === 200).length;
      for (const a of answers) if (a.status !== 200) assertError(a, 409, 'CommitFailedException');
      assert.ok(won >= 1, 'one replace at least wins');
      const meta = (await call(api(), 'GET', `/namespaces/${ns}/views/v`)).body?.metadata as ViewMeta;
      assert.equal(meta['version-log'].length, 1 + won, `${won} of 6 replaces won: each added one log entry, no lost update`);
    });

    test('tables and views share names: every clash is 409, every wrong kind 404', async () => {
      const ns = uniqueName('clash');
      await call(api(), 'POST', '/namespaces', { namespace: [ns] });
      assert.equal((await call(api(), 'POST', `/namespaces/${ns}/tables`, { name: 't', schema: SCHEMA })).status, 200);
      const view = (name: string) => ({ name, schema: SCHEMA, 'view-version': viewVersion('SELECT 1 AS id', [ns]), properties: {} });
      assert.equal((await call(api(), 'POST', `/namespaces/${ns}/views`, view('v'))).status, 200);

      assertError(await call(api(), 'POST', `/namespaces/${ns}/views`, view('t')), 409, 'AlreadyExistsException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/tables`, { name: 'v', schema: SCHEMA }), 409, 'AlreadyExistsException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/tables`, { name: 'v', schema: SCHEMA, 'stage-create': true }), 409, 'AlreadyExistsException');
      const create = { requirements: [{ type: 'assert-create' }], updates: [{ action: 'add-schema', schema: SCHEMA }, { action: 'set-current-schema', 'schema-id': -1 }] };
      assertError(await call(api(), 'POST', `/namespaces/${ns}/tables/v`, create), 409, 'AlreadyExistsException');
      const ren = (path: string, from: string, to: string) => call(api(), 'POST', path, { source: { namespace: [ns], name: from }, destination: { namespace: [ns], name: to } });
      assertError(await ren('/views/rename', 'v', 't'), 409, 'AlreadyExistsException');
      assertError(await ren('/tables/rename', 't', 'v'), 409, 'AlreadyExistsException');
      assertError(await ren('/views/rename', 't', 'u'), 404, 'NoSuchViewException');
      assertError(await ren('/tables/rename', 'v', 'u'), 404, 'NoSuchTableException');

      assertError(await call(api(), 'GET', `/namespaces/${ns}/tables/v`), 404, 'NoSuchTableException');
      assertError(await call(api(), 'GET', `/namespaces/${ns}/views/t`), 404, 'NoSuchViewException');
      assert.equal((await call(api(), 'HEAD', `/namespaces/${ns}/tables/v`)).status, 404);
      assert.equal((await call(api(), 'HEAD', `/namespaces/${ns}/views/t`)).status, 404);
      assertError(await call(api(), 'POST', `/namespaces/${ns}/tables/v`, { requirements: [], updates: [] }), 404, 'NoSuchTableException');
      assertError(await call(api(), 'POST', `/namespaces/${ns}/views/t`, { updates: [] }), 404, 'NoSuchViewException');
      assertError(await call(api(), 'DELETE', `/namespaces/${ns}/tables/v`), 404, 'NoSuchTableException');
      assertError(await call(api(), 'DELETE', `/namespaces/${ns}/views/t`), 404, 'NoSuchViewException');
      // Both are still there after all that.
      assert.equal((await call(api(), 'GET', `/namespaces/${ns}/tables/t`)).status, 200);
      assert.equal((await call(api(), 'GET', `/namespaces/${ns}/views/v`)).status, 200);
    });
  });
}

test('a PostgreSQL catalog database from before views is migrated in place: its tables stay, views work', { skip: skipUnless('postgres') }, async () => {
  // An old database, in a schema of its own on the stack's PostgreSQL.
  const schema = uniqueName('oldcat').toLowerCase();
  const admin = new pg.Client({ connectionString: stack.postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`SET search_path = ${schema}`);
    await admin.query(`CREATE TABLE floe_namespaces (ns TEXT PRIMARY KEY, parent TEXT NOT NULL, properties JSONB NOT NULL);
      CREATE INDEX floe_namespaces_parent ON floe_namespaces (parent, ns);
      CREATE TABLE floe_tables (ns TEXT NOT NULL REFERENCES floe_namespaces (ns), name TEXT NOT NULL, metadata_location TEXT NOT NULL, PRIMARY KEY (ns, name));
      INSERT INTO floe_namespaces VALUES ('n', '', '{}');
      INSERT INTO floe_tables VALUES ('n', 'old', 's3://b/old/metadata/00003-x.metadata.json');`);
    const url = `${stack.postgresUrl}${stack.postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    for (let i = 0; i < 2; i++) {
      const store = await openStore(url);
      try {
        assert.equal(await store.getTable(['n'], 'old'), 's3://b/old/metadata/00003-x.metadata.json');
        assert.equal(await store.getTable(['n'], 'old', 'view'), undefined);
        assert.deepEqual(await store.swap([{ namespace: ['n'], name: 'old', kind: 'view', expected: null, next: 'x' }]), { ok: false, index: 0, reason: 'exists' });
        if (i === 0) assert.deepEqual(await store.swap([{ namespace: ['n'], name: 'v', kind: 'view', expected: null, next: 'mv' }]), { ok: true });
        assert.deepEqual((await store.listTables(['n'], undefined, 10)).items, ['old']);
        assert.deepEqual((await store.listTables(['n'], undefined, 10, 'view')).items, ['v']);
      } finally {
        await store.close();
      }
    }
    const cols = await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'floe_tables' ORDER BY ordinal_position`, [schema]);
    assert.deepEqual(cols.rows.map((r: { column_name: string }) => r.column_name), ['ns', 'name', 'metadata_location', 'kind']);
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  }
});

describe('Trino and Spark: views on the embedded catalog', { skip: skipUnless('s3') }, () => {
  let c: TestCatalog;
  before(async () => {
    c = await startTestCatalog({ warehouse: 's3', vend: true });
  });
  after(async () => {
    await c?.close();
  });

  test('Trino: CREATE VIEW, SELECT = the table, CREATE OR REPLACE VIEW, SHOW, COMMENT, RENAME, DROP VIEW', { timeout: 600_000 }, async () => {
    const tcat = uniqueName('views').toLowerCase();
    await trinoCatalog(tcat, c.url);
    const tq = async (sql: string) => (await trinoQuery(sql, { catalog: tcat })).rows;
    try {
      const ns = uniqueName('trino_v').toLowerCase();
      await tq(`CREATE SCHEMA "${ns}"`);
      await tq(`CREATE TABLE "${ns}".orders (id BIGINT, customer VARCHAR, amount DECIMAL(10,2))`);
      await tq(`INSERT INTO "${ns}".orders VALUES (1, 'ann', DECIMAL '10.50'), (2, 'bob', DECIMAL '20.00'), (3, 'ann', DECIMAL '5.25')`);
      await tq(`CREATE VIEW "${ns}".big AS SELECT id, customer, amount FROM "${ns}".orders WHERE amount > 6`);
      const table = (await tq(`SELECT id, customer, CAST(amount AS VARCHAR) AS amount FROM "${ns}".orders WHERE amount > 6 ORDER BY id`)).map((r) => [Number(r.id), r.customer, r.amount]);
      const view = (await tq(`SELECT id, customer, CAST(amount AS VARCHAR) AS amount FROM "${ns}".big ORDER BY id`)).map((r) => [Number(r.id), r.customer, r.amount]);
      assert.deepEqual(view, [[1, 'ann', '10.50'], [2, 'bob', '20.00']]);
      assert.deepEqual(view, table);
      const first = await c.client.viewExists(parseIdent(`${ns}.big`));
      assert.equal(first, true, 'the view is in the catalog');

      await tq(`CREATE OR REPLACE VIEW "${ns}".big AS SELECT customer, sum(amount) AS total FROM "${ns}".orders GROUP BY customer`);
      const totals = (await tq(`SELECT customer, CAST(total AS VARCHAR) AS total FROM "${ns}".big ORDER BY customer`)).map((r) => [r.customer, r.total]);
      assert.deepEqual(totals, [['ann', '15.75'], ['bob', '20.00']]);
      const meta = (await call(`${c.url}/v1`, 'GET', `/namespaces/${ns}/views/big`)).body?.metadata as ViewMeta;
      assert.ok(meta.versions.length >= 2 && meta['version-log'].length >= 2, 'the replace added a version');

      const views = (await tq(`SELECT table_name FROM information_schema.views WHERE table_schema = '${ns}'`)).map((r) => r.table_name);
      assert.deepEqual(views, ['big']);
      const tables = (await tq(`SHOW TABLES FROM "${ns}"`)).map((r) => r.Table).sort();
      assert.deepEqual(tables, ['big', 'orders'], 'SHOW TABLES lists the table and the view');
      await assert.rejects(tq(`CREATE VIEW "${ns}".orders AS SELECT 1 AS x`), /already exists/i, 'a view named like a table');
      await tq(`COMMENT ON VIEW "${ns}".big IS 'totals per customer'`);
      await tq(`ALTER VIEW "${ns}".big RENAME TO "${ns}".totals`);
      assert.equal(await c.client.viewExists(parseIdent(`${ns}.big`)), false);
      const renamed = (await call(`${c.url}/v1`, 'GET', `/namespaces/${ns}/views/totals`)).body?.metadata as ViewMeta;
      assert.equal(renamed.properties.comment, 'totals per customer', 'COMMENT ON VIEW is a view commit');
      assert.deepEqual((await tq(`SELECT count(*) AS n FROM "${ns}".totals`)).map((r) => Number(r.n)), [2]);
      await tq(`DROP VIEW "${ns}".totals`);
      assert.equal(await c.client.viewExists(parseIdent(`${ns}.totals`)), false);
      await tq(`DROP TABLE "${ns}".orders`);
      await tq(`DROP SCHEMA "${ns}"`);
    } finally {
      await trinoQuery(`DROP CATALOG IF EXISTS ${tcat}`).catch(() => undefined);
    }
  });

  test('Spark: CREATE VIEW, SELECT = the table, CREATE OR REPLACE VIEW, SHOW VIEWS, SET TBLPROPERTIES, RENAME, DROP VIEW', { timeout: 600_000 }, async () => {
    const cat = uniqueName('views');
    const s3 = stackS3();
    const conf: Record<string, string> = {
      '': 'org.apache.iceberg.spark.SparkCatalog',
      '.type': 'rest',
      '.uri': c.url,
      '.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      '.s3.endpoint': s3.endpoint,
      '.s3.path-style-access': 'true',
      '.s3.access-key-id': s3.accessKeyId,
      '.s3.secret-access-key': s3.secretAccessKey,
      '.client.region': s3.region,
    };
    for (const [k, v] of Object.entries(conf)) await sparkQuery(`SET \`spark.sql.catalog.${cat}${k}\`=\`${v}\``);
    const q = async (sql: string) => (await sparkQuery(sql)).rows;
    const ns = uniqueName('spark_v');
    await q(`CREATE NAMESPACE ${cat}.${ns}`);
    await q(`CREATE TABLE ${cat}.${ns}.orders (id BIGINT, customer STRING, amount DECIMAL(10,2)) USING iceberg`);
    await q(`INSERT INTO ${cat}.${ns}.orders VALUES (1, 'ann', 10.50), (2, 'bob', 20.00), (3, 'ann', 5.25)`);
    await q(`CREATE VIEW ${cat}.${ns}.big AS SELECT id, customer, amount FROM ${cat}.${ns}.orders WHERE amount > 6`);
    const rows = async (sql: string) => (await q(sql)).map((r) => [Number(r.id), r.customer, r.amount]);
    const table = await rows(`SELECT id, customer, CAST(amount AS STRING) AS amount FROM ${cat}.${ns}.orders WHERE amount > 6 ORDER BY id`);
    const view = await rows(`SELECT id, customer, CAST(amount AS STRING) AS amount FROM ${cat}.${ns}.big ORDER BY id`);
    assert.deepEqual(view, [[1, 'ann', '10.50'], [2, 'bob', '20.00']]);
    assert.deepEqual(view, table);
    assert.equal(await c.client.viewExists(parseIdent(`${ns}.big`)), true);

    await q(`CREATE OR REPLACE VIEW ${cat}.${ns}.big AS SELECT customer, sum(amount) AS total FROM ${cat}.${ns}.orders GROUP BY customer`);
    const totals = (await q(`SELECT customer, CAST(total AS STRING) AS total FROM ${cat}.${ns}.big ORDER BY customer`)).map((r) => [r.customer, r.total]);
    assert.deepEqual(totals, [['ann', '15.75'], ['bob', '20.00']]);
    const meta = (await call(`${c.url}/v1`, 'GET', `/namespaces/${ns}/views/big`)).body?.metadata as ViewMeta;
    assert.ok(meta.versions.length >= 2 && meta['version-log'].length >= 2, 'the replace added a version');

    const views = (await q(`SHOW VIEWS IN ${cat}.${ns}`)).map((r) => r.viewName);
    assert.deepEqual(views, ['big']);
    const tables = (await q(`SHOW TABLES IN ${cat}.${ns}`)).map((r) => r.tableName);
    assert.deepEqual(tables, ['orders'], 'SHOW TABLES lists the table, not the view');
    await assert.rejects(q(`CREATE VIEW ${cat}.${ns}.orders AS SELECT 1 AS x`), /already exists/i, 'a view named like a table');
    await q(`ALTER VIEW ${cat}.${ns}.big SET TBLPROPERTIES ('purpose' = 'spark-test')`);
    await q(`ALTER VIEW ${cat}.${ns}.big RENAME TO ${cat}.${ns}.totals`);
    assert.equal(await c.client.viewExists(parseIdent(`${ns}.big`)), false);
    const renamed = (await call(`${c.url}/v1`, 'GET', `/namespaces/${ns}/views/totals`)).body?.metadata as ViewMeta;
    assert.equal(renamed.properties.purpose, 'spark-test', 'ALTER VIEW SET TBLPROPERTIES is a view commit');
    assert.deepEqual((await q(`SELECT count(*) AS n FROM ${cat}.${ns}.totals`)).map((r) => Number(r.n)), [2]);
    await q(`DROP VIEW ${cat}.${ns}.totals`);
    assert.equal(await c.client.viewExists(parseIdent(`${ns}.totals`)), false);
    await q(`DROP TABLE ${cat}.${ns}.orders PURGE`);
    await q(`DROP NAMESPACE ${cat}.${ns}`);
  });
});
