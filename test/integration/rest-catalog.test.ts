/**
 * The REST catalog client against Iceberg's REST test server: config, namespaces, tables,
 * pagination, errors as codes, stage-create, rename, register, drop with purge, and a
 * multi-table transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { schemaToJson } from '../../src/spec/schema.js';
import { buildSpec } from '../../src/spec/partition.js';
import { isFloeError, type FloeErrorCode } from '../../src/errors.js';
import type { Schema } from '../../src/spec/types.js';
import { stackOps } from '../helpers/iceberg.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('rest', 's3');
const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };
const code = (c: FloeErrorCode) => (e: unknown) => isFloeError(e, c);

test('config, namespaces and their properties, with pagination', { skip, timeout: 60_000 }, async () => {
  const c = new RestCatalog({ uri: stack.restUrl, properties: { 'client.only': 'x' } });
  await c.init();
  assert.equal(c.properties['client.only'], 'x', 'client properties are merged under the server overrides');
  assert.ok(c.endpoints === undefined || c.endpoints.has('GET /v1/{prefix}/namespaces'), 'announced endpoints include the basics');
  const base = uniqueName('rc');
  const names = [`${base}_a`, `${base}_b`, `${base}_c`];
  for (const n of names) await c.createNamespace([n], { owner: 'floe' });
  await assert.rejects(c.createNamespace([names[0] as string]), code('ALREADY_EXISTS'));
  await c.ensureNamespace([names[0] as string]);
  assert.equal(await c.namespaceExists([names[1] as string]), true);
  assert.equal(await c.namespaceExists([`${base}_missing`]), false);
  await assert.rejects(c.loadNamespace([`${base}_missing`]), code('NOT_FOUND'));

  const all = await c.listNamespaces();
  const paged = await c.listNamespaces(undefined, 2);
  assert.deepEqual(paged.map((n) => n.join('.')).sort(), all.map((n) => n.join('.')).sort(), 'pages of 2 add up to the whole list');
  for (const n of names) assert.ok(paged.some((p) => p.join('.') === n));

  const upd = await c.updateNamespaceProperties([names[0] as string], { team: 'data' }, ['owner', 'nope']);
  assert.deepEqual(upd.updated, ['team']);
  assert.deepEqual(upd.removed, ['owner']);
  assert.deepEqual(upd.missing, ['nope']);
  const loaded = await c.loadNamespace([names[0] as string]);
  assert.equal(loaded.properties.team, 'data');
  assert.equal(loaded.properties.owner, undefined);
  for (const n of names) await c.dropNamespace([n]);
  assert.equal(await c.namespaceExists([names[0] as string]), false);
});

test('tables: create, exists, list with pages, stage-create, rename, drop, register, errors', { skip, timeout: 60_000 }, async () => {
  const ops = stackOps();
  const c = ops.catalog;
  const ns = uniqueName('rc');
  await c.ensureNamespace([ns]);
  const t1 = parseIdent(`${ns}.t1`);
  const created = await ops.create(t1, { schema: SCHEMA, properties: { 'floe.test': '1' } });
  assert.equal(created.metadata.formatVersion, 2);
  assert.equal(created.metadata.properties['floe.test'], '1');
  assert.ok(created.metadataLocation?.endsWith('.metadata.json'));
  await assert.rejects(ops.create(t1, { schema: SCHEMA }), code('ALREADY_EXISTS'));
  await assert.rejects(c.loadTable(parseIdent(`${ns}.missing`)), code('NOT_FOUND'));
  await assert.rejects(c.loadTable(parseIdent(`${ns}_missing.t`)), code('NOT_FOUND'));
  assert.equal(await c.tableExists(t1), true);
  assert.equal(await c.tableExists(parseIdent(`${ns}.missing`)), false);

  // Spec and sort order from the in-memory forms; the server assigns its own ids, so compare shapes.
  const sorted = await ops.create(parseIdent(`${ns}.t2`), {
    schema: SCHEMA,
    spec: buildSpec(SCHEMA, [{ column: 'id', transform: { kind: 'bucket', n: 8 } }]),
    sortOrder: { orderId: 1, fields: [{ sourceId: 1, transform: { kind: 'identity' }, direction: 'desc', nullOrder: 'nulls-last' }] },
  });
  const spec = sorted.metadata.partitionSpecs.find((p) => p.specId === sorted.metadata.defaultSpecId);
  assert.deepEqual(spec?.fields.map((f) => [f.name, f.transform, f.sourceId]), [['id_bucket_8', { kind: 'bucket', n: 8 }, 1]]);
  const order = sorted.metadata.sortOrders.find((o) => o.orderId === sorted.metadata.defaultSortOrderId);
  assert.deepEqual(order?.fields.map((f) => [f.sourceId, f.direction, f.nullOrder]), [[1, 'desc', 'nulls-last']]);
  await ops.create(parseIdent(`${ns}.t3`), { schema: SCHEMA });
  assert.deepEqual((await c.listTables([ns], 2)).map((t) => t.name).sort(), ['t1', 't2', 't3']);

  const staged = await ops.create(parseIdent(`${ns}.staged`), { schema: SCHEMA, stageCreate: true });
  assert.equal(staged.metadata.formatVersion, 2);
  assert.equal(await c.tableExists(parseIdent(`${ns}.staged`)), false, 'a staged table is not created until committed');

  const renamed = parseIdent(`${ns}.t1_renamed`);
  await c.renameTable(t1, renamed);
  assert.equal(await c.tableExists(t1), false);
  assert.equal((await c.loadTable(renamed)).metadata.tableUuid, created.metadata.tableUuid);
  await assert.rejects(c.renameTable(parseIdent(`${ns}.t2`), parseIdent(`${ns}.t3`)), code('ALREADY_EXISTS'));

  // Drop without purge keeps the files: the metadata file can be registered again.
  const location = (await c.loadTable(renamed)).metadataLocation as string;
  await c.dropTable(renamed);
  const back = await c.registerTable(parseIdent(`${ns}.registered`), location);
  assert.equal(back.metadata.tableUuid, created.metadata.tableUuid);
  await assert.rejects(c.registerTable(parseIdent(`${ns}.registered`), location), code('ALREADY_EXISTS'));
  await c.dropTable(parseIdent(`${ns}.registered`), true);
  assert.equal(await ops.io.exists(location), false, 'drop with purge removed the metadata file');
});

test('a multi-table transaction commits both tables or neither', { skip, timeout: 60_000 }, async () => {
  const ops = stackOps();
  const c = ops.catalog;
  assert.equal(await c.supportsTransactions(), true, 'the REST test server offers transactions/commit');
  const ns = uniqueName('rc');
  await c.ensureNamespace([ns]);
  const a = parseIdent(`${ns}.a`);
  const b = parseIdent(`${ns}.b`);
  const ta = await c.createTable(a, { schema: schemaToJson(SCHEMA) });
  const tb = await c.createTable(b, { schema: schemaToJson(SCHEMA) });
  const change = (t: typeof a, uuid: string, v: string) => ({
    table: t,
    requirements: [{ type: 'assert-table-uuid' as const, uuid }],
    updates: [{ action: 'set-properties' as const, updates: { 'floe.tx': v } }],
  });
  await c.commitTransaction([change(a, ta.metadata.tableUuid, '1'), change(b, tb.metadata.tableUuid, '1')]);
  assert.equal((await c.loadTable(a)).metadata.properties['floe.tx'], '1');
  assert.equal((await c.loadTable(b)).metadata.properties['floe.tx'], '1');
  // One failed requirement: neither table changes.
  await assert.rejects(c.commitTransaction([change(a, ta.metadata.tableUuid, '2'), change(b, ta.metadata.tableUuid, '2')]), code('COMMIT_CONFLICT'));
  assert.equal((await c.loadTable(a)).metadata.properties['floe.tx'], '1');
  assert.equal((await c.loadTable(b)).metadata.properties['floe.tx'], '1');
});

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
}

/**
 * A forwarder in front of the real catalog that records each request's auth header; it can
 * give the token response a lifetime, answer the next catalog request 401, or hang.
 */
