/**
 * npm run verify:engines — writes tables with Floe's write path through Iceberg's REST test
 * server to the S3 store, covering every type of DESIGN §3 under every partition transform, then
 * reads them back with PyIceberg, Spark and Trino and compares every value with what was written.
 * Also checks file metrics against a recomputation, file pruning, and Spark maintenance followed
 * by another Floe append. Last line:
 *   engines tables=<n> types=<n> transforms=<n> pyiceberg=<ok|FAIL> duckdb=<ok|FAIL> spark=<ok|FAIL> trino=<ok|FAIL> mismatches=<n>
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { TableWriter, decodeManifestList, parseIdent, type TableOps, type TableWriterOptions } from '../src/iceberg/index.js';
import { branchHead } from '../src/spec/metadata.js';
import { compactTable } from '../src/maintenance/index.js';
import { schemaToJson, indexById } from '../src/spec/schema.js';
import { buildSpec, specToJson, type PartitionSpec } from '../src/spec/partition.js';
import type { Transform } from '../src/spec/transforms.js';
import type { NestedField, Schema, Value } from '../src/spec/types.js';
import { ALL_TYPES, ALL_TYPES_ROWS } from '../test/helpers/all-types.js';
import { canonicalRows, type Canon } from '../test/helpers/canonical.js';
import { duckdbScan, pyiceberg, pyicebergScan, sparkQuery, trinoQuery } from '../test/helpers/engines.js';
import { genRow, prng } from '../test/helpers/gen-rows.js';
import { stackOps } from '../test/helpers/iceberg.js';
import { ROOT, uniqueName } from '../test/helpers/stack.js';

const ROWS = Number(process.argv[2] ?? 300);
const log = (...a: unknown[]) => console.log('[verify]', ...a);

/** Spark cannot load a table with a `time` column at all ("Spark does not support time fields"). */
const NO_TIME: Schema = { schemaId: 0, fields: ALL_TYPES.fields.filter((f) => f.type.type !== 'time') };

interface TableCase {
  name: string;
  schema: Schema;
  parts: Array<{ column: string; transform: Transform }>;
  spark: boolean;
  /** Writer options and row count when not the defaults; table properties. */
  writer?: TableWriterOptions;
  rows?: number;
  properties?: Record<string, string>;
  /** One commit per file instead of one for all (so that manifests are merged). */
  commitEachFile?: boolean;
  /** After the commits: `floe compact`'s rewrite of every partition's files (the engines then read the new files). */
  compact?: boolean;
}

/**
 * MULTI: small row groups (encoded by the worker threads and joined into one file) and files
 * rolled at every size check, so each partition has several files of several row groups; and
 * `read.split.target-size` so small that Spark plans one task per row group from split offsets.
 * Its files are committed one at a time with manifests merged every third manifest, so the
 * engines read manifests Floe merged (EXISTING entries with explicit sequence numbers).
 */
const MULTI = 'multi_row_groups';

