/**
 * npm run bench:candidates [rows] — the Parquet writers Floe could use, measured side by side:
 * parquetjs-lite (the dependency the project was specified with), @dsnp/parquetjs,
 * hyparquet-writer (zstd through @bokuweb/zstd-wasm) and parquet-wasm behind Floe's builders.
 * For each: field ids on nested columns (struct child, list element, map key and value, read
 * back from the footer with hyparquet), statistics, zstd, the UUID annotation, and for the event
 * schema of bench/writer.ts: rows/s from rows to a file on disk, file size and peak RSS, each
 * in a fresh process. The rivals are not project dependencies: they are installed into
 * $FLOE_CACHE/bench-candidates on first use. Output: one `candidate ...` line per writer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parquetMetadata } from 'hyparquet';
import { createFileIO } from '../src/io/index.js';
import { ParquetFileWriter, closeSharedEncoders } from '../src/parquet/index.js';
import type { Schema, Value } from '../src/spec/types.js';

process.env.FLOE_BENCH_IMPORT = '1';
const { EVENT, eventRow } = await import('./writer.js');

const PINS: Record<string, string> = {
  'parquetjs-lite': '0.8.7',
  // 1.9.3, the newest, was published without its dist/ folder.
  '@dsnp/parquetjs': '1.8.8',
  'hyparquet-writer': '0.17.0',
  '@bokuweb/zstd-wasm': '0.0.27',
};
const CACHE = join(process.env.FLOE_CACHE ?? join(homedir(), '.cache', 'floe'), 'bench-candidates');
const ROW_GROUP = 100_000;

function ensureInstalled(): void {
  const missing = Object.entries(PINS).filter(([name, v]) => {
    const pj = join(CACHE, 'node_modules', name, 'package.json');
    // @dsnp/parquetjs 1.8.8 declares its version as "v1.8.8".
    return !existsSync(pj) || (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version.replace(/^v/, '') !== v;
  });
  if (missing.length === 0) return;
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(join(CACHE, 'package.json'))) writeFileSync(join(CACHE, 'package.json'), '{"name":"floe-bench-candidates","private":true}\n');
  const specs = missing.map(([n, v]) => `${n}@${v}`);
  execFileSync('flock', ['/tmp/floe-npm.lock', 'npm', 'i', '-E', '--no-audit', '--no-fund', ...specs], { cwd: CACHE, stdio: 'inherit' });
}

const req = createRequire(join(CACHE, 'package.json'));
const esm = (path: string) => import(pathToFileURL(join(CACHE, 'node_modules', path)).href);

type Row = { [k: string]: Value };
type Writer = (rows: Iterable<Row>, path: string, codec: string) => Promise<void>;

/** The probe schema: a struct, a list and a map, every field with an id. */
const PROBE: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 's', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'a', required: false, type: { type: 'int' } }] } },
    { id: 4, name: 'l', required: false, type: { type: 'list', elementId: 5, elementRequired: false, element: { type: 'string' } } },
    { id: 6, name: 'm', required: false, type: { type: 'map', keyId: 7, key: { type: 'string' }, valueId: 8, valueRequired: false, value: { type: 'long' } } },
    { id: 9, name: 'u', required: false, type: { type: 'uuid' } },
  ],
};
const PROBE_ROWS: Row[] = [
  { id: 1n, s: { a: 1 }, l: ['x', 'y'], m: [['k', 2n]], u: '0b7e4f3c-93b1-4b8a-9c55-7f0d6a3b2e11' },
  { id: 2n, s: null, l: null, m: null, u: null },
];

