/**
 * The schema registry client and the Decoder against the real registry (Apicurio's Confluent
 * API), directly and through a small fault-injecting proxy that counts requests, answers 5xx
 * or 401 on demand, or is gone: retries, in-flight de-duplication, the LRU cache, auth headers
 * and the split between record faults (dead letter) and service faults (retry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { avroType, Decoder, frame, RegistryClient } from '../../src/decode/index.js';
import { isFloeError } from '../../src/errors.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('registry');

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'floe.test',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

interface Proxy {
  url: string;
  /** Requests seen, with their paths and headers. */
  seen: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** The next `failNext` requests are answered with `failStatus`. */
  failNext: number;
  failStatus: number;
  close(): Promise<void>;
}

/** A proxy in front of the registry: forwards, or fails the next N requests with a status. */
async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const state: Proxy = { url: '', seen: [], failNext: 0, failStatus: 503, close: async () => {} };
  const server: Server = createServer((req, res) => {
    state.seen.push({ path: req.url ?? '', headers: req.headers });
    if (state.failNext > 0) {
      state.failNext--;
      res.writeHead(state.failStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: state.failStatus, message: 'injected' }));
      return;
    }
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}${t.pathname}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

const idRequests = (p: Proxy) => p.seen.filter((s) => s.path.includes('/schemas/ids/')).length;

test('registers an Avro schema and decodes a framed record by id', { skip }, async () => {
  const registry = new RegistryClient({ url: stack.registryUrl });
  const subject = `${uniqueName('orders')}-value`;
  const id = await registry.register(subject, JSON.stringify(ORDER));
  assert.ok(id > 0);
  assert.equal(await registry.register(subject, JSON.stringify(ORDER)), id, 'the same schema again has the same id');
  assert.ok((await registry.subjects()).includes(subject));
  assert.deepEqual(await registry.versions(subject), [1]);
  const latest = await registry.version(subject, 'latest');
  assert.equal(latest?.id, id);
  assert.equal(await registry.version(`${subject}-nope`, 'latest'), undefined);

  const value = { order_id: 2n ** 62n + 1n, amount: -123456n, at: 1_764_000_000_123_000n, id: '0e8f5d8e-4c7a-4e8b-9a3b-6f1c2d3e4f50', note: null };
  const bytes = frame(id, avroType(ORDER).toBuffer(value));
  const decoder = new Decoder('avro', registry);
  const r = await decoder.decode(bytes, `${subject}[0]@0`);
  assert.equal(r.schemaId, id);
  assert.deepEqual({ ...(r.value as object) }, value);
  assert.deepEqual({ ...(decoder.decodeCached(bytes, () => 'x')?.value as object) }, value, 'then synchronously');
  const schema = await decoder.tableSchema(id);
  assert.deepEqual(schema.fields.map((f) => `${f.id}:${f.name}:${f.type.type}`), ['1:order_id:long', '2:amount:decimal', '3:at:timestamptz', '4:id:uuid', '5:note:string']);
  assert.deepEqual(decoder.converter(id, schema.fields)(r.value), value);
});

