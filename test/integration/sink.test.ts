/**
 * The sink end to end, in process: Avro records of every type on a 4-partition topic land in a
 * table that Trino reads back value by value; routing fans out by a field; malformed bytes,
 * unknown schema ids and values that do not fit the table go to the dead-letter table with their
 * raw bytes; plain JSON with a declared schema lands too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import { avroType, frame } from '../../src/decode/index.js';
import { RegistryClient } from '../../src/decode/registry.js';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { branchHead } from '../../src/spec/metadata.js';
import { createLogger } from '../../src/observability/index.js';
import { runService } from '../../src/service.js';
import type { Schema, Value } from '../../src/spec/types.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../helpers/all-types.js';
import { avroSchemaOf, avroValue } from '../helpers/avro-of.js';
import { canonicalRows } from '../helpers/canonical.js';
import { trinoQuery } from '../helpers/engines.js';
import { genRow, prng } from '../helpers/gen-rows.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForRows(catalog: RestCatalog, table: string, want: number, seconds = 90): Promise<number> {
  let total = -1;
  for (let i = 0; i < seconds * 2; i++) {
    try {
      total = Number(branchHead((await catalog.loadTable(parseIdent(table))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      total = -1;
    }
    if (total >= want) return total;
    await sleep(500);
  }
  return total;
}

test('Avro of every type, routing fan-out, dead letters and JSON through the running sink', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 600_000 }, async () => {
  const run = uniqueName('sink');
  const kafka = new kafkajs.Kafka({ clientId: 'sink-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = { all: `${run}-all`, routed: `${run}-routed`, json: `${run}-json`, jsonSchema: `${run}-js` };
  await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 4 })), waitForLeaders: true });
  await admin.disconnect();

  const registry = new RegistryClient({ url: stack.registryUrl });
  const allAvro = avroSchemaOf(ALL_TYPES, 'AllTypes');
  const allId = await registry.register(`${topics.all}-value`, JSON.stringify(allAvro));
  const allType = avroType(allAvro);
  const routedSchema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: 'id', required: true, type: { type: 'long' } },
      { id: 2, name: 'kind', required: false, type: { type: 'string' } },
    ],
  };
  const routedAvro = avroSchemaOf(routedSchema, 'Routed');
  const routedId = await registry.register(`${topics.routed}-value`, JSON.stringify(routedAvro));
  const routedType = avroType(routedAvro);
  // A second writer schema whose 'id' is a string: a value that does not fit the table.
  const badAvro = { type: 'record', name: 'Routed', fields: [{ name: 'id', type: ['null', 'string'], default: null }, { name: 'kind', type: ['null', 'string'], default: null }] };
  const badId = await registry.register(`${run}-bad-value`, JSON.stringify(badAvro));

  const jsonSchema = {
    type: 'object',
    properties: { id: { type: 'integer' }, name: { type: 'string' }, at: { type: 'string', format: 'date-time' }, tags: { type: 'array', items: { type: 'string' } }, price: { type: 'number' } },
    required: ['id'],
  };
  const jsId = await registry.register(`${topics.jsonSchema}-value`, JSON.stringify(jsonSchema), 'JSON');
  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
registry: { url: "${stack.registryUrl}" }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: { endpoint: "${stack.s3.endpoint}", region: ${stack.s3.region}, pathStyle: true, accessKeyId: ${stack.s3.accessKeyId}, secretAccessKey: ${stack.s3.secretAccessKey} } }
commit: { interval: 1s }
http: { port: 0 }
mappings:
  - topics: [${topics.all}]
    table: ${run}.all_types
    partitionBy: ["day(tstz)", "bucket(4, id)"]
  - topics: [${topics.routed}]
    table: ${run}.routed
    route: { field: kind, tables: { a: ${run}.kind_a, b: ${run}.kind_b } }
    deadLetter: { table: ${run}.routed_dlq }
  - topics: [${topics.json}]
    table: ${run}.json_events
    format: json
    schema:
      - { name: id, type: long, required: true }
      - { name: at, type: timestamptz }
      - { name: amount, type: "decimal(10,2)" }
    kafkaColumns: [partition, offset]
  - topics: [${topics.jsonSchema}]
    table: ${run}.js_events
    format: json-schema
`,
    'sink-test.yaml',
  );
  const svc = await runService(config, createLogger({ level: 'warn' }));
  try {
    const producer = kafka.producer();
    await producer.connect();
    const r = prng(7);
    const rows = [...ALL_TYPES_ROWS, ...Array.from({ length: 196 }, () => genRow(ALL_TYPES.fields, r))].map((row, i) => ({ ...row, id: BigInt(i) }) as { [k: string]: Value });
    await producer.send({
      topic: topics.all,
      messages: rows.map((row) => ({ key: String(row.id), value: frame(allId, allType.toBuffer(avroValue(row, { type: 'struct', fields: ALL_TYPES.fields }))) })),
    });
    const routedMsgs = Array.from({ length: 40 }, (_, i) => ({ key: String(i), value: frame(routedId, routedType.toBuffer({ id: BigInt(i), kind: i % 2 ? 'a' : 'b' })) }));
    const malformed = [
      { key: 'junk', value: Buffer.from('definitely not avro'), headers: { trace: 'x1' } },
      { key: 'unknown-id', value: frame(987_654_321, Buffer.from([2, 4])) },
      { key: 'no-route', value: frame(routedId, routedType.toBuffer({ id: 1000n, kind: 'zzz' })) },
      { key: 'bad-type', value: frame(badId, avroType(badAvro).toBuffer({ id: 'not-a-long', kind: 'a' })) },
    ];
    await producer.send({ topic: topics.routed, messages: [...routedMsgs, ...malformed] });
    await producer.send({
      topic: topics.json,
      messages: Array.from({ length: 30 }, (_, i) => ({ value: JSON.stringify({ id: i, at: `2024-05-0${(i % 9) + 1}T10:00:00.123456Z`, amount: `${i}.25` }) })),
    });
    await producer.send({
      topic: topics.jsonSchema,
      messages: [
        ...Array.from({ length: 10 }, (_, i) => ({ value: frame(jsId, Buffer.from(JSON.stringify({ id: i, name: `n${i}`, at: '2024-02-29T23:59:59.5Z', tags: ['x'], price: i / 4 }))) })),
        { value: frame(jsId, Buffer.from('{"id": "not a number"}')) },
      ],
    });
    await producer.disconnect();

    const catalog = new RestCatalog({ uri: stack.restUrl });
    assert.equal(await waitForRows(catalog, `${run}.all_types`, rows.length), rows.length);
    assert.equal(await waitForRows(catalog, `${run}.kind_a`, 20), 20);
    assert.equal(await waitForRows(catalog, `${run}.kind_b`, 20), 20);
    assert.equal(await waitForRows(catalog, `${run}.routed_dlq`, 4), 4);
    assert.equal(await waitForRows(catalog, `${run}.json_events`, 30), 30);
    assert.equal(await waitForRows(catalog, `${run}.js_events`, 10), 10);
    assert.equal(await waitForRows(catalog, `${run}.js_events_dlq`, 1), 1, 'a JSON value that does not fit the schema is a dead letter');
    const js = (await trinoQuery(`SELECT count(*) AS n, sum(price) AS p, max(at) AS at, max(cardinality(tags)) AS t FROM iceberg."${run}".js_events`)).rows[0];
    assert.deepEqual([Number(js?.n), Number(js?.p), String(js?.at), Number(js?.t)], [10, 11.25, '2024-02-29 23:59:59.500000 UTC', 1]);

    const got = canonicalRows((await trinoQuery(`SELECT * FROM iceberg."${run}".all_types`)).rows, ALL_TYPES);
    assert.deepEqual(got, canonicalRows(rows, ALL_TYPES, true), 'Trino reads every value as produced');

    const dlq = (await trinoQuery(`SELECT key, to_hex(value) AS value, error_code, error, "partition", "offset", target_table, headers FROM iceberg."${run}".routed_dlq ORDER BY "offset"`)).rows;
    const byKey = new Map(dlq.map((d) => [Buffer.from(String(d.key), 'hex').toString(), d]));
    assert.equal(byKey.get('junk')?.value, Buffer.from('definitely not avro').toString('hex').toUpperCase(), 'raw bytes intact');
    assert.equal(byKey.get('junk')?.error_code, 'DECODE_FAILED');
    assert.match(String(byKey.get('unknown-id')?.error), /schema id 987654321 is not in the schema registry/);
    assert.equal(byKey.get('no-route')?.error_code, 'ROUTE_FAILED');
    assert.equal(byKey.get('bad-type')?.error_code, 'CONVERT_FAILED');
    assert.equal(byKey.get('bad-type')?.target_table, `${run}.kind_a`);
    assert.deepEqual(byKey.get('junk')?.headers, [['trace', Buffer.from('x1').toString('hex')]]);

    const json = (await trinoQuery(`SELECT sum(amount) AS s, count(DISTINCT _kafka."partition") AS parts, min(at) AS first FROM iceberg."${run}".json_events`)).rows[0];
    assert.equal(String(json?.s), String((30 * 29) / 2 + 30 * 0.25).replace(/\.5$/, '.50'));
    assert.ok(Number(json?.parts) >= 1);
  } finally {
    await svc.stop();
  }
});
