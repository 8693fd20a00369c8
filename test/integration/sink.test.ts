/**
 * The sink end to end, in process: Avro records of every type on 4-partition topics (decimal as
 * bytes and fixed, date, time-millis/micros, timestamp-millis/micros, local-timestamp-millis/micros,
 * uuid, unions with null, nested records, arrays, maps, enums) land in tables that Trino and Spark
 * read back value by value; routing fans out by a field; malformed bytes, unknown schema ids and
 * values that do not fit the table go to the dead-letter table with their raw bytes; JSON Schema
 * and plain JSON with a declared schema land and read back value by value in both engines too.
 *
 * Spark 4.0 with Iceberg 1.10 cannot load a table that has a `time` column at all (docs/decisions.md
 * D6), so each Avro topic also fans out into a twin table created beforehand without its time
 * columns: Spark compares every other column of the same records, Trino every column.
 */
import { test } from 'node:test';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import avsc from 'avsc';
import { avroType, frame } from '../../src/decode/index.js';
import { RegistryClient } from '../../src/decode/registry.js';
import { RestCatalog, TableOps, parseIdent } from '../../src/iceberg/index.js';
import { S3FileIO } from '../../src/io/index.js';
import { compactTable } from '../../src/maintenance/index.js';
import { branchHead, currentSchema } from '../../src/spec/metadata.js';
import { createLogger } from '../../src/observability/index.js';
import { runService } from '../../src/service.js';
import type { NestedField, Schema, Value } from '../../src/spec/types.js';
import { schemaToJson } from '../../src/spec/schema.js';
import { parseTransform } from '../../src/spec/transforms.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../helpers/all-types.js';
import { avroSchemaOf, avroValue } from '../helpers/avro-of.js';
import { canonicalRows } from '../helpers/canonical.js';
import { stackS3 as s3Settings } from '../helpers/catalog.js';
import { duckdbScan, pyicebergScan, sparkQuery, tableSchema, trinoQuery, type Row } from '../helpers/engines.js';
import { stackConfig, stackS3 } from '../helpers/floe.js';
import { createTopic } from '../helpers/kafka.js';
import { genRow, prng } from '../helpers/gen-rows.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spark cannot load a table with a `time` column (docs/decisions.md D6). */
const withoutTime = (s: Schema): Schema => ({ schemaId: 0, fields: s.fields.filter((f) => f.type.type !== 'time') });

/** A table's columns as Trino or Spark reads them, in canonical form (sorted), for value-by-value comparison. */
async function readBack(engine: 'trino' | 'spark', ident: string, fields: readonly NestedField[]) {
  const [ns, table] = ident.split('.') as [string, string];
  const rows =
    engine === 'trino'
      ? (await trinoQuery(`SELECT ${fields.map((f) => `"${f.name}"`).join(', ')} FROM iceberg."${ns}"."${table}"`)).rows
      : (await sparkQuery(`SELECT ${fields.map((f) => `\`${f.name}\``).join(', ')} FROM iceberg.\`${ns}\`.\`${table}\``)).rows;
  return canonicalRows(rows, { fields });
}

