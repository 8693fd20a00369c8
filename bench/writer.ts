/**
 * npm run bench:writer — 1,000,000 rows of a ~15-column event schema (nested struct, list,
 * timestamps, decimal, strings) from Arrow batches to Parquet with zstd on local disk, by Floe
 * (parquet-wasm) and by pyarrow with the same settings, in the same run: zstd level 1 (arrow-rs's
 * default level, which parquet-wasm uses), row groups of 100k rows, dictionary encoding with Floe's
 * dictionary page limit (64 KiB; pyarrow's default is 1 MiB), data pages of 1 MiB.
 * Prints the rows -> Arrow build rate of Floe's builders against apache-arrow's generic builder,
 * Floe's rate with row groups encoded inline and in its encoder threads (the default, reported
 * last), peak RSS for N and 2N rows (memory must follow the row group, not the file), and last:
 *   writer rows_per_s=<n> pyarrow_rows_per_s=<n> ratio=<floe/pyarrow> peak_rss_mb=<n> bytes=<n> pyarrow_bytes=<n>
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { RecordBatchBuilder } from '../src/batch/builders.js';
import { createFileIO } from '../src/io/index.js';
import { ParquetStream, closeSharedEncoders, encodeProps, sharedEncoder, withDefaults } from '../src/parquet/index.js';
import type { Schema, Value } from '../src/spec/types.js';

const N = Number(process.argv[2] ?? 1_000_000);
const ROW_GROUP = 100_000;
const mode = process.argv[3] ?? 'main';
/** Alternating Floe/pyarrow rounds (median reported). */
const ROUNDS = Number(process.env.FLOE_BENCH_ROUNDS ?? 3);

export const EVENT: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'event_id', required: true, type: { type: 'string' } },
    { id: 2, name: 'user_id', required: true, type: { type: 'long' } },
    { id: 3, name: 'ts', required: true, type: { type: 'timestamptz' } },
    { id: 4, name: 'received_at', required: false, type: { type: 'timestamp' } },
    { id: 5, name: 'amount', required: false, type: { type: 'decimal', precision: 18, scale: 2 } },
    { id: 6, name: 'currency', required: false, type: { type: 'string' } },
    { id: 7, name: 'country', required: false, type: { type: 'string' } },
    {
      id: 8,
      name: 'device',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 16, name: 'os', required: false, type: { type: 'string' } },
          { id: 17, name: 'version', required: false, type: { type: 'string' } },
          { id: 18, name: 'model', required: false, type: { type: 'string' } },
        ],
      },
    },
    { id: 9, name: 'tags', required: false, type: { type: 'list', elementId: 19, elementRequired: false, element: { type: 'string' } } },
    { id: 10, name: 'score', required: false, type: { type: 'double' } },
    { id: 11, name: 'flags', required: false, type: { type: 'int' } },
    { id: 12, name: 'session', required: false, type: { type: 'string' } },
    { id: 13, name: 'page', required: false, type: { type: 'string' } },
    { id: 14, name: 'is_new', required: false, type: { type: 'boolean' } },
    { id: 15, name: 'latency_ms', required: false, type: { type: 'long' } },
  ],
};

const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'GB', 'ES', 'IT', 'NL'];
const CURRENCIES = ['EUR', 'USD', 'JPY', 'BRL', 'INR', 'GBP'];
const OS = ['android', 'ios', 'linux', 'windows', 'macos'];
const PAGES = Array.from({ length: 200 }, (_, i) => `/shop/category/${i}/item`);
const TAGS = ['new', 'promo', 'mobile', 'returning', 'vip', 'test'];

/** Deterministic event rows (a cheap LCG, so generation does not dominate). */
export function eventRow(i: number): { [k: string]: Value } {
  const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const base = 1_700_000_000_000_000n + BigInt(i) * 1000n;
  return {
    event_id: `evt-${i.toString(16).padStart(12, '0')}-${(h % 100000).toString(36)}`,
    user_id: BigInt(h % 5_000_000),
    ts: base,
    received_at: h % 10 === 0 ? null : base + BigInt(h % 5000),
    amount: BigInt(h % 10_000_000) - 100_000n,
    currency: CURRENCIES[h % CURRENCIES.length] as string,
    country: COUNTRIES[(h >>> 3) % COUNTRIES.length] as string,
    device: h % 20 === 0 ? null : { os: OS[h % OS.length] as string, version: `${h % 17}.${h % 7}`, model: `model-${h % 300}` },
    tags: h % 4 === 0 ? null : TAGS.slice(h % 3, (h % 3) + 1 + (h % 3)),
    score: (h % 100000) / 1000,
    flags: h % 64,
    session: `s-${(h >>> 5).toString(36)}`,
    page: PAGES[h % PAGES.length] as string,
    is_new: h % 2 === 0,
    latency_ms: BigInt(h % 2000),
  };
}