// parquetjs-lite and @dsnp/parquetjs share one schema language: no field ids, no maps, no decimal
// in parquetjs-lite (amount is written as a double), lists as repeated fields.
interface PjsWriter {
  appendRow(r: object): Promise<void>;
  close(): Promise<void>;
}
interface Pjs {
  ParquetSchema: new (s: object) => object;
  ParquetWriter: { openFile(schema: object, path: string, opts?: object): Promise<PjsWriter> };
}
function parquetjsWriter(mod: Pjs): { event: Writer; probe: Writer } {
  const opt = (type: string, codec: string) => ({ type, optional: true, compression: codec });
  const event: Writer = async (rows, path, codec) => {
    const schema = new mod.ParquetSchema({
      event_id: { type: 'UTF8', compression: codec },
      user_id: { type: 'INT64', compression: codec },
      ts: { type: 'TIMESTAMP_MICROS', compression: codec },
      received_at: opt('TIMESTAMP_MICROS', codec),
      amount: opt('DOUBLE', codec),
      currency: opt('UTF8', codec),
      country: opt('UTF8', codec),
      device: { optional: true, fields: { os: opt('UTF8', codec), version: opt('UTF8', codec), model: opt('UTF8', codec) } },
      tags: { type: 'UTF8', repeated: true, compression: codec },
      score: opt('DOUBLE', codec),
      flags: opt('INT32', codec),
      session: opt('UTF8', codec),
      page: opt('UTF8', codec),
      is_new: opt('BOOLEAN', codec),
      latency_ms: opt('INT64', codec),
    });
    const w = await mod.ParquetWriter.openFile(schema, path, { rowGroupSize: ROW_GROUP });
    for (const r of rows) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) if (v !== null) o[k] = v;
      o.amount = r.amount === null ? undefined : Number(r.amount as bigint) / 100;
      o.tags = (r.tags as string[] | null) ?? [];
      await w.appendRow(o);
    }
    await w.close();
  };
  const probe: Writer = async (rows, path, codec) => {
    const schema = new mod.ParquetSchema({
      id: { type: 'INT64', compression: codec },
      s: { optional: true, fields: { a: opt('INT32', codec) } },
      l: { type: 'UTF8', repeated: true, compression: codec },
      // No map type: a repeated group of key/value is the closest.
      m: { repeated: true, fields: { key: { type: 'UTF8', compression: codec }, value: opt('INT64', codec) } },
      u: opt('UTF8', codec),
    });
    const w = await mod.ParquetWriter.openFile(schema, path);
    for (const r of rows) {
      await w.appendRow({
        id: r.id,
        ...(r.s ? { s: r.s } : {}),
        l: r.l ?? [],
        m: ((r.m as Array<[string, bigint]> | null) ?? []).map(([key, value]) => ({ key, value })),
        ...(r.u ? { u: r.u } : {}),
      });
    }
    await w.close();
  };
  return { event, probe };
}