test('JSON Schema records by id; schema references resolve', { skip }, async () => {
  const registry = new RegistryClient({ url: stack.registryUrl });
  const js = { type: 'object', properties: { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' } }, required: ['id'] };
  const jsId = await registry.register(`${uniqueName('clicks')}-value`, JSON.stringify(js), 'JSON');
  const d = new Decoder('json-schema', registry);
  const r = await d.decode(frame(jsId, Buffer.from('{"id": 3, "at": "2025-01-01T00:00:00Z"}')), 'clicks[0]@0');
  assert.deepEqual(d.converter(jsId, (await d.tableSchema(jsId)).fields)(r.value), { id: 3n, at: 1_735_689_600_000_000n });

  const customerSubject = uniqueName('customer');
  const customer = { type: 'record', name: 'Customer', namespace: 'floe.test', fields: [{ name: 'cid', type: 'long' }] };
  await registry.register(customerSubject, JSON.stringify(customer));
  const order = { type: 'record', name: 'WithRef', namespace: 'floe.test', fields: [{ name: 'customer', type: 'floe.test.Customer' }] };
  const id = await registry.register(`${uniqueName('withref')}-value`, JSON.stringify(order), 'AVRO', [{ name: 'floe.test.Customer', subject: customerSubject, version: 1 }]);
  const reg = await new RegistryClient({ url: stack.registryUrl }).schemaById(id);
  assert.equal(reg.references.length, 1);
  const dec = new Decoder('avro', registry);
  const bytes = frame(id, avroType(order, [customer]).toBuffer({ customer: { cid: 9n } }));
  assert.deepEqual({ ...((await dec.decode(bytes, 'w[0]@0')).value as { customer: object }).customer }, { cid: 9n });
  assert.deepEqual((await dec.tableSchema(id)).fields.map((f) => f.type.type), ['struct']);
});

test('an unknown schema id is a record fault, remembered for a while', { skip }, async () => {
  const proxy = await startProxy(stack.registryUrl);
  try {
    const registry = new RegistryClient({ url: proxy.url });
    const decoder = new Decoder('avro', registry);
    const bad = frame(2_000_000_000, Uint8Array.of(2));
    await assert.rejects(decoder.decode(bad, 'orders[1]@7'), (e) => isFloeError(e, 'DECODE_FAILED') && !e.retryable && /^orders\[1\]@7: schema id 2000000000 is not in the schema registry .*: an unknown schema id/.test(e.message));
    await assert.rejects(decoder.decode(bad, 'orders[1]@8'), (e) => isFloeError(e, 'DECODE_FAILED'));
    assert.equal(idRequests(proxy), 1, 'the second record did not ask again');
  } finally {
    await proxy.close();
  }
});

test('5xx is retried with back-off; concurrent lookups share one request; the cache is LRU', { skip }, async () => {
  const direct = new RegistryClient({ url: stack.registryUrl });
  const a = await direct.register(`${uniqueName('a')}-value`, JSON.stringify(ORDER));
  const b = await direct.register(`${uniqueName('b')}-value`, JSON.stringify({ ...ORDER, name: 'Other' }));
  const proxy = await startProxy(stack.registryUrl);
  try {
    const registry = new RegistryClient({ url: proxy.url, backoffMs: 10, cacheSize: 1 });
    proxy.failNext = 2;
    const all = await Promise.all(Array.from({ length: 20 }, () => registry.schemaById(a)));
    assert.ok(all.every((s) => s.id === a && s.schema.includes('Order')));
    assert.equal(idRequests(proxy), 3, 'two 503s, then one request served all twenty');
    await registry.schemaById(a);
    assert.equal(idRequests(proxy), 3, 'cached');
    await registry.schemaById(b);
    await registry.schemaById(a);
    assert.equal(idRequests(proxy), 5, 'with room for one, b pushed a out');
  } finally {
    await proxy.close();
  }
});

test('a registry that stays down, or refuses the credentials, is a retryable service fault', { skip }, async () => {
  const proxy = await startProxy(stack.registryUrl);
  try {
    proxy.failNext = 100;
    proxy.failStatus = 503;
    const registry = new RegistryClient({ url: proxy.url, attempts: 3, backoffMs: 5 });
    const decoder = new Decoder('avro', registry);
    await assert.rejects(decoder.decode(frame(1, Uint8Array.of(0)), 'x[0]@0'), (e) => isFloeError(e, 'REGISTRY_ERROR') && e.retryable && /503/.test(e.message));
    assert.equal(idRequests(proxy), 3, 'three attempts');

    proxy.failNext = 1;
    proxy.failStatus = 401;
    const basic = new RegistryClient({ url: proxy.url, username: 'floe', password: 's3cret' });
    await assert.rejects(basic.schemaById(1), (e) => isFloeError(e, 'UNAUTHORIZED') && e.retryable && /check registry\.username\/password or registry\.token/.test(e.message));
    assert.equal(proxy.seen.at(-1)?.headers.authorization, `Basic ${Buffer.from('floe:s3cret').toString('base64')}`);
    await new RegistryClient({ url: proxy.url, token: 'tok' }).subjects();
    assert.equal(proxy.seen.at(-1)?.headers.authorization, 'Bearer tok');
  } finally {
    await proxy.close();
  }
  const gone = new RegistryClient({ url: proxy.url, attempts: 2, backoffMs: 5, timeoutMs: 2000 });
  await assert.rejects(gone.schemaById(1), (e) => isFloeError(e, 'REGISTRY_ERROR') && e.retryable && /did not answer GET \/schemas\/ids\/1 after 2 attempts/.test(e.message));
});