async function recorder(target: string) {
  const t = new URL(target);
  const state = { seen: [] as Seen[], expiresIn: undefined as number | undefined, reject401: 0, hang: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      state.seen.push({ method: req.method ?? '', url, auth: req.headers.authorization });
      if (state.hang) return; // never answers: the client's timeout must fire
      const isToken = url.endsWith('/oauth/tokens');
      if (!isToken && state.reject401 > 0) {
        state.reject401--;
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'token expired', type: 'NotAuthorizedException', code: 401 } }));
        return;
      }
      // Plain bodies from upstream, so that the token response can be rewritten.
      const { 'accept-encoding': _ae, ...fwd } = req.headers;
      const up = request({ host: t.hostname, port: t.port, path: url, method: req.method, headers: fwd }, (r) => {
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => {
          let out = Buffer.concat(body);
          if (isToken && state.expiresIn !== undefined) out = Buffer.from(JSON.stringify({ ...(JSON.parse(out.toString()) as object), expires_in: state.expiresIn }));
          const { 'transfer-encoding': _te, 'content-length': _cl, ...headers } = r.headers;
          res.writeHead(r.statusCode ?? 502, { ...headers, 'content-length': out.length });
          res.end(out);
        });
      });
      up.on('error', () => res.socket?.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const close = () => {
    server.closeAllConnections(); // the hanging requests too
    return new Promise<void>((r) => server.close(() => r()));
  };
  return { url, state, close };
}