/** Avro's millisecond logical types and enums, beside what ALL_TYPES covers (its Avro uses the micros variants). */
const MILLIS_AVRO = {
  type: 'record',
  name: 'Millis',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'tm', type: ['null', { type: 'int', logicalType: 'time-millis' }], default: null },
    { name: 'tsm', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    { name: 'ltsm', type: ['null', { type: 'long', logicalType: 'local-timestamp-millis' }], default: null },
    { name: 'color', type: ['null', { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] }], default: null },
    { name: 'price', type: { type: 'fixed', name: 'Price', size: 4, logicalType: 'decimal', precision: 7, scale: 2 } },
    { name: 'amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 }], default: null },
  ],
};
/** The table Floe should create from MILLIS_AVRO (ids as a create assigns them). */
const MILLIS_TABLE: NestedField[] = [
  { id: 1, name: 'id', required: true, type: { type: 'long' } },
  { id: 2, name: 'tm', required: false, type: { type: 'time' } },
  { id: 3, name: 'tsm', required: false, type: { type: 'timestamptz' } },
  { id: 4, name: 'ltsm', required: false, type: { type: 'timestamp' } },
  { id: 5, name: 'color', required: false, type: { type: 'string' } },
  { id: 6, name: 'price', required: true, type: { type: 'decimal', precision: 7, scale: 2 } },
  { id: 7, name: 'amount', required: false, type: { type: 'decimal', precision: 12, scale: 3 } },
];
function twosComplement(v: bigint, size?: number): Buffer {
  let hex = (v < 0n ? (1n << BigInt((size ?? 16) * 8)) + v : v).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (size !== undefined) b = Buffer.concat([Buffer.alloc(size - b.length, v < 0n ? 0xff : 0), b]);
  else if (v >= 0n && (b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  else if (v < 0n) while (b.length > 1 && b[0] === 0xff && (b[1] ?? 0) & 0x80) b = b.subarray(1);
  return b;
}

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
  const topics = { all: `${run}-all`, routed: `${run}-routed`, json: `${run}-json`, jsonSchema: `${run}-js`, millis: `${run}-millis` };
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
  const millisId = await registry.register(`${topics.millis}-value`, JSON.stringify(MILLIS_AVRO));
  // Twins for Spark: the same topics into tables made beforehand without the time columns.
  const catalog = new RestCatalog({ uri: stack.restUrl });
  await catalog.ensureNamespace([run]);
  await catalog.createTable(parseIdent(`${run}.all_types_spark`), { schema: schemaToJson(withoutTime(ALL_TYPES)) });
  await catalog.createTable(parseIdent(`${run}.millis_spark`), { schema: schemaToJson(withoutTime({ schemaId: 0, fields: MILLIS_TABLE })) });
  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
registry: { url: "${stack.registryUrl}" }
catalog: { uri: "${stack.restUrl}" }
storage: { s3: ${stackS3} }
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
  - topics: [${topics.millis}]
    table: ${run}.millis
  - topics: [${topics.all}]
    table: ${run}.all_types_spark
    autoCreate: false
  - topics: [${topics.millis}]
    table: ${run}.millis_spark
    autoCreate: false
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
    // Millisecond logical types, enums and decimals as fixed and bytes, encoded with plain avsc
    // (no logical-type hooks): the bytes are what a Java producer sends.
    const millisType = avsc.Type.forSchema(MILLIS_AVRO as avsc.Schema);
    const colors = ['RED', 'GREEN', 'BLUE'];
    const millisRows: Array<{ [k: string]: Value }> = [];
    const millisMsgs = Array.from({ length: 40 }, (_, i) => {
      const nul = i % 7 === 3;
      const tm = i === 0 ? 0 : i === 1 ? 86_399_999 : (i * 3_723_456) % 86_400_000;
      const tsm = i === 0 ? -1 : 1_700_000_000_000 + i * 1_234_567;
      const ltsm = i === 0 ? -62_135_596_800_000 : 1_600_000_000_000 - i * 7_654_321;
      const price = BigInt((i % 2 ? -1 : 1) * (i * 12_345 + 1)); // fits decimal(7,2)
      const amount = i === 2 ? -(10n ** 11n) + 1n : BigInt(i) * 1_000_003n;
      millisRows.push({
        id: BigInt(i),
        tm: nul ? null : BigInt(tm) * 1000n,
        tsm: nul ? null : BigInt(tsm) * 1000n,
        ltsm: nul ? null : BigInt(ltsm) * 1000n,
        color: nul ? null : (colors[i % 3] as string),
        price,
        amount: nul ? null : amount,
      });
      const value = millisType.toBuffer({
        id: i,
        tm: nul ? null : tm,
        tsm: nul ? null : tsm,
        ltsm: nul ? null : ltsm,
        color: nul ? null : colors[i % 3],
        price: twosComplement(price, 4),
        amount: nul ? null : twosComplement(amount),
      });
      return { key: String(i), value: frame(millisId, value) };
    });
    await producer.send({ topic: topics.millis, messages: millisMsgs });
    await producer.disconnect();

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

    assert.equal(await waitForRows(catalog, `${run}.millis`, 40), 40);
    assert.equal(await waitForRows(catalog, `${run}.millis_spark`, 40), 40);
    assert.equal(await waitForRows(catalog, `${run}.all_types_spark`, rows.length), rows.length);
    assert.deepEqual((await tableSchema(`${run}.millis`)).fields.map((f) => [f.name, f.required, f.type]), MILLIS_TABLE.map((f) => [f.name, f.required, f.type]), 'millis, enum and decimal Avro types map to these Iceberg types');
    assert.deepEqual(await readBack('trino', `${run}.millis`, MILLIS_TABLE), canonicalRows(millisRows, { fields: MILLIS_TABLE }, true), 'Trino reads the millisecond types, enums and decimals as produced');

    // JSON Schema and plain JSON, value by value (the Kafka metadata column aside: its partition is the producer's choice).
    const jsFields = (await tableSchema(`${run}.js_events`)).fields;
    const jsRows = Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i), name: `n${i}`, at: BigInt(Date.parse('2024-02-29T23:59:59.5Z')) * 1000n, tags: ['x'], price: i / 4 }));
    const jsonFields = (await tableSchema(`${run}.json_events`)).fields.filter((f) => f.name !== '_kafka');
    const jsonRows = Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i), at: BigInt(Date.parse(`2024-05-0${(i % 9) + 1}T10:00:00.123Z`)) * 1000n + 456n, amount: BigInt(i * 100 + 25) }));
    const expectJs = canonicalRows(jsRows, { fields: jsFields }, true);
    const expectJson = canonicalRows(jsonRows, { fields: jsonFields }, true);
    assert.deepEqual(await readBack('trino', `${run}.js_events`, jsFields), expectJs, 'Trino reads the JSON Schema records as produced');
    assert.deepEqual(await readBack('trino', `${run}.json_events`, jsonFields), expectJson, 'Trino reads the plain JSON records as produced');

    // Spark (started after Trino's queries): every column but the time ones (D6), from the twins; JSON in full.
    const noTime = withoutTime(ALL_TYPES).fields;
    assert.deepEqual(await readBack('spark', `${run}.all_types_spark`, noTime), canonicalRows(rows, { fields: noTime }, true), 'Spark reads every non-time value of the every-type records as produced');
    const millisNoTime = MILLIS_TABLE.filter((f) => f.type.type !== 'time');
    assert.deepEqual(await readBack('spark', `${run}.millis_spark`, millisNoTime), canonicalRows(millisRows, { fields: millisNoTime }, true), 'Spark reads the millisecond timestamps, enums and decimals as produced');
    assert.deepEqual(await readBack('spark', `${run}.js_events`, jsFields), expectJs, 'Spark reads the JSON Schema records as produced');
    assert.deepEqual(await readBack('spark', `${run}.json_events`, jsonFields), expectJson, 'Spark reads the plain JSON records as produced');

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