const TABLES: TableCase[] = [
  {
    name: MULTI,
    schema: NO_TIME,
    parts: [{ column: 'id', transform: { kind: 'bucket', n: 2 } }],
    spark: true,
    writer: { rowGroupRows: 50, targetFileBytes: 1 },
    rows: 1200,
    properties: { 'read.split.target-size': '1024', 'read.split.open-file-cost': '1', 'commit.manifest.min-count-to-merge': '3' },
    commitEachFile: true,
  },
  { name: 'every_type', schema: ALL_TYPES, parts: [], spark: false },
  // Every type, written as many small files in as many commits, then compacted: the values the
  // engines read come from files Floe rewrote (read back with parquet-wasm, written again).
  { name: 'compacted', schema: ALL_TYPES, parts: [{ column: 'id', transform: { kind: 'bucket', n: 2 } }], spark: false, writer: { rowGroupRows: 50, targetFileBytes: 1 }, rows: 1200, commitEachFile: true, compact: true },
  { name: 'unpartitioned', schema: NO_TIME, parts: [], spark: true },
  {
    name: 'identity',
    schema: NO_TIME,
    parts: [{ column: 'flag', transform: { kind: 'identity' } }, { column: 'day', transform: { kind: 'identity' } }],
    spark: true,
  },
  // Spark fills identity partition columns from the partition tuple: for a field inside a struct
  // that is null in the row it then returns {a: null, b: null} instead of null. Trino and
  // PyIceberg read the row as written; Spark is not asked about this table.
  { name: 'identity_nested', schema: NO_TIME, parts: [{ column: 'st.a', transform: { kind: 'identity' } }], spark: false },
  {
    name: 'bucket',
    schema: NO_TIME,
    parts: ['id', 'name', 'uid', 'dec9', 'day', 'tstz', 'fix', 'bin'].map((column) => ({ column, transform: { kind: 'bucket', n: 4 } as Transform })),
    spark: true,
  },
  {
    name: 'truncate',
    schema: NO_TIME,
    parts: [
      { column: 'i32', transform: { kind: 'truncate', width: 1000000 } },
      { column: 'id', transform: { kind: 'truncate', width: 1_000_000_000 } },
      { column: 'dec38', transform: { kind: 'truncate', width: 1000 } },
      { column: 'name', transform: { kind: 'truncate', width: 2 } },
      { column: 'bin', transform: { kind: 'truncate', width: 1 } },
    ],
    spark: true,
  },
  { name: 'year_month', schema: NO_TIME, parts: [{ column: 'tstz', transform: { kind: 'year' } }, { column: 'ts', transform: { kind: 'month' } }], spark: true },
  { name: 'day_hour', schema: NO_TIME, parts: [{ column: 'day', transform: { kind: 'day' } }, { column: 'ts', transform: { kind: 'hour' } }], spark: true },
  { name: 'void_day', schema: NO_TIME, parts: [{ column: 'name', transform: { kind: 'void' } }, { column: 'tstz', transform: { kind: 'day' } }], spark: true },
];

function typesOf(fields: readonly NestedField[]): Set<string> {
  const out = new Set<string>();
  for (const f of indexById(fields).values()) out.add(f.field.type.type);
  return out;
}

function diff(engine: string, table: string, got: Array<Record<string, Canon>>, want: Array<Record<string, Canon>>): number {
  let bad = 0;
  if (got.length !== want.length) {
    log(`MISMATCH ${engine} ${table}: ${got.length} rows, expected ${want.length}`);
    return Math.abs(got.length - want.length) || 1;
  }
  for (let i = 0; i < want.length; i++) {
    for (const k of Object.keys(want[i] as object)) {
      const a = JSON.stringify((got[i] as Record<string, Canon>)[k]);
      const b = JSON.stringify((want[i] as Record<string, Canon>)[k]);
      if (a !== b) {
        if (bad < 5) log(`MISMATCH ${engine} ${table} row ${i} column ${k}: got ${a} expected ${b}`);
        bad++;
      }
    }
  }
  return bad;
}

