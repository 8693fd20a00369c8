/**
 * The embedded catalog's REST surface end to end over HTTP on an ephemeral port, with a local
 * `file://` warehouse, against both stores (SQLite always; PostgreSQL from scripts/stack).
 * Floe's own REST client and raw fetch (for status codes and the ErrorModel) are the clients.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isFloeError } from '../../src/errors.js';
import { parseIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { parseJson } from '../../src/spec/json.js';
import { startTestCatalog, type StoreKind, type TestCatalog } from '../helpers/catalog.js';
import { skipUnless, uniqueName } from '../helpers/stack.js';

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 10, name: 'id', required: true, type: 'long' },
    { id: 11, name: 'ts', required: false, type: 'timestamptz' },
    { id: 12, name: 'tags', required: false, type: { type: 'list', 'element-id': 13, element: 'string', 'element-required': false } },
  ],
};

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (parseJson(text) as Record<string, unknown>) : null };
}

function assertError(a: Answer, status: number, type: string): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  const e = (a.body as { error: { message: string; type: string; code: number } }).error;
  assert.equal(e.type, type);
  assert.equal(e.code, status);
  assert.ok(e.message.length > 0);
  assert.doesNotMatch(e.message, /\n\s+at /, 'no stack trace');
}

const enc = (ns: string[]) => encodeURIComponent(ns.join('\u001f'));

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`catalog REST surface (${kind} store)`, { skip: kind === 'postgres' ? skipUnless('postgres') : false }, () => {
    let c: TestCatalog;
    const base = () => `${c.url}/v1`;
    before(async () => {
      c = await startTestCatalog({ store: kind });
    });
    after(async () => {
      await c?.close();
    });

    test('config announces the implemented endpoints', async () => {
      const r = await call(c.url, 'GET', '/v1/config');
      assert.equal(r.status, 200);
      const endpoints = r.body?.endpoints as string[];
      assert.ok(endpoints.includes('POST /v1/{prefix}/transactions/commit'));
      assert.ok(endpoints.includes('HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}'));
      assert.deepEqual(r.body?.overrides, {});
    });

    test('namespaces: create, exists, load, list with parent and pages, properties, drop when empty', async () => {
      const root = uniqueName('ns');
      await c.client.createNamespace([root], { owner: 'floe' });
      assertError(await call(base(), 'POST', '/namespaces', { namespace: [root] }), 409, 'AlreadyExistsException');
      assertError(await call(base(), 'POST', '/namespaces', { namespace: root }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', '/namespaces', '{"namespace": ['), 400, 'BadRequestException');
      assert.equal(await c.client.namespaceExists([root]), true);
      assert.equal(await c.client.namespaceExists([`${root}_missing`]), false);
      assert.deepEqual((await c.client.loadNamespace([root])).properties, { owner: 'floe', location: `${c.warehouse}/${root}` }, 'a default location is announced');
      assertError(await call(base(), 'GET', `/namespaces/${enc([`${root}_missing`])}`), 404, 'NoSuchNamespaceException');

      const children = ['a', 'b', 'c', 'd', 'e'];
      for (const ch of children) await c.client.createNamespace([root, ch]);
      await c.client.createNamespace([root, 'a', 'deep']);
      assert.deepEqual(await c.client.listNamespaces([root]), children.map((ch) => [root, ch]));
      assert.deepEqual(await c.client.listNamespaces([root], 2), children.map((ch) => [root, ch]), 'pages of 2 hold the same list');
      const first = await call(base(), 'GET', `/namespaces?parent=${enc([root])}&pageSize=2`);
      assert.deepEqual(first.body?.namespaces, [[root, 'a'], [root, 'b']]);
      assert.equal(typeof first.body?.['next-page-token'], 'string');
      assert.deepEqual(await c.client.listNamespaces([root, 'a']), [[root, 'a', 'deep']]);
      assert.ok((await c.client.listNamespaces()).some((n) => n.length === 1 && n[0] === root));
      assertError(await call(base(), 'GET', `/namespaces?pageSize=0`), 400, 'BadRequestException');

      const upd = await c.client.updateNamespaceProperties([root], { color: 'blue' }, ['owner', 'nope']);
      assert.deepEqual(upd, { updated: ['color'], removed: ['owner'], missing: ['nope'] });
      assert.deepEqual((await c.client.loadNamespace([root])).properties, { color: 'blue', location: `${c.warehouse}/${root}` });
      assertError(await call(base(), 'POST', `/namespaces/${enc([root])}/properties`, { updates: { x: '1' }, removals: ['x'] }), 400, 'BadRequestException');

      assertError(await call(base(), 'DELETE', `/namespaces/${enc([root, 'a'])}`), 409, 'NamespaceNotEmptyException');
      await c.client.dropNamespace([root, 'a', 'deep']);
      await c.client.dropNamespace([root, 'a']);
      assert.equal(await c.client.namespaceExists([root, 'a']), false);
      assertError(await call(base(), 'DELETE', `/namespaces/${enc([root, 'a'])}`), 404, 'NoSuchNamespaceException');
    });

    test('tables: create with fresh ids, list with pages, load, exists, snapshots=refs, rename, drop', async () => {
      const ns = uniqueName('tbl');
      await c.client.createNamespace([ns]);
      const t = parseIdent(`${ns}.events`);
      const created = await c.client.createTable(t, {
        schema: SCHEMA,
        partitionSpec: { 'spec-id': 0, fields: [{ 'source-id': 11, 'field-id': 1000, name: 'ts_day', transform: 'day' }] },
        writeOrder: { 'order-id': 1, fields: [{ 'source-id': 10, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] },
        properties: { 'write.format.default': 'parquet' },
      });
      const m = created.metadata;
      assert.deepEqual(m.schemas[0]?.fields.map((f) => [f.id, f.name]), [[1, 'id'], [2, 'ts'], [3, 'tags']], 'ids are assigned afresh');
      assert.equal(m.lastColumnId, 4, 'the list element got id 4');
      assert.deepEqual(m.partitionSpecs[0]?.fields.map((f) => [f.sourceId, f.fieldId, f.name]), [[2, 1000, 'ts_day']]);
      assert.equal(m.sortOrders.find((o) => o.orderId === m.defaultSortOrderId)?.fields[0]?.sourceId, 1);
      assert.equal(m.formatVersion, 2);
      assert.equal(m.properties['format-version'], undefined, 'format-version is a setting, not a stored property');
      assert.match(created.metadataLocation ?? '', /\/events\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
      assert.ok(existsSync(fileURLToPath(created.metadataLocation as string)), 'the metadata file was written to the warehouse');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables`, { name: 'events', schema: SCHEMA }), 409, 'AlreadyExistsException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([`${ns}_x`])}/tables`, { name: 'events', schema: SCHEMA }), 404, 'NoSuchNamespaceException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables`, { name: 'bad', schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'nosuchtype' }] } }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables`, { name: 'bad' }), 400, 'BadRequestException');

      for (const name of ['t1', 't2', 't3']) await c.client.createTable(parseIdent(`${ns}.${name}`), { schema: SCHEMA });
      assert.deepEqual((await c.client.listTables([ns], 2)).map((x) => x.name), ['events', 't1', 't2', 't3']);
      assert.equal(await c.client.tableExists(t), true);
      assert.equal(await c.client.tableExists(parseIdent(`${ns}.nope`)), false);
      assertError(await call(base(), 'GET', `/namespaces/${enc([ns])}/tables/nope`), 404, 'NoSuchTableException');

      // Three appends, then a tag on the first: refs mode keeps only what refs point at.
      for (let i = 0; i < 3; i++) await c.ops.append(t, { files: [] });
      const loaded = await c.client.loadTable(t);
      assert.equal(loaded.metadata.snapshots.length, 3);
      const firstId = loaded.metadata.snapshots[0]?.snapshotId as bigint;
      await c.client.commitTable(t, [], [{ action: 'set-snapshot-ref', refName: 'v1', snapshotId: firstId, type: 'tag' }]);
      const refs = await c.client.loadTable(t, 'refs');
      assert.deepEqual(refs.metadata.snapshots.map((s) => s.snapshotId).sort(), [firstId, branchHead(loaded.metadata)?.snapshotId].sort());
      assertError(await call(base(), 'GET', `/namespaces/${enc([ns])}/tables/events?snapshots=some`), 400, 'BadRequestException');

      const metrics = await call(base(), 'POST', `/namespaces/${enc([ns])}/tables/events/metrics`, { 'report-type': 'scan-report', 'table-name': `${ns}.events` });
      assert.equal(metrics.status, 204);

      await c.client.renameTable(parseIdent(`${ns}.t1`), parseIdent(`${ns}.renamed`));
      assert.equal(await c.client.tableExists(parseIdent(`${ns}.t1`)), false);
      assert.equal(await c.client.tableExists(parseIdent(`${ns}.renamed`)), true);
      assertError(await call(base(), 'POST', '/tables/rename', { source: { namespace: [ns], name: 't2' }, destination: { namespace: [ns], name: 't3' } }), 409, 'AlreadyExistsException');
      assertError(await call(base(), 'POST', '/tables/rename', { source: { namespace: [ns], name: 'gone' }, destination: { namespace: [ns], name: 'x' } }), 404, 'NoSuchTableException');
      assertError(await call(base(), 'POST', '/tables/rename', { source: { namespace: [ns], name: 't2' }, destination: { namespace: ['nope'], name: 'x' } }), 404, 'NoSuchNamespaceException');

      // Drop without purge keeps files; register brings the table back from its metadata file.
      const events = await c.client.loadTable(t);
      await c.client.dropTable(t);
      assert.equal(await c.client.tableExists(t), false);
      assert.ok(existsSync(fileURLToPath(events.metadataLocation as string)));
      const reg = await c.client.registerTable(parseIdent(`${ns}.events_again`), events.metadataLocation as string);
      assert.equal(reg.metadata.snapshots.length, 3);
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/register`, { name: 'events_again', 'metadata-location': events.metadataLocation }), 409, 'AlreadyExistsException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/register`, { name: 'x', 'metadata-location': 'file:///nonexistent/v1.metadata.json' }), 400, 'BadRequestException');

      // Drop with purge removes the table's files.
      await c.client.dropTable(parseIdent(`${ns}.events_again`), true);
      assert.equal(existsSync(fileURLToPath(events.metadataLocation as string)), false, 'purge deleted the metadata files');
      assertError(await call(base(), 'DELETE', `/namespaces/${enc([ns])}/tables/events_again`), 404, 'NoSuchTableException');
    });

    test('commits: requirements are checked, bad updates are 400, nothing is half-applied', async () => {
      const ns = uniqueName('commit');
      await c.client.createNamespace([ns]);
      const t = parseIdent(`${ns}.t`);
      const created = await c.client.createTable(t, { schema: SCHEMA });
      const path = `/namespaces/${enc([ns])}/tables/t`;
      const stale = await call(base(), 'POST', path, { requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 7 }], updates: [{ action: 'set-properties', updates: { a: '1' } }] });
      assertError(stale, 409, 'CommitFailedException');
      assertError(await call(base(), 'POST', path, { requirements: [{ type: 'assert-table-uuid', uuid: '00000000-0000-0000-0000-000000000000' }], updates: [] }), 409, 'CommitFailedException');
      assertError(await call(base(), 'POST', path, { requirements: [], updates: [{ action: 'set-current-schema', 'schema-id': 42 }] }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', path, { requirements: [], updates: [{ action: 'fly-to-the-moon' }] }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', path, { requirements: [{ type: 'assert-nothing' }], updates: [] }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', path, { identifier: { namespace: [ns], name: 'other' }, requirements: [], updates: [] }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables/nope`, { requirements: [], updates: [] }), 404, 'NoSuchTableException');
      // A valid set-properties followed by an invalid update: the whole commit is refused.
      assertError(await call(base(), 'POST', path, { requirements: [], updates: [{ action: 'set-properties', updates: { a: '1' } }, { action: 'set-default-spec', 'spec-id': 9 }] }), 400, 'BadRequestException');
      const now = await c.client.loadTable(t);
      assert.equal(now.metadataLocation, created.metadataLocation);
      assert.equal(now.metadata.properties.a, undefined);

      // Schema evolution with the requirements Java's clients send.
      const evolved = await c.client.commitTable(
        t,
        [{ type: 'assert-current-schema-id', currentSchemaId: 0 }, { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 4 }],
        [
          { action: 'add-schema', schema: { schemaId: 1, fields: [...(created.metadata.schemas[0]?.fields ?? []), { id: 5, name: 'extra', required: false, type: { type: 'string' } }] }, lastColumnId: 5 },
          { action: 'set-current-schema', schemaId: -1 },
          { action: 'set-properties', updates: { 'commit.retry.num-retries': '10' } },
          { action: 'remove-properties', removals: ['nothing'] },
        ],
      );
      assert.equal(evolved.metadata.currentSchemaId, 1);
      assert.equal(evolved.metadata.lastColumnId, 5);
      assert.match(evolved.metadataLocation ?? '', /\/00001-[0-9a-f-]{36}\.metadata\.json$/);
      assert.deepEqual(evolved.metadata.metadataLog.map((e) => e.metadataFile), [created.metadataLocation]);
      const spec = await c.client.commitTable(t, [{ type: 'assert-default-spec-id', defaultSpecId: 0 }, { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 999 }], [
        { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: { kind: 'bucket', n: 8 } }] } },
        { action: 'set-default-spec', specId: -1 },
      ]);
      assert.equal(spec.metadata.defaultSpecId, 1);
      await assert.rejects(c.client.commitTable(t, [{ type: 'assert-default-spec-id', defaultSpecId: 0 }], []), (e: unknown) => isFloeError(e, 'COMMIT_CONFLICT'));
    });

    test('stage-create, then create through a commit with assert-create', async () => {
      const ns = uniqueName('stage');
      await c.client.createNamespace([ns]);
      const staged = await call(base(), 'POST', `/namespaces/${enc([ns])}/tables`, { name: 's', schema: SCHEMA, 'stage-create': true, properties: { 'format-version': '1' } });
      assert.equal(staged.status, 200);
      assert.equal(staged.body?.['metadata-location'], undefined, 'a staged table has no metadata file yet');
      assert.equal(await c.client.tableExists(parseIdent(`${ns}.s`)), false);
      const meta = staged.body?.metadata as Record<string, unknown>;
      const commit = {
        requirements: [{ type: 'assert-create' }],
        updates: [
          { action: 'assign-uuid', uuid: meta['table-uuid'] },
          { action: 'upgrade-format-version', 'format-version': 2 },
          { action: 'add-schema', schema: (meta.schemas as unknown[])[0], 'last-column-id': 4 },
          { action: 'set-current-schema', 'schema-id': -1 },
          { action: 'add-spec', spec: { 'spec-id': 0, fields: [] } },
          { action: 'set-default-spec', 'spec-id': -1 },
          { action: 'add-sort-order', 'sort-order': { 'order-id': 0, fields: [] } },
          { action: 'set-default-sort-order', 'sort-order-id': -1 },
          { action: 'set-location', location: meta.location },
          { action: 'set-properties', updates: { owner: 'stage' } },
        ],
      };
      const done = await call(base(), 'POST', `/namespaces/${enc([ns])}/tables/s`, commit);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const t = await c.client.loadTable(parseIdent(`${ns}.s`));
      assert.equal(t.metadata.tableUuid, meta['table-uuid']);
      assert.equal(t.metadata.formatVersion, 2);
      assert.equal(t.metadata.properties.owner, 'stage');
      assert.equal(t.metadata.location, meta.location);
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables/s`, commit), 409, 'CommitFailedException');
    });

    test('transactions/commit: all tables or none', async () => {
      const ns = uniqueName('tx');
      await c.client.createNamespace([ns]);
      const a = parseIdent(`${ns}.a`);
      const b = parseIdent(`${ns}.b`);
      await c.client.createTable(a, { schema: SCHEMA });
      await c.client.createTable(b, { schema: SCHEMA });
      await c.client.commitTransaction([
        { table: a, requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null }], updates: [{ action: 'set-properties', updates: { step: '1' } }] },
        { table: b, requirements: [], updates: [{ action: 'set-properties', updates: { step: '1' } }] },
      ]);
      assert.equal((await c.client.loadTable(a)).metadata.properties.step, '1');
      assert.equal((await c.client.loadTable(b)).metadata.properties.step, '1');
      const beforeB = (await c.client.loadTable(b)).metadataLocation;
      // b's change is fine, a's requirement fails: neither table moves.
      await assert.rejects(
        c.client.commitTransaction([
          { table: b, requirements: [], updates: [{ action: 'set-properties', updates: { step: '2' } }] },
          { table: a, requirements: [{ type: 'assert-current-schema-id', currentSchemaId: 3 }], updates: [{ action: 'set-properties', updates: { step: '2' } }] },
        ]),
        (e: unknown) => isFloeError(e, 'COMMIT_CONFLICT'),
      );
      assert.equal((await c.client.loadTable(b)).metadataLocation, beforeB);
      assert.equal((await c.client.loadTable(b)).metadata.properties.step, '1');
      const missing = await call(base(), 'POST', '/transactions/commit', { 'table-changes': [{ identifier: { namespace: [ns], name: 'a' }, requirements: [], updates: [] }, { identifier: { namespace: [ns], name: 'zz' }, requirements: [], updates: [] }] });
      assertError(missing, 404, 'NoSuchTableException');
      assertError(await call(base(), 'POST', '/transactions/commit', { 'table-changes': [] }), 400, 'BadRequestException');
      const twice = { identifier: { namespace: [ns], name: 'a' }, requirements: [], updates: [] };
      assertError(await call(base(), 'POST', '/transactions/commit', { 'table-changes': [twice, twice] }), 400, 'BadRequestException');
    });

    test('unknown endpoints, and views of a missing namespace, answer the ErrorModel', async () => {
      assertError(await call(base(), 'GET', '/nothing/here'), 404, 'NotFoundException');
      assertError(await call(base(), 'GET', `/namespaces/${uniqueName('none')}/views`), 404, 'NoSuchNamespaceException');
      const m = await fetch(`${c.url}/metrics`);
      const text = await m.text();
      assert.match(text, /floe_catalog_requests_total\{method="POST",route="\/v1\/namespaces\/:namespace\/tables\/:table",status="409"\} \d+/);
      assert.match(text, /floe_catalog_commit_conflicts_total \d+/);
      assert.match(text, /floe_catalog_commit_duration_seconds_bucket/);
      assert.equal((await fetch(`${c.url}/healthz`)).status, 200);
    });

    test('what schemathesis found: repeated query parameters and unusable locations are 400s, not 500s', async () => {
      const ns = uniqueName('bad');
      await c.client.createNamespace([ns]);
      assertError(await call(base(), 'GET', '/namespaces?parent=a&parent=b'), 400, 'BadRequestException');
      assertError(await call(base(), 'GET', `/namespaces/${enc([ns])}/tables?pageSize=1&pageSize=2`), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/register`, { name: 'r', 'metadata-location': '__main__' }), 400, 'BadRequestException');
      assertError(await call(base(), 'POST', `/namespaces/${enc([ns])}/tables`, { name: 't', schema: SCHEMA, location: 'relative/place' }), 400, 'BadRequestException');
      assert.equal(await c.client.tableExists(parseIdent(`${ns}.t`)), false, 'nothing was created');
    });
  });
}

describe('catalog security and prefix', () => {
  test('bearer tokens and OAuth2 client credentials', async () => {
    const c = await startTestCatalog({ auth: { tokens: ['static-token'], clients: [{ id: 'spark', secret: 's3cret' }] } });
    try {
      assertError(await call(c.url, 'GET', '/v1/config'), 401, 'NotAuthorizedException');
      assertError(await call(c.url, 'GET', '/v1/namespaces', undefined, { authorization: 'Bearer wrong' }), 401, 'NotAuthorizedException');
      assert.equal((await call(c.url, 'GET', '/v1/namespaces', undefined, { authorization: 'Bearer static-token' })).status, 200);
      const form = (f: Record<string, string>) => fetch(`${c.url}/v1/oauth/tokens`, { method: 'POST', body: new URLSearchParams(f) });
      const bad = await form({ grant_type: 'client_credentials', client_id: 'spark', client_secret: 'nope', scope: 'catalog' });
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { error: string }).error, 'invalid_client');
      assert.equal((await form({ grant_type: 'password' })).status, 400);
      const ok = (await (await form({ grant_type: 'client_credentials', client_id: 'spark', client_secret: 's3cret', scope: 'catalog' })).json()) as { access_token: string; token_type: string; expires_in: number };
      assert.equal(ok.token_type, 'bearer');
      assert.ok(ok.expires_in > 0);
      assert.equal((await call(c.url, 'GET', '/v1/namespaces', undefined, { authorization: `Bearer ${ok.access_token}` })).status, 200);
      const tampered = ok.access_token.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
      assertError(await call(c.url, 'GET', '/v1/namespaces', undefined, { authorization: `Bearer ${tampered}` }), 401, 'NotAuthorizedException');
      // Floe's own client with OAuth2 settings, as an engine would use it.
      const { RestCatalog } = await import('../../src/iceberg/index.js');
      const client = new RestCatalog({ uri: c.url, oauth2: { clientId: 'spark', clientSecret: 's3cret' } });
      await client.createNamespace([uniqueName('auth')]);
      assert.equal((await fetch(`${c.url}/healthz`)).status, 200, 'health needs no token');
    } finally {
      await c.close();
    }
  });

  test('a prefix is announced in config and used by clients', async () => {
    const c = await startTestCatalog({ prefix: 'main-warehouse' });
    try {
      const cfg = await call(c.url, 'GET', '/v1/config');
      assert.deepEqual(cfg.body?.overrides, { prefix: 'main-warehouse' });
      const ns = uniqueName('pfx');
      await c.client.createNamespace([ns]);
      assert.equal((await call(c.url, 'GET', `/v1/main-warehouse/namespaces/${ns}`)).status, 200);
      assertError(await call(c.url, 'GET', `/v1/namespaces/${ns}`), 404, 'NotFoundException');
    } finally {
      await c.close();
    }
  });
});

test('history after commits is linear', { skip: false }, async () => {
  const c = await startTestCatalog();
  try {
    const ns = uniqueName('lin');
    await c.client.createNamespace([ns]);
    const t = parseIdent(`${ns}.t`);
    await c.client.createTable(t, { schema: SCHEMA });
    for (let i = 0; i < 5; i++) await c.ops.append(t, { files: [] });
    const m = (await c.client.loadTable(t)).metadata;
    assert.deepEqual([...ancestors(m, branchHead(m))].map((s) => s.sequenceNumber), [5, 4, 3, 2, 1]);
  } finally {
    await c.close();
  }
});