test('a new table whose first record has a writer schema with no Iceberg form: that record is a dead letter, the next schema creates the table', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 180_000 }, async () => {
  const run = uniqueName('noform');
  const topic = `${run}-events`;
  const kafka = await createTopic(topic, 1, 'sink-test');
  const registry = new RegistryClient({ url: stack.registryUrl });
  // A union of two non-null types has no Iceberg type: no table can be created from this schema.
  const unionAvro = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'v', type: ['int', 'string'] }] };
  const goodAvro = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'v', type: ['null', 'string'], default: null }] };
  const unionId = await registry.register(`${run}-union-value`, JSON.stringify(unionAvro));
  const goodId = await registry.register(`${topic}-value`, JSON.stringify(goodAvro));
  const config = parseConfig(stackConfig({ group: run, kafka: '  sessionTimeout: 6s\n', extra: 'commit: { interval: 1s }\n', mappings: `  - topics: [${topic}]\n    table: ${run}.events\n` }), 'noform.yaml');
  const producer = kafka.producer();
  await producer.connect();
  const unionBytes = avroType(unionAvro).toBuffer({ id: 0n, v: 7 });
  await producer.send({
    topic,
    messages: [
      { key: 'union', value: frame(unionId, unionBytes) },
      ...[1, 2, 3].map((i) => ({ key: String(i), value: frame(goodId, avroType(goodAvro).toBuffer({ id: BigInt(i), v: `s${i}` })) })),
    ],
  });
  await producer.disconnect();
  const svc = await runService(config, createLogger({ level: 'error' }));
  try {
    const catalog = new RestCatalog({ uri: stack.restUrl });
    assert.equal(await waitForRows(catalog, `${run}.events`, 3), 3);
    assert.equal(await waitForRows(catalog, `${run}.events_dlq`, 1), 1);
    const d = (await trinoQuery(`SELECT key, to_hex(value) AS value, error_code, error, target_table FROM iceberg."${run}".events_dlq`)).rows[0];
    assert.equal(Buffer.from(String(d?.key), 'hex').toString(), 'union');
    assert.equal(d?.value, frame(unionId, unionBytes).toString('hex').toUpperCase(), 'raw bytes intact');
    assert.equal(d?.target_table, `${run}.events`);
    assert.match(String(d?.error), /union/i);
    assert.deepEqual((await tableSchema(`${run}.events`)).fields.map((f) => [f.name, f.type]), [['id', { type: 'long' }], ['v', { type: 'string' }]]);
  } finally {
    await svc.stop();
  }
});