function buildBatches(n: number, rowGroup: number): arrow.RecordBatch[] {
  const b = new RecordBatchBuilder(EVENT);
  const out: arrow.RecordBatch[] = [];
  for (let i = 0; i < n; i++) {
    b.append(eventRow(i));
    if (b.rows === rowGroup) out.push(b.flush());
  }
  if (b.rows) out.push(b.flush());
  return out;
}

function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

async function floeWrite(batches: arrow.RecordBatch[], path: string, threads: number, pageVersion: 1 | 2 = 1): Promise<{ secs: number; bytes: number; peak: number }> {
  const io = createFileIO();
  const opts = withDefaults({ compression: 'zstd', rowGroupRows: ROW_GROUP, pageVersion });
  const encoder = sharedEncoder(threads);
  // Warm the encoder (threads started, WebAssembly compiled) outside the timed part, as in the service.
  const warm = new ParquetStream(io.create(`file://${path}.warm`), path, encodeProps(opts), encoder);
  await warm.write(batches[0] as arrow.RecordBatch);
  await warm.close();
  let peak = rssMb();
  const t0 = performance.now();
  const stream = new ParquetStream(io.create(`file://${path}`), path, encodeProps(opts), encoder);
  for (const b of batches) {
    await stream.write(b);
    peak = Math.max(peak, rssMb());
  }
  const { size } = await stream.close();
  const secs = (performance.now() - t0) / 1000;
  return { secs, bytes: size, peak: Math.max(peak, rssMb()) };
}

/** Streams rows -> builders -> Parquet for n rows and reports peak RSS (memory bound check). */
async function streamedPeak(n: number, path: string): Promise<number> {
  const io = createFileIO();
  const opts = withDefaults({ compression: 'zstd', rowGroupRows: ROW_GROUP });
  const stream = new ParquetStream(io.create(`file://${path}`), path, encodeProps(opts));
  const b = new RecordBatchBuilder(EVENT);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    b.append(eventRow(i));
    if (b.rows === ROW_GROUP) {
      await stream.write(b.flush());
      peak = Math.max(peak, rssMb());
    }
  }
  if (b.rows) await stream.write(b.flush());
  await stream.close();
  return Math.max(peak, rssMb());
}

function python(): string {
  const out = execFileSync(`${import.meta.dirname}/../scripts/stack`, ['env'], { encoding: 'utf8' });
  return /FLOE_PYTHON=(.*)/.exec(out)?.[1] ?? 'python3';
}

