/** Smoke test of the stack's schema registry through its Confluent-compatible API, with fetch(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

async function register(subject: string, schema: object): Promise<number> {
  const res = await fetch(`${stack.registryUrl}/subjects/${subject}/versions`, { method: 'POST', headers, body: JSON.stringify({ schema: JSON.stringify(schema) }) });
  assert.equal(res.status, 200, await res.clone().text());
  const { id } = (await res.json()) as { id: number };
  assert.ok(Number.isInteger(id), `id ${id}`);
  return id;
}

test('registry: an Avro schema registered under a subject is fetched back by id', { skip: skipUnless('registry') }, async () => {
  const subject = `${uniqueName('stack_registry')}-value`;
  const v1 = { type: 'record', name: 'Order', namespace: 'floe.smoke', fields: [{ name: 'id', type: 'long' }, { name: 'merchant', type: 'string' }] };
  const id = await register(subject, v1);
  assert.equal(await register(subject, v1), id, 'registering the same schema again answers the same id');

  const byId = await fetch(`${stack.registryUrl}/schemas/ids/${id}`);
  assert.equal(byId.status, 200);
  const got = JSON.parse(((await byId.json()) as { schema: string }).schema) as { name: string; fields: Array<{ name: string; type: string }> };
  assert.equal(got.name, 'Order');
  assert.deepEqual(got.fields.map((f) => [f.name, f.type]), [['id', 'long'], ['merchant', 'string']]);

  const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
  const id2 = await register(subject, v2);
  assert.notEqual(id2, id);
  const latest = await fetch(`${stack.registryUrl}/subjects/${subject}/versions/latest`);
  assert.equal(latest.status, 200);
  const body = (await latest.json()) as { id: number; version: number };
  assert.deepEqual([body.id, body.version], [id2, 2]);

  const unknown = await fetch(`${stack.registryUrl}/schemas/ids/987654321`);
  assert.equal(unknown.status, 404);

  // Deletes are enabled on the stack (tests clean up their subjects).
  const del = await fetch(`${stack.registryUrl}/subjects/${subject}`, { method: 'DELETE' });
  assert.equal(del.status, 200, await del.clone().text());
  assert.deepEqual(await del.json(), [1, 2]);
});