interface HyparquetWriter {
  parquetWriteFile(o: object): Promise<void> | void;
}
async function hyparquetWriter(): Promise<{ event: Writer; probe: Writer }> {
  const hw = (await esm('hyparquet-writer/src/node.js')) as HyparquetWriter;
  const zstd = req('@bokuweb/zstd-wasm') as {
    init(): Promise<void>;
    compress(b: Uint8Array, level?: number): Uint8Array;
  };
  await zstd.init();
  const compressors = { ZSTD: (b: Uint8Array) => zstd.compress(b, 1) };
  const leaf = (name: string, id: number, type: string, extra: object = {}) => ({ name, field_id: id, repetition_type: 'OPTIONAL', type, ...extra });
  const str = (name: string, id: number) => leaf(name, id, 'BYTE_ARRAY', { converted_type: 'UTF8' });
  const write = async (schema: object[], columns: Record<string, unknown[]>, path: string, codec: string) => {
    const columnData = Object.entries(columns).map(([name, data]) => ({ name, data }));
    await hw.parquetWriteFile({ filename: path, columnData, schema, codec, compressors, rowGroupSize: ROW_GROUP });
  };
  const event: Writer = async (rows, path, codec) => {
    // Columnar input: one array per top-level column (the whole file in memory, as its API takes it).
    const cols: Record<string, unknown[]> = {};
    for (const f of EVENT.fields) cols[f.name] = [];
    for (const r of rows) for (const f of EVENT.fields) (cols[f.name] as unknown[]).push(r[f.name] ?? null);
    const ts = (name: string, id: number, utc: boolean) => leaf(name, id, 'INT64', { logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: utc, unit: 'MICROS' } });
    const schema = [
      { name: 'root', num_children: EVENT.fields.length },
      { ...str('event_id', 1), repetition_type: 'REQUIRED' },
      { ...leaf('user_id', 2, 'INT64'), repetition_type: 'REQUIRED' },
      { ...ts('ts', 3, true), repetition_type: 'REQUIRED' },
      ts('received_at', 4, false),
      leaf('amount', 5, 'INT64', { converted_type: 'DECIMAL', precision: 18, scale: 2 }),
      str('currency', 6),
      str('country', 7),
      { name: 'device', field_id: 8, repetition_type: 'OPTIONAL', num_children: 3 },
      str('os', 16),
      str('version', 17),
      str('model', 18),
      { name: 'tags', field_id: 9, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      str('element', 19),
      leaf('score', 10, 'DOUBLE'),
      leaf('flags', 11, 'INT32'),
      str('session', 12),
      str('page', 13),
      leaf('is_new', 14, 'BOOLEAN'),
      leaf('latency_ms', 15, 'INT64'),
    ];
    await write(schema, cols, path, codec);
  };
  const probe: Writer = async (rows, path, codec) => {
    const list = [...rows];
    const schema = [
      { name: 'root', num_children: 5 },
      { ...leaf('id', 1, 'INT64'), repetition_type: 'REQUIRED' },
      { name: 's', field_id: 2, repetition_type: 'OPTIONAL', num_children: 1 },
      leaf('a', 3, 'INT32'),
      { name: 'l', field_id: 4, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      str('element', 5),
      { name: 'm', field_id: 6, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
      { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
      { ...str('key', 7), repetition_type: 'REQUIRED' },
      leaf('value', 8, 'INT64'),
      leaf('u', 9, 'FIXED_LEN_BYTE_ARRAY', { type_length: 16, logical_type: { type: 'UUID' } }),
    ];
    const uuid = (u: Value) => (u === null ? null : Uint8Array.from(Buffer.from((u as string).replace(/-/g, ''), 'hex')));
    await write(
      schema,
      {
        id: list.map((r) => r.id),
        s: list.map((r) => r.s),
        l: list.map((r) => r.l),
        m: list.map((r) => (r.m === null ? null : (r.m as Array<[string, bigint]>).map(([key, value]) => ({ key, value })))),
        u: list.map((r) => uuid(r.u ?? null)),
      },
      path,
      codec,
    );
  };
  return { event, probe };
}

function floeWriter(threads: number): { event: Writer; probe: Writer } {
  const make =
    (schema: Schema): Writer =>
    async (rows, path, codec) => {
      const io = createFileIO();
      const location = `file://${path}`;
      const compression = codec.toLowerCase() as 'zstd' | 'snappy';
      const w = new ParquetFileWriter({ schema, out: io.create(location), location, options: { compression, rowGroupRows: ROW_GROUP, encoderThreads: threads } });
      for (const r of rows) await w.write(r);
      await w.close();
    };
  return { event: make(EVENT), probe: make(PROBE) };
}

async function writerOf(name: string): Promise<{ event: Writer; probe: Writer }> {
  if (name === 'parquetjs-lite' || name === '@dsnp/parquetjs') return parquetjsWriter(req(name) as Pjs);
  if (name === 'hyparquet-writer') return hyparquetWriter();
  if (name === 'parquet-wasm') return floeWriter(2);
  if (name === 'parquet-wasm-inline') return floeWriter(0);
  throw new Error(`unknown candidate ${name}`);
}

function* events(n: number): Generator<Row> {
  for (let i = 0; i < n; i++) yield eventRow(i);
}

/** Runs in a child process: features, then speed; prints one JSON line. */
async function measure(name: string, n: number): Promise<void> {
  const w = await writerOf(name);
  const dir = mkdtempSync(join(tmpdir(), 'floe-cand-'));
  const out: Record<string, unknown> = { name };
  try {
    let codec = 'ZSTD';
    try {
      await w.probe(PROBE_ROWS, join(dir, 'z.parquet'), 'ZSTD');
      out.zstd = true;
    } catch {
      out.zstd = false;
      codec = 'SNAPPY';
    }
    await w.probe(PROBE_ROWS, join(dir, 'p.parquet'), codec);
    const b = readFileSync(join(dir, 'p.parquet'));
    const meta = parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    const idOf = (name: string) => meta.schema.find((e) => e.name === name)?.field_id;
    out.ids = { struct_child: idOf('a') === 3, list_element: idOf('element') === 5, map_key: idOf('key') === 7, map_value: idOf('value') === 8, top: idOf('id') === 1 };
    out.stats = meta.row_groups[0]?.columns.every((c) => c.meta_data?.statistics?.null_count !== undefined) ?? false;
    const u = meta.schema.find((e) => e.name === 'u');
    out.uuid = `${u?.type ?? '?'}${u?.logical_type?.type === 'UUID' ? '+UUID' : ''}`;
    out.codec = codec;
    const t0 = performance.now();
    await w.event(events(n), join(dir, 'e.parquet'), codec);
    out.rows_per_s = Math.round(n / ((performance.now() - t0) / 1000));
    out.bytes = statSync(join(dir, 'e.parquet')).size;
    out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  } catch (err) {
    out.error = (err as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await closeSharedEncoders();
  }
  console.log(JSON.stringify(out));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  if (process.argv[3]) return measure(process.argv[3], n);
  ensureInstalled();
  const names = (process.env.CANDIDATES ?? 'parquetjs-lite,@dsnp/parquetjs,hyparquet-writer,parquet-wasm-inline,parquet-wasm').split(',');
  for (const name of names) {
    const line = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, String(n), name], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop() ?? '{}';
    const r = JSON.parse(line) as Record<string, unknown>;
    const ids = (r.ids ?? {}) as Record<string, boolean>;
    const idText = Object.entries(ids)
      .map(([k, v]) => `${k}:${v ? 'yes' : 'no'}`)
      .join(',');
    const version = name.startsWith('parquet-wasm') ? '0.8.0' : PINS[name];
    console.log(
      `candidate ${name}@${version} field_ids=${idText} stats=${String(r.stats)} zstd=${String(r.zstd)} uuid=${String(r.uuid)} codec=${String(r.codec)} rows_per_s=${String(r.rows_per_s)} bytes=${String(r.bytes)} peak_rss_mb=${String(r.peak_rss_mb)}${r.error ? ` error=${JSON.stringify(r.error)}` : ''}`,
    );
  }
}

await main();
