/**
 * node --import tsx bench/engines.ts [REPEAT] — how long the engines of test/helpers/engines.ts
 * take per small query once started: Trino (HTTP protocol), Spark (the long-lived server of
 * scripts/py/spark_server.py), PyIceberg (one Python process per call), and, for comparison,
 * Spark as one short-lived `spark-sql -e` job per query (what the server replaces).
 * Starts what is not running through scripts/stack (one engine at a time). Prints one line per
 * engine and query: first call and median of the rest, in milliseconds. Set BENCH_SPARK_CLI=0 to
 * skip the short-lived Spark jobs (about 20 s each).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureEngine, pyiceberg, pyicebergScan, sparkQuery, trinoQuery } from '../test/helpers/engines.js';
import { stack, uniqueName } from '../test/helpers/stack.js';

const REPEAT = Number(process.argv[2] ?? 5);
const run = promisify(execFile);

async function time(label: string, n: number, fn: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const rest = ms.slice(1).sort((a, b) => a - b);
  const median = rest.length ? rest[Math.floor(rest.length / 2)] : undefined;
  console.log(`${label.padEnd(44)} first=${ms[0]?.toFixed(0)}ms median=${median?.toFixed(0) ?? '-'}ms (n=${n})`);
}

async function timeStart(name: 'trino' | 'spark'): Promise<void> {
  const t0 = performance.now();
  await ensureEngine(name);
  console.log(`${`${name} ensureEngine (start if needed)`.padEnd(44)} ${(performance.now() - t0).toFixed(0)}ms`);
}

const ns = uniqueName('bench_engines');
const ident = `${ns}.t`;
await pyiceberg(`
import pyarrow as pa
cat = catalog()
cat.create_namespace("${ns}")
data = pa.table({"id": pa.array(range(1000), pa.int64()), "s": pa.array([f"v{i}" for i in range(1000)])})
t = cat.create_table("${ident}", data.schema)
t.append(data)
result = len(t.scan().to_arrow())
`);

await time('pyiceberg snippet (result = 1)', REPEAT, () => pyiceberg('result = 1'));
await time('pyiceberg scan 1000 rows', REPEAT, () => pyicebergScan(ident));
await time('pyiceberg scan with filter id < 10', REPEAT, () => pyicebergScan(ident, { filter: 'id < 10' }));

await timeStart('trino');
await time('trino SELECT 1', REPEAT, () => trinoQuery('SELECT 1'));
await time('trino SHOW SCHEMAS FROM iceberg', REPEAT, () => trinoQuery('SHOW SCHEMAS FROM iceberg'));
await time('trino SELECT * (1000 rows)', REPEAT, () => trinoQuery(`SELECT * FROM iceberg."${ns}".t`));
await time('trino SELECT count(*) WHERE id < 10', REPEAT, () => trinoQuery(`SELECT count(*) FROM iceberg."${ns}".t WHERE id < 10`));

await timeStart('spark');
await time('spark server SELECT 1', REPEAT, () => sparkQuery('SELECT 1'));
await time('spark server SHOW NAMESPACES', REPEAT, () => sparkQuery('SHOW NAMESPACES IN iceberg'));
await time('spark server SELECT * (1000 rows)', REPEAT, () => sparkQuery(`SELECT * FROM iceberg.${ns}.t`));
await time('spark server SELECT count(*) WHERE id < 10', REPEAT, () => sparkQuery(`SELECT count(*) FROM iceberg.${ns}.t WHERE id < 10`));

if (process.env.BENCH_SPARK_CLI !== '0') {
  // The same catalog settings as scripts/py/spark_server.py, as one spark-sql job per query.
  const { stdout: home } = await run(stack.python, ['-c', 'import pyspark, os; print(os.path.dirname(pyspark.__file__))']);
  const jars = `${process.env.FLOE_CACHE ?? `${process.env.HOME}/.cache/floe`}/spark-jars-1.10.1`;
  const conf: Record<string, string> = {
    'spark.ui.enabled': 'false',
    'spark.sql.catalog.iceberg': 'org.apache.iceberg.spark.SparkCatalog',
    'spark.sql.catalog.iceberg.type': 'rest',
    'spark.sql.catalog.iceberg.uri': stack.restUrl,
    'spark.sql.catalog.iceberg.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    'spark.sql.catalog.iceberg.s3.endpoint': stack.s3.endpoint,
    'spark.sql.catalog.iceberg.s3.path-style-access': 'true',
    'spark.sql.catalog.iceberg.s3.access-key-id': stack.s3.accessKeyId,
    'spark.sql.catalog.iceberg.s3.secret-access-key': stack.s3.secretAccessKey,
    'spark.sql.catalog.iceberg.client.region': stack.s3.region,
  };
  const args = [
    '--master', 'local[2]', '--driver-memory', '2g',
    '--jars', `${jars}/iceberg-spark-runtime-4.0_2.13-1.10.1.jar,${jars}/iceberg-aws-bundle-1.10.1.jar`,
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
  ];
  // spark-sql leaves a Derby metastore (metastore_db/, derby.log) in its working directory.
  const cwd = mkdtempSync(join(tmpdir(), 'floe-spark-sql-'));
  const sparkSql = (sql: string) => run(`${home.trim()}/bin/spark-sql`, [...args, '-e', sql], { cwd, env: { ...process.env, SPARK_HOME: home.trim() }, maxBuffer: 1 << 26 });
  const n = Math.min(REPEAT, 3);
  try {
    await time('spark-sql job SELECT 1', n, () => sparkSql('SELECT 1'));
    await time('spark-sql job SELECT * (1000 rows)', n, () => sparkSql(`SELECT * FROM iceberg.${ns}.t`));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
