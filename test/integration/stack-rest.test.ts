/** Smoke test of the stack's Iceberg REST catalog (on the S3 store), with fetch(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const json = { 'content-type': 'application/json' };

test('rest: a namespace and a table created through the REST catalog load back, in the warehouse bucket', { skip: skipUnless('rest', 's3') }, async () => {
  const config = await fetch(`${stack.restUrl}/v1/config`);
  assert.equal(config.status, 200);

  const ns = uniqueName('stack_rest');
  const created = await fetch(`${stack.restUrl}/v1/namespaces`, { method: 'POST', headers: json, body: JSON.stringify({ namespace: [ns], properties: { owner: 'floe' } }) });
  assert.equal(created.status, 200, await created.clone().text());
  const nsBack = await fetch(`${stack.restUrl}/v1/namespaces/${ns}`);
  assert.equal(nsBack.status, 200);
  assert.equal(((await nsBack.json()) as { properties: Record<string, string> }).properties.owner, 'floe');

  const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'ts', required: false, type: 'timestamptz' }] };
  const spec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }] };
  const t = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'events', schema, 'partition-spec': spec }) });
  assert.equal(t.status, 200, await t.clone().text());

  const loaded = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/events`);
  assert.equal(loaded.status, 200);
  const body = (await loaded.json()) as {
    'metadata-location': string;
    metadata: { 'format-version': number; location: string; schemas: Array<{ fields: Array<{ name: string }> }>; 'partition-specs': Array<{ fields: Array<{ name: string; transform: string }> }> };
  };
  assert.match(body['metadata-location'], new RegExp(`^s3://${stack.s3.bucket}/rest/`));
  assert.equal(body.metadata['format-version'], 2);
  assert.deepEqual(body.metadata.schemas[0]?.fields.map((f) => f.name), ['id', 'ts']);
  assert.deepEqual(body.metadata['partition-specs'][0]?.fields.map((f) => [f.name, f.transform]), [['ts_day', 'day']]);

  const dup = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'events', schema }) });
  assert.equal(dup.status, 409, 'creating an existing table is a conflict');
  const missing = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/nope`);
  assert.equal(missing.status, 404);

  // The spec answers drops with 204; this server answers 200 with an empty body. Either is fine,
  // what matters is that the table and the namespace are gone afterwards.
  assert.ok((await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/events?purgeRequested=true`, { method: 'DELETE' })).ok);
  assert.equal((await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/events`)).status, 404);
  assert.ok((await fetch(`${stack.restUrl}/v1/namespaces/${ns}`, { method: 'DELETE' })).ok);
  assert.equal((await fetch(`${stack.restUrl}/v1/namespaces/${ns}`)).status, 404);
});