test('an existing table partitioned and configured otherwise than the mapping: the sink writes with the table\'s and warns once, naming the keys; the freshness gauge holds the newest record\'s timestamp', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 180_000 }, async () => {
  const run = uniqueName('shape');
  const topic = `${run}-events`;
  const kafka = await createTopic(topic, 1, 'sink-test');
  const avro = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }] };
  const id = await new RegistryClient({ url: stack.registryUrl }).register(`${topic}-value`, JSON.stringify(avro));
  const catalog = new RestCatalog({ uri: stack.restUrl });
  await catalog.ensureNamespace([run]);
  await catalog.createTable(parseIdent(`${run}.events`), { schema: schemaToJson({ schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] }), properties: { 'commit.manifest.min-count-to-merge': '100' } });
  const config = parseConfig(
    stackConfig({ group: run, extra: 'commit: { interval: 1s }\n', mappings: `  - topics: [${topic}]\n    table: ${run}.events\n    partitionBy: ["bucket(4, id)"]\n    tableProperties: { commit.manifest.min-count-to-merge: 5 }\n` }),
    'shape.yaml',
  );
  const producer = kafka.producer();
  await producer.connect();
  const sentAt = Date.now();
  await producer.send({ topic, messages: [1, 2, 3].map((i) => ({ value: frame(id, avroType(avro).toBuffer({ id: BigInt(i) })), timestamp: String(sentAt - 3 + i) })) });
  await producer.disconnect();
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  const svc = await runService(config, createLogger({ level: 'warn', destination }));
  try {
    assert.equal(await waitForRows(catalog, `${run}.events`, 3), 3);
    const meta = (await catalog.loadTable(parseIdent(`${run}.events`))).metadata;
    assert.deepEqual([meta.partitionSpecs.length, meta.partitionSpecs[0]?.fields.length, meta.properties['commit.manifest.min-count-to-merge']], [1, 0, '100'], 'the table keeps its partitioning and properties');
    const warned = lines.filter((l) => l.includes(`"table":"${run}.events"`));
    assert.equal(warned.filter((l) => l.includes('mappings[0].partitionBy: the table is unpartitioned; the mapping says [bucket(4, id)]')).length, 1, warned.join(''));
    assert.equal(warned.filter((l) => l.includes('mappings[0].tableProperties: commit.manifest.min-count-to-merge=5 (the table has 100)')).length, 1, warned.join(''));
    // Freshness: the newest committed record's Kafka timestamp (the third one's), in seconds.
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    const fresh = new RegExp(`^floe_newest_committed_record_timestamp_seconds\\{table="${run}\\.events"\\} (\\S+)$`, 'm').exec(metrics)?.[1];
    assert.equal(Number(fresh), sentAt / 1000, metrics.split('\n').filter((l) => l.includes('newest')).join('\n'));
  } finally {
    await svc.stop();
  }
});

