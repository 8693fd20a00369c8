/**
 * Upsert mode end to end (D28): Avro account updates, keyed by id, on a 4-partition topic, some
 * of them deletes (`__deleted: "true"`, as Debezium's ExtractNewRecordState writes them), while
 * `floe run` children are killed with SIGKILL and a third member joins and leaves (records
 * consumed and not committed are delivered again). Afterwards Trino, Spark and DuckDB read exactly the
 * newest version of every key that was not deleted last, once each, decimals included; each
 * data commit is an overwrite snapshot with equality deletes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import kafkajs from 'kafkajs';
import { avroType, frame, RegistryClient } from '../../src/decode/index.js';
import { parseIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { duckdbScan, sparkQuery, trinoQuery } from '../helpers/engines.js';
import { floeMembers, stackConfig, writeConfig } from '../helpers/floe.js';
import { stackCatalog } from '../helpers/iceberg.js';
import { cents } from '../helpers/orders.js';
import { ROOT, skipUnless, stack, uniqueName } from '../helpers/stack.js';

const N = 12_000;
const KEYS = 600;
const PARTITIONS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ACCOUNT_SCHEMA = {
  type: 'record',
  name: 'Account',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'version', type: 'long' },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'status', type: 'string' },
    { name: '__deleted', type: 'string' },
  ],
};

/** Update `i`: of key i % KEYS; one in 9 updates of the keys ending in 3 deletes the key (later ones bring it back). */
function update(i: number) {
  const id = i % KEYS;
  const deleted = id % 10 === 3 && Math.floor(i / KEYS) % 3 !== 2;
  return { id: BigInt(id), version: BigInt(i), balance: BigInt(((i * 104_729) % 1_000_000) - 20_000), status: `s${i % 7}`, __deleted: deleted ? 'true' : 'false' };
}

