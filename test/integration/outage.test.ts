/**
 * A catalog that answers 500 after committing, then a 30 s catalog outage, mid-stream; and a 30 s
 * outage of the object store Floe writes to: the sink stops and retries, and the table ends with
 * every record exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import type { FaultProxy } from '../helpers/fault-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTAGE_MS = Number(process.env.FLOE_OUTAGE_MS ?? 30_000);

/** The stack's S3 store, through `endpoint`, as a config's `storage.s3` value. */
const s3Via = (endpoint: string) => `{ endpoint: "${endpoint}", region: ${stack.s3.region}, pathStyle: true, accessKeyId: ${stack.s3.accessKeyId}, secretAccessKey: ${stack.s3.secretAccessKey} }`;

/**
 * A 4-partition topic of Avro ids and a running sink whose catalog or S3 store goes through
 * `proxy` (`store+embedded`: no catalog section, so the embedded catalog, in the sink's process,
 * reaches the store through the proxy too); `produce` sends the next ids, `rows` is the table's
 * committed count, `steady` fills it while all is well, `exactlyOnce` asserts (through PyIceberg)
 * that the table holds every id produced once.
 */
async function outageRun(run: string, proxy: FaultProxy, through: 'catalog' | 'store' | 'store+embedded') {
  const kafka = new kafkajs.Kafka({ clientId: 'outage-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: run, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const schema = { type: 'record', name: 'E', fields: [{ name: 'id', type: 'long' }] };
  const id = await new RegistryClient({ url: stack.registryUrl }).register(`${run}-value`, JSON.stringify(schema));
  const type = avroType(schema);
  const config = parseConfig(
    `
kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${run}, sessionTimeout: 6s }
registry: { url: "${stack.registryUrl}" }
${through === 'store+embedded' ? `embeddedCatalog: { dataDir: "${mkdtempSync(join(tmpdir(), 'floe-outage-'))}", port: 0 }` : `catalog: { uri: "${through === 'catalog' ? proxy.url : stack.restUrl}" }`}
storage: { ${through === 'store+embedded' ? `warehouse: "s3://${stack.s3.bucket}/${run}", ` : ''}s3: ${s3Via(through === 'catalog' ? stack.s3.endpoint : proxy.url)} }
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
  const catalogUri = svc.catalogUrl ?? stack.restUrl;
  const catalog = new RestCatalog({ uri: catalogUri });
  const rows = async () => {
    try {
      return Number(branchHead((await catalog.loadTable(parseIdent(`${run}.events`))).metadata)?.summary['total-records'] ?? 0);
    } catch {
      return 0;
    }
  };
  /** 1,000 ids in five parts while all is well, and the table holding them all. */
  const steady = async () => {
    for (let i = 0; i < 5; i++) {
      await produce(200);
      await sleep(300);
    }
    while ((await rows()) < produced) await sleep(300);
  };
  /** Produces every second for OUTAGE_MS while the proxy is down; then waits for the table to catch up. */
  const outage = async () => {
    proxy.mode = 'down';
    const downAt = Date.now();
    while (Date.now() - downAt < OUTAGE_MS) {
      await produce(100);
      await sleep(1000);
    }
    proxy.mode = 'pass';
    assert.ok(proxy.refused > 0, `the sink kept trying the ${through} during the outage`);
    for (let i = 0; i < 120 && (await rows()) < produced; i++) await sleep(500);
  };
  const exactlyOnce = async () => {
    const meta = (await catalog.loadTable(parseIdent(`${run}.events`))).metadata;
    const chain = [...ancestors(meta, branchHead(meta))];
    const ids = (await pyiceberg(
      `
t = catalog().load_table("${run}.events")
ids = [r["id"] for r in t.scan(selected_fields=("id",)).to_arrow().to_pylist()]
result = [len(ids), len(set(ids)), min(ids), max(ids)]
`,
      { catalogUri },
    )) as number[];
    assert.deepEqual(ids, [produced, produced, 0, produced - 1], `rows, distinct, min, max after ${chain.length} snapshots`);
  };
  const close = async () => {
    await producer.disconnect();
    await svc.stop();
    await proxy.close();
  };
  return {
    produce,
    rows,
    steady,
    outage,
    exactlyOnce,
    close,
    ops: (path: string) => fetch(`${svc.url}${path}`),
    get produced() {
      return produced;
    },
  };
}

test('500 after commit and a 30 s catalog outage lose and duplicate nothing', { skip: skipUnless('kafka', 'registry', 'rest', 's3', 'pyiceberg'), timeout: 600_000 }, async () => {
  const proxy = await startFaultProxy(stack.restUrl);
  const r = await outageRun(uniqueName('outage'), proxy, 'catalog');
  try {
    await r.steady();
    proxy.mode = 'fail-after-commit';
    for (let i = 0; i < 5; i++) {
      await r.produce(200);
      await sleep(600);
    }
    for (let i = 0; i < 60 && proxy.failedAfterCommit < 3; i++) await sleep(500);
    proxy.mode = 'pass';
    assert.ok(proxy.failedAfterCommit >= 1, 'commits were answered 500 after they landed');
    await r.outage();
    await r.exactlyOnce();
  } finally {
    await r.close();
  }
});

/**
 * The object store down for OUTAGE_MS: nothing is committed, the service says why, and afterwards
 * every id lands once. With the embedded catalog, first only the catalog's metadata writes fail
 * (Floe's data files are written, its commits are refused), then the whole store.
 */
async function storeOutage(run: string, through: 'store' | 'store+embedded') {
  const proxy = await startFaultProxy(stack.s3.endpoint, 's3');
  const r = await outageRun(run, proxy, through);
  const stalls = async (metric: RegExp, reason: RegExp) => {
    const before = await r.rows();
    proxy.mode = 'down';
    await r.produce(100);
    await sleep(8000);
    // While the store is down nothing is committed, and the service says why.
    assert.equal(await r.rows(), before, 'no commit while the store is down');
    const metrics = await (await r.ops('/metrics')).text();
    assert.match(metrics, metric, 'failures are counted');
    const ready = await r.ops('/readyz');
    const body = (await ready.json()) as { reasons: string[] };
    assert.equal(ready.status, 503, 'not ready while the store is down');
    assert.ok(body.reasons.some((x) => reason.test(x)), `the reason is given: ${JSON.stringify(body)}`);
  };
  try {
    await r.steady();
    if (through === 'store+embedded') {
      proxy.downOnly = (method, path) => method === 'PUT' && /\/metadata\/[^/?]*\.metadata\.json/.test(path);
      // The commit is still being retried (with its commit id) when the counter and /readyz say so.
      await stalls(/floe_commit_errors_total\{table="[^"]+",code="COMMIT_STATE_UNKNOWN"\} [1-9]/, /^commit to \S+ retrying, last error: .*storage/);
      assert.ok(proxy.refused > 0, 'the catalog tried to write table metadata');
      proxy.mode = 'pass';
      proxy.downOnly = undefined;
      for (let i = 0; i < 120 && (await r.rows()) < r.produced; i++) await sleep(500);
    }
    await stalls(/floe_write_errors_total\{code="STORAGE_ERROR"\} [1-9]/, /^last error: /);
    await r.outage();
    await r.exactlyOnce();
  } finally {
    await r.close();
  }
}

test('a 30 s outage of the object store stops the sink, which retries, reports it, and then loses and duplicates nothing', { skip: skipUnless('kafka', 'registry', 'rest', 's3', 'pyiceberg'), timeout: 600_000 }, async () => {
  await storeOutage(uniqueName('s3out'), 'store');
});

test('the embedded catalog cut off from the store (its metadata writes, then everything) stops the sink, which then loses and duplicates nothing', { skip: skipUnless('kafka', 'registry', 's3', 'pyiceberg'), timeout: 600_000 }, async () => {
  await storeOutage(uniqueName('s3emb'), 'store+embedded');
});