test('OAuth2 client credentials: a token before the first call, refreshed before expiry and after a 401', { skip, timeout: 60_000 }, async () => {
  const rec = await recorder(stack.restUrl);
  try {
    const c = new RestCatalog({ uri: rec.url, oauth2: { clientId: 'floe', clientSecret: 's3cret' } });
    await c.listNamespaces();
    await c.listNamespaces();
    const [first, ...rest] = rec.state.seen;
    assert.equal(first?.method, 'POST');
    assert.ok(first?.url.endsWith('/v1/oauth/tokens'));
    assert.equal(rest.length, 3, 'config and two lists, one token for all');
    for (const s of rest) assert.equal(s.auth, 'Bearer client-credentials-token:sub=floe');

    rec.state.reject401 = 1;
    rec.state.seen = [];
    await c.listNamespaces();
    assert.deepEqual(rec.state.seen.map((s) => s.url.replace(/\?.*/, '').replace(/^.*\/v1\//, '')), ['namespaces', 'oauth/tokens', 'namespaces'], 'a 401 fetches a new token and resends once');

    // A token that lives one second is refreshed before it is used again after that second.
    const short = new RestCatalog({ uri: rec.url, oauth2: { clientId: 'short', clientSecret: 'x' } });
    rec.state.expiresIn = 1;
    await short.listNamespaces();
    rec.state.seen = [];
    await new Promise((r) => setTimeout(r, 1100));
    await short.listNamespaces();
    assert.deepEqual(rec.state.seen.map((s) => s.url.replace(/\?.*/, '').replace(/^.*\/v1\//, '')), ['oauth/tokens', 'namespaces']);
  } finally {
    await rec.close();
  }
});

test('a static bearer token is sent on every request', { skip, timeout: 60_000 }, async () => {
  const rec = await recorder(stack.restUrl);
  try {
    await new RestCatalog({ uri: rec.url, token: 't0k3n' }).listNamespaces();
    assert.ok(rec.state.seen.length >= 2);
    for (const s of rec.state.seen) assert.equal(s.auth, 'Bearer t0k3n');
  } finally {
    await rec.close();
  }
});

test('a catalog that stops answering: reads time out as CATALOG_ERROR after retries, a commit as COMMIT_STATE_UNKNOWN', { skip, timeout: 60_000 }, async () => {
  const rec = await recorder(stack.restUrl);
  try {
    const c = new RestCatalog({ uri: rec.url, timeoutMs: 300, readAttempts: 2 });
    await c.init();
    rec.state.hang = true;
    rec.state.seen = [];
    await assert.rejects(c.listNamespaces(), (e: unknown) => isFloeError(e, 'CATALOG_ERROR') && e.retryable && /timed out/.test(e.message));
    assert.equal(rec.state.seen.length, 2, 'the read was tried twice');
    rec.state.seen = [];
    await assert.rejects(c.commitTable(parseIdent('x.y'), [], []), (e: unknown) => isFloeError(e, 'COMMIT_STATE_UNKNOWN') && e.retryable);
    assert.equal(rec.state.seen.length, 1, 'a commit is never resent blindly');
  } finally {
    await rec.close();
  }
});

test('a catalog nobody listens on is a retryable CATALOG_ERROR', { timeout: 60_000 }, async () => {
  const c = new RestCatalog({ uri: 'http://127.0.0.1:9', readAttempts: 2, timeoutMs: 2000 });
  await assert.rejects(c.listNamespaces(), (e: unknown) => isFloeError(e, 'CATALOG_ERROR') && e.retryable);
});
