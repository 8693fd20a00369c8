/** Smoke tests of the stack: each service does its basic job for a real client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

test('kafka: produce to a 3-partition topic and consume every record back', { skip: skipUnless('kafka'), timeout: 60_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'smoke', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const topic = uniqueName('smoke');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  await producer.send({ topic, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          got.push(`${message.key?.toString()}=${message.value?.toString()}`);
          if (got.length === sent.length) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  assert.deepEqual(got.sort(), sent.map((m) => `${m.key}=${m.value}`).sort());
});

test('registry: register an Avro schema and fetch it by id through the Confluent API', { skip: skipUnless('registry') }, async () => {
  const subject = `${uniqueName('smoke')}-value`;
  const schema = JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }, { name: 'merchant', type: 'string' }] });
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const reg = await fetch(`${stack.registryUrl}/subjects/${subject}/versions`, { method: 'POST', headers, body: JSON.stringify({ schema }) });
  assert.equal(reg.status, 200, await reg.clone().text());
  const { id } = (await reg.json()) as { id: number };
  assert.ok(Number.isInteger(id));
  const byId = await fetch(`${stack.registryUrl}/schemas/ids/${id}`);
  assert.equal(byId.status, 200);
  const got = JSON.parse(((await byId.json()) as { schema: string }).schema) as { name: string; fields: Array<{ name: string }> };
  assert.equal(got.name, 'Order');
  assert.deepEqual(got.fields.map((f) => f.name), ['id', 'merchant']);
  const unknown = await fetch(`${stack.registryUrl}/schemas/ids/987654321`);
  assert.equal(unknown.status, 404);
});

test('rest: create a namespace and a table through the Iceberg REST catalog and load it back', { skip: skipUnless('rest', 's3') }, async () => {
  const ns = uniqueName('smoke');
  const json = { 'content-type': 'application/json' };
  const created = await fetch(`${stack.restUrl}/v1/namespaces`, { method: 'POST', headers: json, body: JSON.stringify({ namespace: [ns] }) });
  assert.equal(created.status, 200, await created.clone().text());
  const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'ts', required: false, type: 'timestamptz' }] };
  const t = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'events', schema }) });
  assert.equal(t.status, 200, await t.clone().text());
  const loaded = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables/events`);
  assert.equal(loaded.status, 200);
  const body = (await loaded.json()) as { 'metadata-location': string; metadata: { 'format-version': number; schemas: Array<{ fields: Array<{ name: string }> }> } };
  assert.match(body['metadata-location'], new RegExp(`^s3://${stack.s3.bucket}/`));
  assert.equal(body.metadata['format-version'], 2);
  assert.deepEqual(body.metadata.schemas[0]?.fields.map((f) => f.name), ['id', 'ts']);
  const dup = await fetch(`${stack.restUrl}/v1/namespaces/${ns}/tables`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'events', schema }) });
  assert.equal(dup.status, 409, 'creating an existing table is a conflict');
});

test('s3: put and get an object, path style, with the stack credentials', { skip: skipUnless('s3') }, async () => {
  const client = new S3Client({
    endpoint: stack.s3.endpoint,
    region: stack.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
  });
  const Key = `smoke/${uniqueName('obj')}.bin`;
  const body = new Uint8Array(1024 * 64).map((_, i) => i % 251);
  await client.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key, Body: body }));
  const got = await client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key }));
  assert.deepEqual(await got.Body?.transformToByteArray(), body);
  await client.send(new DeleteObjectCommand({ Bucket: stack.s3.bucket, Key }));
  await assert.rejects(client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key })), /NoSuchKey|not exist/i);
  await assert.rejects(client.send(new CreateBucketCommand({ Bucket: stack.s3.bucket })), 'the warehouse bucket already exists');
  client.destroy();
});
