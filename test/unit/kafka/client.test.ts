import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oauthTokenProvider } from '../../../src/kafka/client.js';
import { isFloeError } from '../../../src/errors.js';
import { toOffset } from '../../../src/kafka/types.js';

async function tokenServer(answer: (body: string) => { status: number; json?: unknown }): Promise<{ url: string; calls: string[]; close: () => void }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      calls.push(body);
      const a = answer(body);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.json ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, calls, close: () => server.close() };
}

test('OAuth bearer: client credentials are posted once and the token is reused until near expiry', async () => {
  let n = 0;
  const s = await tokenServer(() => ({ status: 200, json: { access_token: `t${++n}`, expires_in: 3600 } }));
  try {
    const get = oauthTokenProvider({ tokenEndpoint: s.url, clientId: 'floe', clientSecret: 'sec ret', scope: 'kafka' });
    assert.deepEqual(await get(), { value: 't1' });
    assert.deepEqual(await get(), { value: 't1' });
    assert.equal(s.calls.length, 1);
    const form = new URLSearchParams(s.calls[0]);
    assert.deepEqual(Object.fromEntries(form), { grant_type: 'client_credentials', client_id: 'floe', client_secret: 'sec ret', scope: 'kafka' });
  } finally {
    s.close();
  }
});

test('OAuth bearer: a token that expires within a minute is fetched again', async () => {
  let n = 0;
  const s = await tokenServer(() => ({ status: 200, json: { access_token: `t${++n}`, expires_in: 30 } }));
  try {
    const get = oauthTokenProvider({ tokenEndpoint: s.url, clientId: 'floe', clientSecret: 'x' });
    assert.deepEqual(await get(), { value: 't1' });
    assert.deepEqual(await get(), { value: 't2' });
  } finally {
    s.close();
  }
});

test('OAuth bearer: a refused request is a KAFKA_ERROR naming the endpoint, retryable only for 5xx', async () => {
  let status = 401;
  const s = await tokenServer(() => ({ status }));
  try {
    const get = oauthTokenProvider({ tokenEndpoint: s.url, clientId: 'floe', clientSecret: 'x' });
    await assert.rejects(get(), (e: unknown) => isFloeError(e, 'KAFKA_ERROR') && !e.retryable && e.message.includes(s.url) && e.message.includes('401'));
    status = 503;
    await assert.rejects(get(), (e: unknown) => isFloeError(e, 'KAFKA_ERROR') && e.retryable);
  } finally {
    s.close();
  }
});

test('offsets beyond 2^53 are refused, not rounded', () => {
  assert.equal(toOffset('9007199254740991', 'x'), Number.MAX_SAFE_INTEGER);
  assert.throws(() => toOffset('9007199254740993', 't[0]'), /t\[0\]: offset 9007199254740993 is not a safe integer/);
});