async function main(): Promise<void> {
  execFileSync(`${ROOT}/scripts/stack`, ['up', 's3', 'rest', 'pyiceberg'], { stdio: 'inherit' });
  const ops: TableOps = stackOps();
  const ns = uniqueName('verify');
  await ops.catalog.ensureNamespace([ns]);
  const r = prng(42);
  const status = { pyiceberg: true, duckdb: true, spark: true, trino: true };
  let mismatches = 0;
  const transforms = new Set<string>();
  const types = new Set<string>();
  const written = new Map<string, { schema: Schema; rows: Array<{ [k: string]: Value }>; spec: PartitionSpec }>();

  for (const t of TABLES) {
    const spec = buildSpec(t.schema, t.parts);
    for (const p of t.parts) transforms.add(p.transform.kind);
    for (const ty of typesOf(t.schema.fields)) types.add(ty);
    const ident = parseIdent(`${ns}.${t.name}`);
    const created = await ops.catalog.createTable(ident, { schema: schemaToJson(t.schema), partitionSpec: specToJson(spec), properties: t.properties });
    const rows = [...ALL_TYPES_ROWS, ...Array.from({ length: t.rows ?? ROWS }, () => genRow(ALL_TYPES.fields, r))].map((row, i) => ({ ...row, id: BigInt(i) }));
    const w = new TableWriter(created.metadata, ops.io, t.writer);
    for (const row of rows) await w.write(row);
    const files = await w.close();
    if (t.commitEachFile) {
      let manifests = 0;
      for (const [i, f] of files.entries()) {
        const res = await ops.append(ident, { files: [f], ...(i === 0 ? { loaded: created } : {}) });
        manifests = decodeManifestList(await ops.io.read(branchHead(res.metadata)?.manifestList as string)).length;
      }
      log(`${t.name}: ${files.length} commits, ${manifests} manifests in the last snapshot`);
      if (!(manifests < files.length) && !t.compact) {
        log(`MERGE ${t.name}: ${files.length} commits left ${manifests} manifests: none were merged`);
        mismatches++;
      }
      if (t.compact) {
        const c = await compactTable(ops, ident, { minFiles: 2, maxRows: 1_000_000 });
        log(`${t.name}: compacted ${c.partitions} partitions, ${c.filesIn} files → ${c.filesOut}, ${c.rowsIn} rows → ${c.rowsOut}`);
        if (!(c.filesIn > c.filesOut && c.rowsIn === rows.length && c.rowsOut === rows.length)) {
          log(`COMPACT ${t.name}: ${c.filesIn} files → ${c.filesOut}, ${c.rowsIn} rows read, ${c.rowsOut} written, ${rows.length} expected`);
          mismatches++;
        }
      }
    } else {
      await ops.append(ident, { files, loaded: created });
    }
    written.set(t.name, { schema: t.schema, rows, spec });
    log(`wrote ${ns}.${t.name}: ${rows.length} rows in ${files.length} files`);
  }

  const want = (name: string) => {
    const w = written.get(name) as { schema: Schema; rows: Array<{ [k: string]: Value }> };
    return canonicalRows(w.rows, w.schema, true);
  };

  // PyIceberg
  for (const t of TABLES) {
    const got = canonicalRows(await pyicebergScan(`${ns}.${t.name}`), t.schema);
    // Known PyIceberg 0.12 behaviour: a null list<struct> reads as []. pyarrow reads our files as null.
    const expected = want(t.name).map((row) => (row.points === null ? { ...row, points: [] } : row));
    const bad = diff('pyiceberg', t.name, got, canonicalRows(expected as never, t.schema));
    if (bad) status.pyiceberg = false;
    mismatches += bad;
  }
  log('pyiceberg done');

  // DuckDB (its iceberg extension's iceberg_scan of the current metadata file).
  for (const t of TABLES) {
    const got = canonicalRows(await duckdbScan(`${ns}.${t.name}`), t.schema);
    const bad = diff('duckdb', t.name, got, want(t.name));
    if (bad) status.duckdb = false;
    mismatches += bad;
  }
  log('duckdb done');

  // Trino, then Spark (one engine started at a time).
  for (const t of TABLES) {
    const got = canonicalRows((await trinoQuery(`SELECT * FROM iceberg."${ns}"."${t.name}"`)).rows, t.schema);
    const bad = diff('trino', t.name, got, want(t.name));
    if (bad) status.trino = false;
    mismatches += bad;
  }
  log('trino done');
  for (const t of TABLES.filter((x) => x.spark)) {
    const got = canonicalRows((await sparkQuery(`SELECT * FROM iceberg.${ns}.${t.name}`)).rows, t.schema);
    const bad = diff('spark', t.name, got, want(t.name));
    if (bad) status.spark = false;
    mismatches += bad;
  }
  log('spark done');

  // Metrics: every file's counts and bounds as PyIceberg's inspect.files() shows them equal a recomputation.
  const metricsBad = (await pyiceberg(`
import pyarrow.compute as pc, pyarrow.parquet as pq, math
from pyiceberg.conversions import from_bytes
bad = []
for name in ${JSON.stringify(TABLES.map((t) => t.name))}:
    t = catalog().load_table("${ns}." + name)
    # The data files as PyIceberg reads them from the manifests. (t.inspect.files() itself fails
    # on any table with a uuid column: pyarrow cannot build its uuid extension bounds.)
    files = [task.file for task in t.scan().plan_files()]
    schema = t.schema()
    io = t.io
    for df in files:
        f = {"file_path": df.file_path, "record_count": df.record_count, "null_value_counts": df.null_value_counts,
             "value_counts": df.value_counts, "lower_bounds": df.lower_bounds, "upper_bounds": df.upper_bounds}
        data = pq.read_table(io.new_input(f["file_path"]).open())
        if data.num_rows != f["record_count"]:
            bad.append(f"{name}: record_count {f['record_count']} != {data.num_rows}")
        for field in schema.fields:
            if not field.field_type.is_primitive:
                continue
            col = data.column(field.name)
            nulls = col.null_count
            if f["null_value_counts"].get(field.field_id) != nulls:
                bad.append(f"{name}.{field.name}: null count {f['null_value_counts'].get(field.field_id)} != {nulls}")
            if f["value_counts"].get(field.field_id) != len(col):
                bad.append(f"{name}.{field.name}: value count {f['value_counts'].get(field.field_id)} != {len(col)}")
            vals = [v for v in col.to_pylist() if v is not None and not (isinstance(v, float) and math.isnan(v))]
            lo = f["lower_bounds"].get(field.field_id)
            hi = f["upper_bounds"].get(field.field_id)
            if vals and str(field.field_type) not in ("string", "binary", "uuid") and not str(field.field_type).startswith("fixed"):
                want_lo, want_hi = min(vals), max(vals)
                got_lo = from_bytes(field.field_type, lo) if lo is not None else None
                got_hi = from_bytes(field.field_type, hi) if hi is not None else None
                def norm(v):
                    import datetime as dt
                    if isinstance(v, dt.datetime):
                        epoch = dt.datetime(1970, 1, 1, tzinfo=v.tzinfo)
                        return (v - epoch) // dt.timedelta(microseconds=1)
                    if isinstance(v, dt.date):
                        return (v - dt.date(1970, 1, 1)).days
                    if isinstance(v, dt.time):
                        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond
                    import decimal
                    if isinstance(v, decimal.Decimal):
                        return int((v * (10 ** field.field_type.scale)).to_integral_value())
                    return v
                if norm(got_lo) != norm(want_lo) or norm(got_hi) != norm(want_hi):
                    bad.append(f"{name}.{field.name}: bounds {got_lo}..{got_hi} != {want_lo}..{want_hi}")
result = bad
`)) as string[];
  for (const m of metricsBad.slice(0, 10)) log(`METRICS ${m}`);
  mismatches += metricsBad.length;
  if (metricsBad.length) status.pyiceberg = false;
  log(`metrics checked: ${metricsBad.length} differences`);

  // Several row groups per file and several files per partition in MULTI; each file's split
  // offsets are where its row groups start, as the Parquet footer says.
  const shape = (await pyiceberg(`
import pyarrow.parquet as pq, collections
t = catalog().load_table("${ns}.${MULTI}")
per_partition = collections.Counter()
row_groups, bad = [], []
for task in t.scan().plan_files():
    df = task.file
    per_partition[str(df.partition)] += 1
    md = pq.ParquetFile(t.io.new_input(df.file_path).open()).metadata
    starts = []
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        starts.append(min(min(c.dictionary_page_offset or c.data_page_offset, c.data_page_offset) for c in (rg.column(j) for j in range(rg.num_columns))))
    row_groups.append(md.num_row_groups)
    if list(df.split_offsets or []) != starts:
        bad.append(f"{df.file_path}: split offsets {df.split_offsets} != row group starts {starts}")
result = {"files": len(row_groups), "min_files_per_partition": min(per_partition.values()), "min_row_groups": min(row_groups), "bad": bad}
`)) as { files: number; min_files_per_partition: number; min_row_groups: number; bad: string[] };
  log(`${MULTI}: ${shape.files} files, at least ${shape.min_files_per_partition} per partition, at least ${shape.min_row_groups} row groups per file`);
  for (const m of shape.bad.slice(0, 10)) log(`SPLIT ${m}`);
  if (shape.min_files_per_partition < 2 || shape.min_row_groups < 2 || shape.bad.length) {
    log(`SHAPE ${MULTI}: wanted >= 2 files per partition and >= 2 row groups per file with matching split offsets`);
    mismatches += shape.bad.length || 1;
    status.pyiceberg = false;
  }
  // Spark planned one task per row group from the split offsets (more tasks than files) and, by
  // the comparison above, read every row once.
  const tasks = Number((await sparkQuery(`SELECT count(DISTINCT p) AS n FROM (SELECT spark_partition_id() AS p FROM iceberg.${ns}.${MULTI}) x`)).rows[0]?.n);
  log(`${MULTI}: Spark read it in ${tasks} tasks for ${shape.files} files`);
  if (!(tasks > shape.files)) {
    log(`SPLIT ${MULTI}: Spark used ${tasks} tasks for ${shape.files} files: split offsets not used`);
    mismatches++;
    status.spark = false;
  }

  // Pruning: a predicate on a bucketed or day-partitioned column, and on a plain column (by the
  // file bounds of an unpartitioned table written in four id ranges), reads fewer files.
  const ranges = parseIdent(`${ns}.ranges`);
  let rangesTable = await ops.catalog.createTable(ranges, { schema: schemaToJson(NO_TIME) });
  for (let k = 0; k < 4; k++) {
    const rw = new TableWriter(rangesTable.metadata, ops.io);
    for (let i = 0; i < 25; i++) await rw.write({ ...genRow(NO_TIME.fields, r), id: BigInt(k * 25 + i) });
    await ops.append(ranges, { files: await rw.close() });
    rangesTable = await ops.catalog.loadTable(ranges);
  }
  const pruned = (await pyiceberg(`
out = {}
for name, flt in [("bucket", "id == 7"), ("day_hour", "day == 0"), ("ranges", "id == 30")]:
    t = catalog().load_table("${ns}." + name)
    out[name] = [len(list(t.scan().plan_files())), len(list(t.scan(row_filter=flt).plan_files()))]
result = out
`)) as Record<string, [number, number]>;
  log('pyiceberg files planned (all, filtered):', JSON.stringify(pruned));
  for (const [name, [all, some]] of Object.entries(pruned)) {
    if (!(some < all)) {
      log(`PRUNING ${name}: filtered scan planned ${some} of ${all} files`);
      mismatches++;
    }
  }

  // Spark maintenance on a table Floe wrote, then Floe appends again.
  await sparkQuery(`CALL iceberg.system.rewrite_data_files(table => '${ns}.bucket', options => map('rewrite-all', 'true'))`);
  await sparkQuery(`CALL iceberg.system.expire_snapshots(table => '${ns}.bucket', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 1)`);
  const again = await ops.catalog.loadTable(parseIdent(`${ns}.bucket`));
  const w = new TableWriter(again.metadata, ops.io);
  const extra = { ...genRow(NO_TIME.fields, r), id: 1_000_000n };
  await w.write(extra);
  await ops.append(parseIdent(`${ns}.bucket`), { files: await w.close(), loaded: again });
  const count = (await trinoQuery(`SELECT count(*) AS c FROM iceberg."${ns}"."bucket"`)).rows[0]?.c;
  const expectCount = (written.get('bucket')?.rows.length ?? 0) + 1;
  log(`after Spark rewrite_data_files + expire_snapshots and a Floe append: trino count ${String(count)} (expected ${expectCount})`);
  if (Number(count) !== expectCount) mismatches++;

  const line = `engines tables=${TABLES.length} types=${types.size} transforms=${transforms.size} pyiceberg=${status.pyiceberg ? 'ok' : 'FAIL'} duckdb=${status.duckdb ? 'ok' : 'FAIL'} spark=${status.spark ? 'ok' : 'FAIL'} trino=${status.trino ? 'ok' : 'FAIL'} mismatches=${mismatches}`;
  console.log(line);
  assert.ok(status.pyiceberg && status.duckdb && status.spark && status.trino && mismatches === 0, 'verify:engines failed');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