test('another engine repartitions the table while the sink has a batch open, and a new writer schema evolves it mid-batch: one commit lists the files under both specs; Trino and PyIceberg read and filter both', { skip: skipUnless('kafka', 'registry', 'rest', 's3', 'trino', 'pyiceberg'), timeout: 300_000 }, async () => {
  const run = uniqueName('respec');
  const topic = `${run}-events`;
  const table = `${run}.events`;
  const kafka = await createTopic(topic, 1, 'sink-test');
  const v1 = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'cat', type: 'string' }] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
  const registry = new RegistryClient({ url: stack.registryUrl });
  const id1 = await registry.register(`${topic}-value`, JSON.stringify(v1));
  const id2 = await registry.register(`${topic}-value`, JSON.stringify(v2));
  const catalog = new RestCatalog({ uri: stack.restUrl });
  // Commits only when the service stops: the batch stays open across the repartitioning.
  const config = parseConfig(stackConfig({ group: run, extra: 'commit: { interval: 10m }\n', mappings: `  - topics: [${topic}]\n    table: ${table}\n    partitionBy: [cat]\n    schemaEvolution: add-columns\n` }), 'respec.yaml');
  const producer = kafka.producer();
  await producer.connect();
  const taken = async (url: string) => Number(new RegExp(`^floe_records_in_total\\{topic="${topic}"\\} (\\d+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
  try {
    const svc = await runService(config, createLogger({ level: 'error' }));
    try {
      await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: frame(id1, avroType(v1).toBuffer({ id: BigInt(i), cat: i % 2 ? 'a' : 'b' })) })) });
      for (let i = 0; i < 120 && (await taken(svc.url)) < 100; i++) await sleep(500);
      assert.equal(await taken(svc.url), 100, 'the first 100 records are in the open batch');
      // Another engine: partitioned by bucket(4, id) from now on (cat dropped from the spec).
      const before = (await catalog.loadTable(parseIdent(table))).metadata;
      assert.deepEqual([before.defaultSpecId, before.snapshots.length], [0, 0], 'created with identity(cat), nothing committed yet');
      await catalog.commitTable(parseIdent(table), [{ type: 'assert-default-spec-id', defaultSpecId: 0 }], [
        { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: parseTransform('bucket[4]') }] } },
        { action: 'set-default-spec', specId: -1 },
      ]);
      // A writer schema with a new field: the sink evolves the table (and so reloads it) in the
      // middle of the batch; the rest of the batch is written with the table's new spec.
      await producer.send({ topic, messages: Array.from({ length: 100 }, (_, k) => ({ value: frame(id2, avroType(v2).toBuffer({ id: BigInt(100 + k), cat: 'c', note: `n${k}` })) })) });
      for (let i = 0; i < 120 && (await taken(svc.url)) < 200; i++) await sleep(500);
      assert.equal(await taken(svc.url), 200, 'all 200 records are in the open batch');
    } finally {
      await svc.stop();
    }
    assert.equal(await waitForRows(catalog, table, 200), 200, 'the open batch committed on stop');
    const meta = (await catalog.loadTable(parseIdent(table))).metadata;
    assert.deepEqual([meta.snapshots.length, currentSchema(meta).fields.map((f) => f.name)], [1, ['id', 'cat', 'note']], 'one snapshot; the column added');
    const q = async (sql: string) => (await trinoQuery(sql)).rows;
    const t = `iceberg."${run}".events`;
    assert.deepEqual(await q(`SELECT spec_id, count(*) AS files, sum(record_count) AS n FROM "${run}"."events$files" GROUP BY spec_id ORDER BY spec_id`), [
      { spec_id: 0, files: 2, n: 100 },
      { spec_id: 1, files: 4, n: 100 },
    ]);
    assert.deepEqual(await q(`SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM ${t}`), [{ n: 200, ids: 200, lo: 0, hi: 199 }]);
    assert.deepEqual(await q(`SELECT cat, count(*) AS n, count(note) AS notes FROM ${t} GROUP BY cat ORDER BY cat`), [{ cat: 'a', n: 50, notes: 0 }, { cat: 'b', n: 50, notes: 0 }, { cat: 'c', n: 100, notes: 100 }]);
    assert.deepEqual(await q(`SELECT count(*) AS n FROM ${t} WHERE cat = 'a'`), [{ n: 50 }], 'a filter on the old spec\'s partition column');
    assert.deepEqual(await q(`SELECT id, cat FROM ${t} WHERE id IN (7, 150) ORDER BY id`), [{ id: 7, cat: 'a' }, { id: 150, cat: 'c' }], 'a filter on the new spec\'s source column');
    const a = await pyicebergScan(table, { filter: "cat == 'a'", selectedFields: ['id'] });
    assert.equal(a.length, 50);
    const one = await pyicebergScan(table, { filter: 'id == 150', selectedFields: ['id', 'cat'] });
    assert.deepEqual(one.map((r) => [Number(r.id), r.cat]), [[150, 'c']]);
  } finally {
    await producer.disconnect();
  }
});

test('schemaEvolution add-columns: a writer schema with new fields (top level and in a struct) adds them to the table; older writers keep landing with nulls', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 180_000 }, async () => {
  const run = uniqueName('evolve');
  const topic = `${run}-events`;
  const kafka = await createTopic(topic, 1, 'sink-test');
  const registry = new RegistryClient({ url: stack.registryUrl });
  const customer = (extra: object[] = []) => ({ type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, ...extra] });
  const v1 = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'customer', type: customer() }] };
  const v2 = {
    type: 'record',
    name: 'Event',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'customer', type: customer([{ name: 'tier', type: ['null', 'int'], default: null }]) },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  };
  const id1 = await registry.register(`${topic}-value`, JSON.stringify(v1));
  const id2 = await registry.register(`${topic}-value`, JSON.stringify(v2));
  const config = parseConfig(
    stackConfig({ group: run, extra: 'commit: { interval: 1s }\n', mappings: `  - topics: [${topic}]\n    table: ${run}.events\n    schemaEvolution: add-columns\n` }),
    'evolve.yaml',
  );
  const producer = kafka.producer();
  await producer.connect();
  const send = (schemaId: number, schema: object, values: object[]) => producer.send({ topic, messages: values.map((v) => ({ value: frame(schemaId, avroType(schema).toBuffer(v)) })) });
  const svc = await runService(config, createLogger({ level: 'error' }));
  try {
    const catalog = new RestCatalog({ uri: stack.restUrl });
    await send(id1, v1, [1, 2, 3].map((i) => ({ id: BigInt(i), customer: { name: `c${i}` } })));
    assert.equal(await waitForRows(catalog, `${run}.events`, 3), 3);
    const before = await tableSchema(`${run}.events`);
    // In one batch: v1 rows (open in a writer of the old schema when v2 arrives), v2 rows, and
    // an older producer's v1 rows after the table has the new columns.
    await producer.send({
      topic,
      messages: [
        ...[9, 10].map((i) => ({ value: frame(id1, avroType(v1).toBuffer({ id: BigInt(i), customer: { name: `c${i}` } })) })),
        ...[4, 5, 6].map((i) => ({ value: frame(id2, avroType(v2).toBuffer({ id: BigInt(i), customer: { name: `c${i}`, tier: i }, note: `n${i}` })) })),
        ...[7, 8].map((i) => ({ value: frame(id1, avroType(v1).toBuffer({ id: BigInt(i), customer: { name: `c${i}` } })) })),
      ],
    });
    assert.equal(await waitForRows(catalog, `${run}.events`, 10), 10);
    const after = await tableSchema(`${run}.events`);
    const maxBefore = Math.max(...before.fields.flatMap((f) => [f.id, ...(f.type.type === 'struct' ? f.type.fields.map((x) => x.id) : [])]));
    const note = after.fields.find((f) => f.name === 'note');
    const cust = after.fields.find((f) => f.name === 'customer');
    const tier = cust?.type.type === 'struct' ? cust.type.fields.find((f) => f.name === 'tier') : undefined;
    assert.ok(note && tier, 'note and customer.tier were added');
    assert.ok(note.id > maxBefore && tier.id > maxBefore && note.id !== tier.id, 'with fresh ids');
    assert.deepEqual([note.required, tier.required, note.type, tier.type], [false, false, { type: 'string' }, { type: 'int' }]);
    assert.deepEqual(
      before.fields.map((f) => [f.id, f.name]),
      after.fields.filter((f) => f.name !== 'note').map((f) => [f.id, f.name]),
      'the old columns keep their ids',
    );
    const rows = (await trinoQuery(`SELECT id, customer.name AS name, customer.tier AS tier, note FROM iceberg."${run}".events ORDER BY id`)).rows;
    assert.deepEqual(
      rows.map((r) => [Number(r.id), r.name, r.tier ?? null, r.note ?? null]),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [i, `c${i}`, i >= 4 && i <= 6 ? i : null, i >= 4 && i <= 6 ? `n${i}` : null]),
    );
    // v3 has no customer.name (required in the table): the column is made optional, and v3's
    // records land with it null instead of going to the dead-letter table.
    const v3 = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'tier', type: ['null', 'int'], default: null }] } }] };
    const id3 = await registry.register(`${topic}-value`, JSON.stringify(v3));
    await send(id3, v3, [{ id: 11n, customer: { tier: 11 } }]);
    assert.equal(await waitForRows(catalog, `${run}.events`, 11), 11);
    const relaxed = (await tableSchema(`${run}.events`)).fields.find((f) => f.name === 'customer');
    assert.deepEqual(relaxed?.type.type === 'struct' ? relaxed.type.fields.map((f) => [f.name, f.required]) : [], [['name', false], ['tier', false]]);
    const last = (await trinoQuery(`SELECT id, customer.name AS name, customer.tier AS tier FROM iceberg."${run}".events WHERE id = 11`)).rows;
    assert.deepEqual(last.map((r) => [Number(r.id), r.name ?? null, r.tier]), [[11, null, 11]]);
    assert.equal(await catalog.tableExists(parseIdent(`${run}.events_dlq`)), false, 'nothing dead-lettered');
  } finally {
    await producer.disconnect();
    await svc.stop();
  }
});

test('schemaEvolution add-columns widens columns in place (int to long, float to double, decimal(9,2) to decimal(18,2), a list element) and makes a column optional; Trino, Spark, PyIceberg and DuckDB read old and new files, and compaction rewrites them', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 300_000 }, async () => {
  const run = uniqueName('widen');
  const topic = `${run}-events`;
  const kafka = await createTopic(topic, 1, 'sink-test');
  const registry = new RegistryClient({ url: stack.registryUrl });
  const dec = (precision: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale: 2 });
  const v1 = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'n', type: 'int' }, { name: 'score', type: 'float' }, { name: 'amount', type: dec(9) }, { name: 'name', type: 'string' }, { name: 'xs', type: { type: 'array', items: 'int' } }] };
  const v2 = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'long' }, { name: 'n', type: 'long' }, { name: 'score', type: 'double' }, { name: 'amount', type: dec(18) }, { name: 'name', type: ['null', 'string'], default: null }, { name: 'xs', type: { type: 'array', items: 'long' } }] };
  const id1 = await registry.register(`${topic}-value`, JSON.stringify(v1));
  const id2 = await registry.register(`${topic}-value`, JSON.stringify(v2));
  const config = parseConfig(
    stackConfig({ group: run, extra: 'commit: { interval: 1s }\n', mappings: `  - topics: [${topic}]\n    table: ${run}.events\n    schemaEvolution: add-columns\n` }),
    'widen.yaml',
  );
  type Ev = { id: number; n: number | bigint; score: number; amount: bigint; name: string | null; xs: Array<number | bigint> };
  const old = (i: number): Ev => ({ id: i, n: i === 3 ? 2147483647 : -i * 1000, score: i + 0.5, amount: i === 3 ? 999999999n : BigInt(i) * 100n + 1n, name: `c${i}`, xs: [i, -2147483648] });
  const wide = (i: number): Ev => ({ id: i, n: 2n ** 40n + BigInt(i), score: 0.1 * i, amount: 123456789012345678n + BigInt(i), name: i === 5 ? null : `c${i}`, xs: [2n ** 33n + BigInt(i)] });
  const msg = (e: Ev) => (typeof e.n === 'bigint' ? { value: frame(id2, avroType(v2).toBuffer({ ...e, id: BigInt(e.id), xs: e.xs.map(BigInt) })) } : { value: frame(id1, avroType(v1).toBuffer({ ...e, id: BigInt(e.id) })) });
  const producer = kafka.producer();
  await producer.connect();
  const svc = await runService(config, createLogger({ level: 'error' }));
  const events = [1, 2, 3].map(old);
  try {
    const catalog = new RestCatalog({ uri: stack.restUrl });
    await producer.send({ topic, messages: events.map(msg) });
    assert.equal(await waitForRows(catalog, `${run}.events`, 3), 3);
    const before = await tableSchema(`${run}.events`);
    // In one batch: v1 rows (in a writer of the old schema when v2 arrives), v2 rows, then an older producer's v1 rows.
    const batch = [...[9, 10].map(old), ...[4, 5, 6].map(wide), ...[7, 8].map(old)];
    events.push(...batch);
    await producer.send({ topic, messages: batch.map(msg) });
    assert.equal(await waitForRows(catalog, `${run}.events`, 10), 10);
    const after = await tableSchema(`${run}.events`);
    const col = (s: Schema, name: string) => s.fields.find((f) => f.name === name);
    assert.deepEqual(
      ['id', 'n', 'score', 'amount', 'name', 'xs'].map((c) => [col(before, c)?.id, col(before, c)?.required, col(before, c)?.type]),
      [[1, true, { type: 'long' }], [2, true, { type: 'int' }], [3, true, { type: 'float' }], [4, true, { type: 'decimal', precision: 9, scale: 2 }], [5, true, { type: 'string' }], [6, true, { type: 'list', elementId: 7, elementRequired: true, element: { type: 'int' } }]],
      'the table as v1 made it',
    );
    assert.deepEqual(
      ['id', 'n', 'score', 'amount', 'name', 'xs'].map((c) => [col(after, c)?.id, col(after, c)?.required, col(after, c)?.type]),
      [[1, true, { type: 'long' }], [2, true, { type: 'long' }], [3, true, { type: 'double' }], [4, true, { type: 'decimal', precision: 18, scale: 2 }], [5, false, { type: 'string' }], [6, true, { type: 'list', elementId: 7, elementRequired: true, element: { type: 'long' } }]],
      'widened and made optional in place, ids kept, nothing added',
    );
    // What each engine gives back, in one form: decimals as text with 2 places, floats as doubles.
    const money = (u: bigint) => `${u < 0n ? '-' : ''}${(u < 0n ? -u : u) / 100n}.${String((u < 0n ? -u : u) % 100n).padStart(2, '0')}`;
    const want = events
      .map((e) => [String(e.id), String(e.n), e.score, money(e.amount), e.name, e.xs.map(String)])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    const norm = (rows: Row[]) => rows.map((r) => [String(r.id), String(r.n), Number(r.score), String(r.amount), r.name ?? null, (r.xs as unknown[]).map(String)]).sort((a, b) => Number(a[0]) - Number(b[0]));
    // score is a float in the v1 rows: 1.5, 2.5 ... are exact in both widths; 0.1*i is a double from v2.
    const sql = `SELECT id, n, score, amount, name, xs FROM iceberg."${run}".events`;
    assert.deepEqual(norm((await trinoQuery(sql)).rows), want, 'Trino');
    assert.deepEqual(norm((await sparkQuery(`SELECT id, n, score, CAST(amount AS STRING) AS amount, name, xs FROM iceberg.\`${run}\`.events`)).rows), want, 'Spark');
    assert.deepEqual(norm(await pyicebergScan(`${run}.events`)), want, 'PyIceberg');
    assert.deepEqual(norm(await duckdbScan(`${run}.events`)), want, 'DuckDB');
    // Compaction reads the files of both schemas and writes them as the promoted one.
    const ops = new TableOps(catalog, new S3FileIO(s3Settings()));
    const res = await compactTable(ops, parseIdent(`${run}.events`), { minFiles: 2 });
    assert.ok(res.filesIn >= 2 && res.rowsIn === 10 && res.rowsOut === 10, `compacted ${JSON.stringify(res)}`);
    assert.deepEqual(norm((await trinoQuery(sql)).rows), want, 'Trino after compaction');
    assert.equal(await catalog.tableExists(parseIdent(`${run}.events_dlq`)), false, 'nothing dead-lettered');
  } finally {
    await producer.disconnect();
    await svc.stop();
  }
});
