/**
 * Vended storage settings (issue 4 item 8): a REST catalog's loadTable `config` and
 * `storage-credentials` choose the S3 endpoint and credentials for that table's files. Checked
 * against two local HTTP servers standing in for S3, which record the access key id and session
 * token of every signed request, and a minimal REST catalog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestCatalog, TableOps, parseIdent } from '../../../src/iceberg/index.js';
import { RoutingFileIO, s3ConfigFromProperties, s3Error } from '../../../src/io/index.js';
import { tableMetadataJson } from '../../helpers/metadata.js';

test('s3ConfigFromProperties maps the Iceberg property names and only the keys present', () => {
  assert.deepEqual(
    s3ConfigFromProperties({
      's3.access-key-id': 'AK',
      's3.secret-access-key': 'SK',
      's3.session-token': 'TOK',
      's3.endpoint': 'http://s3.example:9000',
      's3.path-style-access': 'TRUE',
      'client.region': 'eu-west-1',
      'other.key': 'x',
    }),
    { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'TOK', endpoint: 'http://s3.example:9000', pathStyle: true, region: 'eu-west-1' },
  );
  assert.deepEqual(s3ConfigFromProperties({ 's3.region': 'us-west-2', 's3.path-style-access': 'false' }), { region: 'us-west-2', pathStyle: false });
  assert.deepEqual(s3ConfigFromProperties({ 's3.access-key-id': 'AK' }), {}, 'a key id without its secret is not a credential');
  assert.deepEqual(s3ConfigFromProperties({}), {});
});

test('the longest prefix with vended settings wins; clearing a prefix falls back to the base settings', () => {
  const io = new RoutingFileIO({ endpoint: 'http://base', accessKeyId: 'base', secretAccessKey: 'b', region: 'us-east-1' });
  io.useStorageProperties('s3://wh/db/t/', { 's3.access-key-id': 'table', 's3.secret-access-key': 't', 's3.session-token': 'tok' });
  io.useStorageProperties('s3://wh/db/t/data/', { 's3.access-key-id': 'data', 's3.secret-access-key': 'd' });
  assert.equal(io.s3ConfigFor('s3://wh/db/t/metadata/v1.json').accessKeyId, 'table');
  assert.equal(io.s3ConfigFor('s3://wh/db/t/metadata/v1.json').sessionToken, 'tok');
  assert.equal(io.s3ConfigFor('s3://wh/db/t/metadata/v1.json').endpoint, 'http://base', 'what is not vended stays as configured');
  assert.equal(io.s3ConfigFor('s3://wh/db/t/data/f.parquet').accessKeyId, 'data');
  assert.equal(io.s3ConfigFor('s3://wh/db/t/data/f.parquet').sessionToken, undefined, 'a vended key pair without a token drops the base token');
  assert.equal(io.s3ConfigFor('s3://wh/db/t2/x').accessKeyId, 'base', 'a sibling table does not match the prefix');
  io.useStorageProperties('s3://wh/db/t/data/', {});
  assert.equal(io.s3ConfigFor('s3://wh/db/t/data/f.parquet').accessKeyId, 'table');
});

interface Seen {
  key: string;
  token: string | undefined;
  method: string;
  path: string;
}

/** A stand-in for S3: answers PUT, GET and HEAD from memory and records who signed each request. */
async function fakeS3(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const objects = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const key = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
    const token = req.headers['x-amz-security-token'] as string | undefined;
    const path = (req.url ?? '').split('?')[0] as string;
    seen.push({ key, token, method: req.method ?? '', path });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') {
        objects.set(path, Buffer.concat(chunks));
        res.writeHead(200, { etag: '"e"' }).end();
      } else if (objects.has(path)) {
        const body = objects.get(path) as Buffer;
        res.writeHead(200, { 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}


test('a table loaded through TableOps\' catalog is read and written with the credentials and endpoint its catalog vends', async () => {
  const base = await fakeS3();
  const vended = await fakeS3();
  let config: Record<string, string> = {
    's3.endpoint': vended.url,
    's3.access-key-id': 'VENDED1',
    's3.secret-access-key': 'secret1',
    's3.session-token': 'token1',
    's3.path-style-access': 'true',
    'client.region': 'eu-central-1',
  };
  const catalog = createServer((req, res) => {
    const body =
      req.url === '/v1/config'
        ? { defaults: {}, overrides: {} }
        : { 'metadata-location': 's3://wh/db/t/metadata/00000.json', metadata: tableMetadataJson('s3://wh/db/t'), config, 'storage-credentials': [] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => catalog.listen(0, '127.0.0.1', r));
  const io = new RoutingFileIO({ endpoint: base.url, pathStyle: true, accessKeyId: 'BASE', secretAccessKey: 'base-secret', region: 'us-east-1' });
  try {
    const ops = new TableOps(new RestCatalog({ uri: `http://127.0.0.1:${(catalog.address() as AddressInfo).port}` }), io);
    await ops.load(parseIdent('db.t'));
    await io.write('s3://wh/db/t/data/a.parquet', new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await io.read('s3://wh/db/t/data/a.parquet'))], [1, 2, 3]);
    // Another table's files, without vended settings, go where the FileIO's own settings say.
    await io.write('s3://wh/db/other/data/b.parquet', new Uint8Array([4]));
    assert.deepEqual(
      vended.seen.map((s) => [s.method, s.path, s.key, s.token]),
      [
        ['PUT', '/wh/db/t/data/a.parquet', 'VENDED1', 'token1'],
        ['GET', '/wh/db/t/data/a.parquet', 'VENDED1', 'token1'],
      ],
    );
    assert.deepEqual(base.seen.map((s) => [s.method, s.path, s.key, s.token]), [['PUT', '/wh/db/other/data/b.parquet', 'BASE', undefined]]);

    // Reloading picks up refreshed credentials; a catalog that stops vending leaves the base settings.
    config = { ...config, 's3.access-key-id': 'VENDED2', 's3.session-token': 'token2' };
    await ops.catalog.loadTable(parseIdent('db.t'));
    assert.equal(await io.exists('s3://wh/db/t/data/a.parquet'), true);
    assert.deepEqual(vended.seen.at(-1)?.key, 'VENDED2');
    assert.deepEqual(vended.seen.at(-1)?.token, 'token2');
    config = {};
    await ops.catalog.loadTable(parseIdent('db.t'));
    assert.equal(await io.exists('s3://wh/db/t/data/a.parquet'), false, 'the base store never had this object');
    assert.deepEqual(base.seen.at(-1)?.key, 'BASE');
  } finally {
    await io.close();
    for (const s of [base.server, vended.server, catalog]) s.close();
  }
});

test('refused or expired credentials are UNAUTHORIZED, even when the store answers 404 for an unknown key id', () => {
  const err = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  for (const [name, status] of [['XAdminUserNotFound', 404], ['ExpiredToken', 400], ['InvalidAccessKeyId', 403], ['AccessDenied', 403], ['SignatureDoesNotMatch', 403]] as const) {
    const e = s3Error('write', 's3://wh/x', err(name, status));
    assert.equal(e.code, 'UNAUTHORIZED', name);
    assert.match(e.message, /check the storage credentials/);
  }
  assert.equal(s3Error('read', 's3://wh/x', err('NoSuchKey', 404)).code, 'NOT_FOUND');
});
