import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Auth } from '../../../catalog/auth.js';

const clients = [{ id: 'spark', secret: 's1' }, { id: 'trino', secret: 's2' }];

function issued(a: Auth, form: Record<string, string>, header?: string): string {
  const r = a.token(form, header);
  assert.ok(r.ok, JSON.stringify(r.body));
  return r.body.access_token;
}

test('no auth configured lets everything through', () => {
  assert.equal(new Auth().allows(undefined), true);
});

test('static tokens: exact match only', () => {
  const a = new Auth({ tokens: ['abc'] });
  assert.equal(a.allows('Bearer abc'), true);
  assert.equal(a.allows('bearer abc'), true);
  assert.equal(a.allows('Bearer abcd'), false);
  assert.equal(a.allows('Basic abc'), false);
  assert.equal(a.allows(undefined), false);
});

test('client credentials: form fields, Basic header, secret alone; wrong secrets refused', () => {
  const a = new Auth({ clients });
  const t = issued(a, { grant_type: 'client_credentials', client_id: 'spark', client_secret: 's1', scope: 'catalog' });
  assert.equal(a.allows(`Bearer ${t}`), true);
  issued(a, { grant_type: 'client_credentials' }, `Basic ${Buffer.from('trino:s2').toString('base64')}`);
  issued(a, { grant_type: 'client_credentials', client_secret: 's2' });
  const bad = a.token({ grant_type: 'client_credentials', client_id: 'spark', client_secret: 's2' }, undefined);
  assert.deepEqual([bad.ok, !bad.ok && bad.status, !bad.ok && bad.body.error], [false, 401, 'invalid_client']);
  const grant = a.token({ grant_type: 'authorization_code' }, undefined);
  assert.deepEqual([grant.ok, !grant.ok && grant.body.error], [false, 'unsupported_grant_type']);
});

test('issued tokens: signed, expire, survive a restart with the same clients, renew by token exchange', () => {
  const a = new Auth({ clients, tokenTtlSeconds: 60 });
  const t = issued(a, { grant_type: 'client_credentials', client_id: 'spark', client_secret: 's1' });
  const last = t.at(-1) === 'A' ? 'B' : 'A';
  assert.equal(a.allows(`Bearer ${t.slice(0, -1)}${last}`), false, 'a tampered signature');
  assert.equal(new Auth({ clients, tokenTtlSeconds: 60 }).allows(`Bearer ${t}`), true, 'a restarted catalog with the same clients');
  assert.equal(new Auth({ clients: [{ id: 'spark', secret: 'rotated' }] }).allows(`Bearer ${t}`), false, 'rotating secrets revokes tokens');
  const renewed = issued(a, { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: t, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
  assert.equal(a.allows(`Bearer ${renewed}`), true);
  const expired = new Auth({ clients, tokenTtlSeconds: -1 });
  assert.equal(expired.allows(`Bearer ${issued(expired, { grant_type: 'client_credentials', client_id: 'spark', client_secret: 's1' })}`), false);
});