async function main(): Promise<void> {
  if (mode === 'peak') {
    // A child process per size so that peaks do not mix.
    const dir = mkdtempSync(join(tmpdir(), 'floe-bench-'));
    console.log(Math.round(await streamedPeak(N, join(dir, 'p.parquet'))));
    rmSync(dir, { recursive: true, force: true });
    await closeSharedEncoders();
    return;
  }
  execFileSync(`${import.meta.dirname}/../scripts/stack`, ['up', 'pyiceberg'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'floe-bench-'));
  try {
    // rows -> Arrow: Floe's builders against apache-arrow's generic builder (10% of the rows).
    const sample = Math.min(N, 100_000);
    let t = performance.now();
    buildBatches(sample, ROW_GROUP);
    const floeBuild = sample / ((performance.now() - t) / 1000);
    const generic = arrow.makeBuilder({ type: new arrow.Struct(new RecordBatchBuilder(EVENT).arrowSchema.fields), nullValues: [null, undefined] });
    t = performance.now();
    for (let i = 0; i < sample; i++) {
      // The generic builder takes timestamps as numbers (int64 stays bigint); the decimal is left null.
      const r = eventRow(i) as Record<string, unknown>;
      const ts = (v: unknown) => (v === null ? null : Number(v as bigint) / 1000);
      generic.append({ ...r, ts: ts(r.ts), received_at: ts(r.received_at), amount: null } as never);
    }
    generic.finish().toVector();
    const arrowBuild = sample / ((performance.now() - t) / 1000);
    console.log(`build rows_per_s floe=${Math.round(floeBuild)} apache_arrow_builder=${Math.round(arrowBuild)} ratio=${(floeBuild / arrowBuild).toFixed(2)}`);

    const batches = buildBatches(N, ROW_GROUP);
    // The same batches for pyarrow, as an Arrow IPC file (reading it is not timed).
    const ipc = join(dir, 'events.arrow');
    writeFileSync(ipc, arrow.tableToIPC(new arrow.Table(batches), 'file'));
    const inline = await floeWrite(batches, join(dir, 'floe-inline.parquet'), 0);
    console.log(`floe encoder_threads=0 rows_per_s=${Math.round(N / inline.secs)} bytes=${inline.bytes}`);
    // Floe (encoder threads, the default) and pyarrow in alternating rounds, so that a change in the
    // shared machine's load falls on both alike; the medians are reported.
    const threads = withDefaults().encoderThreads;
    const pyarrowWrite = (): { secs: number; bytes: number } => {
      const py = spawnSync(
        python(),
        [
          '-c',
          `
import sys, time, pyarrow as pa, pyarrow.parquet as pq, os
t = pa.ipc.open_file(sys.argv[1]).read_all()
t0 = time.perf_counter()
pq.write_table(t, sys.argv[2], compression='zstd', compression_level=1, row_group_size=int(sys.argv[3]), use_dictionary=True,
               dictionary_pagesize_limit=int(sys.argv[4]), data_page_size=int(sys.argv[5]))
print(time.perf_counter() - t0, os.path.getsize(sys.argv[2]))
`,
          ipc,
          join(dir, 'pyarrow.parquet'),
          String(ROW_GROUP),
          String(withDefaults().dictionaryPageBytes),
          String(withDefaults().pageBytes),
        ],
        { encoding: 'utf8' },
      );
      if (py.status !== 0) throw new Error(`pyarrow failed: ${py.stderr}`);
      const [secs, bytes] = py.stdout.trim().split(/\s+/).map(Number) as [number, number];
      return { secs, bytes };
    };
    const rounds: Array<{ floe: number; py: number }> = [];
    let floe = { secs: 0, bytes: 0, peak: 0 };
    let pyBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0;
      let py = first ? pyarrowWrite() : undefined;
      floe = await floeWrite(batches, join(dir, 'floe.parquet'), threads);
      py ??= pyarrowWrite();
      pyBytes = py.bytes;
      rounds.push({ floe: N / floe.secs, py: N / py.secs });
      console.log(`round ${round + 1} floe encoder_threads=${threads} rows_per_s=${Math.round(N / floe.secs)} pyarrow_rows_per_s=${Math.round(N / py.secs)} ratio=${(py.secs / floe.secs).toFixed(2)}`);
    }
    // Not the default, for comparison: Parquet 2.0 pages (delta encodings where dictionaries overflow).
    const v2 = await floeWrite(batches, join(dir, 'floe-v2.parquet'), threads, 2);
    console.log(`floe page_version=2 encoder_threads=${threads} rows_per_s=${Math.round(N / v2.secs)} bytes=${v2.bytes} (not the default; not like-for-like with pyarrow's v1 pages)`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const floeRate = median(rounds.map((r) => r.floe));
    const pyRate = median(rounds.map((r) => r.py));
    // Memory bound: rows streamed through the builders for N and 2N rows, each in a fresh process.
    const peakOf = (n: number) => Number(execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, String(n), 'peak'], { encoding: 'utf8' }).trim());
    const p1 = peakOf(N);
    const p2 = peakOf(2 * N);
    console.log(`memory streamed_peak_rss_mb rows=${N}:${p1} rows=${2 * N}:${p2} (row group ${ROW_GROUP})`);
    console.log(`size floe=${floe.bytes} pyarrow=${pyBytes} ratio=${(floe.bytes / pyBytes).toFixed(3)} (on disk: ${statSync(join(dir, 'floe.parquet')).size})`);
    console.log(
      `writer rows_per_s=${Math.round(floeRate)} pyarrow_rows_per_s=${Math.round(pyRate)} ratio=${(floeRate / pyRate).toFixed(2)} peak_rss_mb=${Math.max(p1, p2)} bytes=${floe.bytes} pyarrow_bytes=${pyBytes}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await closeSharedEncoders();
  }
}

if (!process.env.FLOE_BENCH_IMPORT) await main();
