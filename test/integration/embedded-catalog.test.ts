/**
 * Issue 6 item 1, "catalog absent = the embedded catalog": a config with no catalog section runs
 * `floe run`, which starts the embedded catalog in-process (SQLite in embeddedCatalog.dataDir,
 * tables under storage.warehouse on S3) on 127.0.0.1 and logs its URL. The sink commits JSON
 * records through it; PyIceberg, given only that URL (the catalog vends the S3 settings), reads
 * them value by value; the catalog's metrics are on Floe's /metrics; `floe status` and `floe check`, run beside the service on the same store,
 * see the table and its offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { pyiceberg } from '../helpers/engines.js';
import { ROOT, skipUnless, stack, uniqueName } from '../helpers/stack.js';
import { stackS3 } from '../helpers/floe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

test('no catalog section: floe run serves the embedded catalog; PyIceberg reads the sink table through it, also after floe expire', { skip: skipUnless('kafka', 's3', 'pyiceberg'), timeout: 300_000 }, async () => {
  const id = uniqueName('emb');
  const topic = `${id}_events`;
  const table = `${id}.events`;
  const kafka = new kafkajs.Kafka({ clientId: 'embedded-test', brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();

  const dir = mkdtempSync(join(tmpdir(), 'floe-embedded-'));
  const configPath = join(dir, 'floe.yaml');
  writeFileSync(
    configPath,
    `kafka: { brokers: ["${stack.kafkaBrokers[0]}"], groupId: ${id} }
embeddedCatalog: { dataDir: ./data, port: 0, vendCredentials: true }
storage:
  warehouse: s3://${stack.s3.bucket}/floe-embedded-tests
  s3: ${stackS3}
commit: { interval: 1s }
http: { port: 0 }
mappings:
  - topics: [${topic}]
    table: ${table}
    format: json
    schema:
      - { name: id, type: long, required: true }
      - { name: name, type: string }
      - { name: score, type: double }
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const producer = kafka.producer();
  try {
    let url: string | undefined;
    for (let i = 0; i < 240 && !url; i++) {
      url = /"url":"(http:[^"]+)"[^\n]*embedded catalog started/.exec(out)?.[1];
      if (!url) await sleep(250);
    }
    assert.ok(url, `floe run logged the embedded catalog's URL:\n${out}`);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'bound to 127.0.0.1');
    assert.ok(existsSync(join(dir, 'data', 'catalog.db')), 'the SQLite store is in the data directory, relative to the config file');
    const config = (await (await fetch(`${url}/v1/config`)).json()) as { defaults: Record<string, string> };
    assert.equal(config.defaults['s3.endpoint'], stack.s3.endpoint, 'the catalog hands its S3 settings to engines');

    await producer.connect();
    const records = Array.from({ length: 50 }, (_, i) => ({ id: i, name: i % 7 === 0 ? null : `n${i}`, score: i / 4 }));
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: String(r.id), value: JSON.stringify(r), partition: r.id % 2 })) });

    // PyIceberg, with the embedded catalog's URL and nothing else, reads every record.
    const read = async () =>
      (await pyiceberg(`
from pyiceberg.catalog import load_catalog
cat = load_catalog("floe", **{"type": "rest", "uri": "${url}"})
try:
    t = cat.load_table("${table}")
    result = sorted([[r["id"], r["name"], r["score"]] for r in t.scan(selected_fields=("id", "name", "score")).to_arrow().to_pylist()])
except Exception as e:
    result = str(type(e).__name__)
`)) as unknown;
    let rows: unknown = [];
    for (let i = 0; i < 60 && !(Array.isArray(rows) && rows.length === records.length); i++) {
      await sleep(1000);
      rows = await read();
    }
    assert.deepEqual(rows, records.map((r) => [r.id, r.name, r.score]), `PyIceberg reads the sink's rows through the embedded catalog:\n${out.slice(-3000)}`);

    // floe status and floe check work beside the running service (their own port, the same store).
    const status = JSON.parse((await run(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'status', '-c', configPath, '--json'], { cwd: ROOT })).stdout) as Array<{ table: string; table_offset: number | null; end_offset: number }>;
    const mine = status.filter((r) => r.table === table);
    assert.equal(mine.length, 2, JSON.stringify(status));
    assert.deepEqual(mine.map((r) => r.table_offset), mine.map((r) => r.end_offset), 'status reads the offsets in the table through the embedded catalog');
    // One /metrics for the sink and its embedded catalog.
    const ops = /"url":"(http:[^"]+)"[^\n]*"msg":"floe started"/.exec(out)?.[1];
    assert.ok(ops, out.slice(-3000));
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    assert.match(metrics, /^floe_catalog_commit_duration_seconds_count\{tables="one",outcome="ok"\} [1-9]\d*$/m, 'the embedded catalog counts the sink\'s commits on Floe\'s /metrics');
    assert.match(metrics, /^floe_records_out_total\{table="[^"]+"\} 50$/m);
    const check = await run(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'check', '-c', configPath], { cwd: ROOT });
    assert.match(check.stdout, /^catalog\s+ok\s+embedded \(sqlite:.*catalog\.db, warehouse s3:\/\/.*\): \d+ namespaces$/m, check.stdout);
    assert.match(check.stdout, new RegExp(`^table ${table}\\s+ok\\s+exists$`, 'm'), check.stdout);
    // A mapping whose partitionBy differs from the existing table's is named, not silently ignored.
    const otherPath = join(dir, 'other.yaml');
    writeFileSync(otherPath, readFileSync(configPath, 'utf8').replace('    format: json\n', '    format: json\n    partitionBy: ["bucket(4, id)"]\n    tableProperties: { commit.manifest.min-count-to-merge: 7, write.metadata.previous-versions-max: 100 }\n'));
    const other = await run(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'check', '-c', otherPath], { cwd: ROOT });
    assert.match(other.stdout, new RegExp(`^table ${table}\\s+ok\\s+exists; WARNING mappings\\[0\\]\\.partitionBy: the table is unpartitioned; the mapping says \\[bucket\\(4, id\\)\\]; mappings\\[0\\]\\.tableProperties: commit\\.manifest\\.min-count-to-merge=7 \\(the table has none\\) \\(Floe keeps the table's; floe apply changes it\\)$`, 'm'), other.stdout);
    // `floe apply` makes the table match other.yaml (a dry run first changes nothing); the running
    // sink, whose own config says unpartitioned, then writes its batches with the new spec.
    const floe = async (...args: string[]) => (await run(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, ...args], { cwd: ROOT })).stdout;
    const change = 'partitioning \\[\\] → \\[bucket\\(4, id\\)\\] \\(new spec 1\\); properties commit\\.manifest\\.min-count-to-merge=7 \\(was unset\\)';
    const dry = await floe('apply', '-c', otherPath, '--dry-run');
    assert.match(dry, new RegExp(`^${table}: would change ${change}$`, 'm'), dry);
    assert.match(await floe('check', '-c', otherPath), /WARNING mappings\[0\]\.partitionBy/, 'a dry run changes nothing');
    const applied = await floe('apply', '-c', otherPath);
    assert.match(applied, new RegExp(`^${table}: changed ${change}$`, 'm'), applied);
    assert.match(await floe('check', '-c', otherPath), new RegExp(`^table ${table}\\s+ok\\s+exists$`, 'm'), 'the table matches other.yaml now');
    assert.match(await floe('apply', '-c', otherPath), new RegExp(`^${table}: matches the config$`, 'm'), 'applying again changes nothing');

    // Snapshot expiry through the embedded catalog, beside the running service: one more batch,
    // `floe expire` keeps the head only, PyIceberg still reads every row, and the sink goes on.
    const more = (from: number) => Array.from({ length: 50 }, (_, i) => ({ id: from + i, name: `n${from + i}`, score: (from + i) / 4 }));
    const readAll = async (want: Array<{ id: number; name: string | null; score: number }>) => {
      let got: unknown = [];
      for (let i = 0; i < 60 && !(Array.isArray(got) && got.length === want.length); i++) {
        await sleep(1000);
        got = await read();
      }
      assert.deepEqual(got, want.map((r) => [r.id, r.name, r.score]));
    };
    const second = more(50);
    await producer.send({ topic, acks: -1, messages: second.map((r) => ({ key: String(r.id), value: JSON.stringify(r), partition: r.id % 2 })) });
    await readAll([...records, ...second]);
    const expired = await run(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'expire', '-c', configPath, '--table', table, '--older-than', '0s', '--retain-last', '1'], { cwd: ROOT });
    assert.match(expired.stdout, new RegExp(`^${table}: [1-9]\\d* snapshots removed, 1 kept;`, 'm'), expired.stdout);
    await readAll([...records, ...second]);
    const third = more(100);
    await producer.send({ topic, acks: -1, messages: third.map((r) => ({ key: String(r.id), value: JSON.stringify(r), partition: r.id % 2 })) });
    await readAll([...records, ...second, ...third]);
    // The batches after `floe apply` were written with its spec (bucket(4, id)): the live files
    // of the latest batch are spec 1, the first batch's spec 0, and every row is read above.
    const specs = (await pyiceberg(`
from pyiceberg.catalog import load_catalog
t = load_catalog("floe", **{"type": "rest", "uri": "${url}"}).load_table("${table}")
files = t.inspect.files().to_pylist()
result = [t.metadata.default_spec_id, sorted(set(f["spec_id"] for f in files))]
`)) as [number, number[]];
    assert.deepEqual(specs, [1, [0, 1]], 'default spec 1; files of both specs live');
  } finally {
    await producer.disconnect().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGTERM');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `floe run stopped cleanly:\n${out.slice(-3000)}`);
  }
});
