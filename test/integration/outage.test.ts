/**
 * A catalog that answers 500 after committing, then a 30 s catalog outage, mid-stream: the
 * sink stops and retries, and the table ends with every record exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import { avroType, frame } from '../../src/decode/index.js';
import { RegistryClient } from '../../src/decode/registry.js';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead } from '../../src/spec/metadata.js';
import { createLogger } from '../../src/observability/index.js';
import { runService } from '../../src/service.js';
import { pyiceberg } from '../helpers/engines.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';
import { stackS3 } from '../helpers/floe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTAGE_MS = Number(process.env.FLOE_OUTAGE_MS ?? 30_000);

test('500 after commit and a 30 s catalog outage lose and duplicate nothing', { skip: skipUnless('kafka', 'registry', 'rest', 's3', 'pyiceberg'), timeout: 600_000 }, async () => {
  const run = uniqueName('outage');
  const kafka = new kafkajs.Kafka({ clientId: 'outage-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: run, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const schema = { type: 'record', name: 'E', fields: [{ name: 'id', type: 'long' }] };
  const id = await new RegistryClient({ url: stack.registryUrl }).register(`${run}-value`, JSON.stringify(schema));
  const type = avroType(schema);
  const proxy = await startFaultProxy(stack.restUrl);
  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
registry: { url: "${stack.registryUrl}" }
catalog: { uri: "${proxy.url}" }
storage: { s3: ${stackS3} }
commit: { interval: 1s }
http: { port: 0 }
mappings: [{ topics: [${run}], table: ${run}.events }]
`,
    'outage.yaml',
  );
  const svc = await runService(config, createLogger({ level: 'error' }));
  const producer = kafka.producer();
  await producer.connect();
  let produced = 0;
  const produce = async (n: number) => {
    const messages = Array.from({ length: n }, () => ({ value: frame(id, type.toBuffer({ id: BigInt(produced++) })) }));
    await producer.send({ topic: run, messages });
  };
  const catalog = new RestCatalog({ uri: stack.restUrl });
  const rows = async () => {
    try {
      return Number(branchHead((await catalog.loadTable(parseIdent(`${run}.events`))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      return 0;
    }
  };
  try {
    for (let i = 0; i < 5; i++) {
      await produce(200);
      await sleep(300);
    }
    while ((await rows()) < produced) await sleep(300);
    proxy.mode = 'fail-after-commit';
    for (let i = 0; i < 5; i++) {
      await produce(200);
      await sleep(600);
    }
    for (let i = 0; i < 60 && proxy.failedAfterCommit < 3; i++) await sleep(500);
    proxy.mode = 'pass';
    assert.ok(proxy.failedAfterCommit >= 1, 'commits were answered 500 after they landed');
    proxy.mode = 'down';
    const downAt = Date.now();
    while (Date.now() - downAt < OUTAGE_MS) {
      await produce(100);
      await sleep(1000);
    }
    proxy.mode = 'pass';
    assert.ok(proxy.refused > 0, 'the sink kept trying during the outage');
    for (let i = 0; i < 120 && (await rows()) < produced; i++) await sleep(500);
    const meta = (await catalog.loadTable(parseIdent(`${run}.events`))).metadata;
    const chain = [...ancestors(meta, branchHead(meta))];
    const ids = (await pyiceberg(`
t = catalog().load_table("${run}.events")
ids = [r["id"] for r in t.scan(selected_fields=("id",)).to_arrow().to_pylist()]
result = [len(ids), len(set(ids)), min(ids), max(ids)]
`)) as number[];
    assert.deepEqual(ids, [produced, produced, 0, produced - 1], `rows, distinct, min, max after ${chain.length} snapshots`);
  } finally {
    await producer.disconnect();
    await svc.stop();
    await proxy.close();
  }
});