test('an upsert table holds the newest row of every key once, deletes applied, through SIGKILLs and rebalances (Trino, Spark, DuckDB)', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 300_000 }, async (t) => {
  const run = uniqueName('upsert');
  const topic = run;
  const ns = 'upsert_it';
  const table = `${ns}.${run}`;
  const kafka = new kafkajs.Kafka({ clientId: 'floe-upsert-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const registry = new RegistryClient({ url: stack.registryUrl });
  const schemaId = await registry.register(`${topic}-value`, JSON.stringify(ACCOUNT_SCHEMA));
  const type = avroType(ACCOUNT_SCHEMA);

  const dir = `${ROOT}/.stack/upsert-test/${run}`;
  const config = writeConfig(
    dir,
    stackConfig({
      group: run,
      extra: 'commit:\n  interval: 2s\n',
      mappings: `  - topics: [${topic}]
    table: ${table}
    mode: upsert
    partitionBy: ["bucket(4, id)"]
    kafkaColumns: [partition, offset]
    upsert:
      key: [id]
      deleteWhen: { field: __deleted, equals: "true" }
`,
    }).replace(`groupId: ${run}\n`, `groupId: ${run}\n  sessionTimeout: 6s\n`),
  );
  const { all, count, start, assigned, started } = floeMembers(config, dir);
  const members: Record<string, ChildProcess> = { a: start('a'), b: start('b') };

  // The newest update of each key, in the order of its partition (a key stays in one partition).
  const newest = new Map<bigint, ReturnType<typeof update>>();
  const producing = (async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < N; ) {
      const messages = [];
      for (const end = i + 200; i < end; i++) {
        const u = update(i);
        newest.set(u.id, u);
        messages.push({ key: String(u.id), value: frame(schemaId, type.toBuffer(u)), partition: Number(u.id) % PARTITIONS });
      }
      await producer.send({ topic, messages, acks: -1 });
      await sleep(300);
    }
    await producer.disconnect();
  })();

  const kill = async (name: string) => {
    members[name]?.kill('SIGKILL');
    await sleep(300);
    members[name] = start(name);
    await assigned(name);
  };
  try {
    await Promise.all([assigned('a'), assigned('b')]);
    let nb = count('b');
    await kill('a');
    await assigned('b', nb + 1);
    const na = count('a');
    nb = count('b');
    start('c');
    await assigned('c');
    await Promise.all([assigned('a', na + 1), assigned('b', nb + 1)]);
    await sleep(1500);
    nb = count('b');
    all.at(-1)?.kill('SIGKILL'); // c dies mid-batch: its partitions go back to a and b
    await assigned('b', nb + 1);
    await kill('b');
    await producing;

    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [String(p.partition), Number(p.high)]));
    const catalog = stackCatalog();
    let done = false;
    for (let i = 0; i < 120 && !done; i++) {
      await sleep(1000);
      const meta = (await catalog.loadTable(parseIdent(table))).metadata;
      const stored = JSON.parse(branchHead(meta)?.summary[`floe.offsets.${run}`] ?? '{}') as Record<string, Record<string, number>>;
      done = [...ends].every(([p, end]) => stored[topic]?.[p] === end);
    }
    assert.ok(done, `the table did not catch up with the topic in 2 minutes (logs in ${dir})`);
    t.diagnostic(`produced ${N} updates of ${KEYS} keys; ${started()} floe processes`);
  } finally {
    for (const p of all) p.kill('SIGKILL');
    await admin.disconnect();
  }

  const live = [...newest.values()].filter((u) => u.__deleted !== 'true');
  const expected = new Map(live.map((u) => [String(u.id), `${u.version} ${cents(u.balance)} ${u.status}`]));
  assert.ok(expected.size < KEYS && expected.size > KEYS / 2, `some keys end deleted (${KEYS - expected.size} of ${KEYS})`);
  const asMap = (rows: Array<Record<string, unknown>>) => new Map(rows.map((r) => [String(r.id), `${String(r.version)} ${String(r.balance)} ${String(r.status)}`]));

  const trino = (await trinoQuery(`SELECT id, version, CAST(balance AS varchar) AS balance, status FROM iceberg.${ns}."${run}"`)).rows;
  assert.equal(trino.length, expected.size, 'Trino: one row per live key');
  assert.deepEqual(asMap(trino), expected, 'Trino: the newest version of every live key');
  const spark = (await sparkQuery(`SELECT id, version, CAST(balance AS STRING) AS balance, status FROM iceberg.${ns}.${run}`)).rows;
  assert.equal(spark.length, expected.size, 'Spark: one row per live key');
  assert.deepEqual(asMap(spark), expected, 'Spark: the newest version of every live key');
  // DuckDB applies equality deletes too (PyIceberg 0.12 refuses tables that have them).
  const versions = (rows: Array<Record<string, unknown>>) => new Map(rows.map((r) => [String(r.id), String(r.version)]));
  assert.deepEqual(versions(await duckdbScan(table, { selectedFields: ['id', 'version'] })), new Map(live.map((u) => [String(u.id), String(u.version)])), 'DuckDB: the newest version of every live key');

  // Each data commit adds rows and the equality deletes of its keys, as an overwrite.
  const meta = (await stackCatalog().loadTable(parseIdent(table))).metadata;
  const snaps = [...ancestors(meta, branchHead(meta))];
  const data = snaps.filter((s) => Number(s.summary['added-data-files'] ?? 0) + Number(s.summary['added-delete-files'] ?? 0) > 0);
  assert.ok(data.length >= 3, `several data commits (${data.length})`);
  for (const s of data) {
    assert.equal(s.summary.operation, 'overwrite', `snapshot ${s.snapshotId} is an overwrite`);
    assert.ok(Number(s.summary['added-equality-delete-files']) >= 1, `snapshot ${s.snapshotId} adds equality deletes`);
  }
  const schema = meta.schemas.find((s) => s.schemaId === meta.currentSchemaId);
  assert.deepEqual(schema?.identifierFieldIds, [schema?.fields.find((f) => f.name === 'id')?.id], 'id is the identifier field');
  t.diagnostic(`${expected.size} live keys; ${data.length} data commits; ${snaps.length} snapshots; ${branchHead(meta)?.summary['total-equality-deletes']} equality deletes live`);
});
