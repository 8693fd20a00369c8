/**
 * Encodes one row group (an Arrow IPC stream) into a standalone Parquet file with arrow-rs in
 * WebAssembly (parquet-wasm). Encoding runs in worker threads, so row groups of one file are
 * encoded in parallel and the event loop stays free for fetching and building; the pieces are
 * joined into one file by ParquetAssembler. Each worker's WebAssembly memory grows to one row
 * group's size and stays there (it never shrinks), which bounds the writer's memory.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as pw from 'parquet-wasm/node';
import { FloeError } from '../errors.js';

/** Plain data, so that it can cross to a worker: enum values of parquet-wasm, sizes in bytes. */
export interface EncodeProps {
  codec: number;
  rowGroupRows: number;
  pageBytes: number;
  dictionary: boolean;
  dictionaryPageBytes: number;
  /** parquet-wasm's WriterVersion: 0 = Parquet 1.0 (v1 data pages, PLAIN fallback), 1 = 2.0. */
  writerVersion: number;
}

export interface ParquetEncoder {
  /** How many row groups it encodes at once. */
  readonly parallelism: number;
  /**
   * Arrow IPC bytes of the row groups handed to it and not yet encoded (queued or in a worker):
   * memory the sink holds beyond its open batches, counted against its memory limit.
   */
  readonly pendingBytes: number;
  encode(ipc: Uint8Array, props: EncodeProps): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function writerPropertiesOf(p: EncodeProps): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(p.codec)
    .setMaxRowGroupSize(p.rowGroupRows)
    .setDataPageSizeLimit(p.pageBytes)
    .setDictionaryEnabled(p.dictionary)
    .setDictionaryPageSizeLimit(p.dictionaryPageBytes)
    .setWriterVersion(p.writerVersion)
    .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
    .setCreatedBy('floe')
    .build();
}

/** Encodes on the calling thread (encoderThreads: 0). */
export class InlineEncoder implements ParquetEncoder {
  readonly parallelism = 1;
  readonly pendingBytes = 0;
  encode(ipc: Uint8Array, props: EncodeProps): Promise<Uint8Array> {
    try {
      return Promise.resolve(pw.writeParquet(pw.Table.fromIPCStream(ipc), writerPropertiesOf(props)));
    } catch (err) {
      return Promise.reject(encodeError(err));
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function encodeError(err: unknown): FloeError {
  const msg = err instanceof Error ? err.message : String(err);
  return new FloeError('INTERNAL', `Parquet encoding failed: ${msg}`, { cause: err });
}

// Plain JavaScript, evaluated in the worker: it needs no TypeScript loader, in the sources as in
// the build. The mapping from EncodeProps mirrors writerPropertiesOf.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pwReady = import(workerData.parquetWasm);
parentPort.on('message', async ({ id, ipc, props }) => {
  try {
    const pw = await pwReady;
    const wp = new pw.WriterPropertiesBuilder()
      .setCompression(props.codec)
      .setMaxRowGroupSize(props.rowGroupRows)
      .setDataPageSizeLimit(props.pageBytes)
      .setDictionaryEnabled(props.dictionary)
      .setDictionaryPageSizeLimit(props.dictionaryPageBytes)
      .setWriterVersion(props.writerVersion)
      .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
      .setCreatedBy('floe')
      .build();
    const out = pw.writeParquet(pw.Table.fromIPCStream(ipc), wp);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: err && err.message ? err.message : String(err) });
  }
});
`;

interface Task {
  bytes: number;
  resolve: (b: Uint8Array) => void;
  reject: (e: FloeError) => void;
}

type Reply = { id: number; out: Uint8Array; error?: undefined } | { id: number; error: string };

/** A fixed set of encoder threads; tasks queue when all are busy. */
export class WorkerEncoder implements ParquetEncoder {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: Array<{ ipc: Uint8Array; props: EncodeProps; task: Task }> = [];
  private readonly running = new Map<number, { worker: Worker; task: Task }>();
  private nextId = 0;
  private closed = false;
  pendingBytes = 0;

  constructor(readonly parallelism: number) {
    const parquetWasm = import.meta.resolve('parquet-wasm/node');
    for (let i = 0; i < parallelism; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm } });
      w.on('message', (m: Reply) => this.done(w, m));
      w.on('error', (err) => this.crashed(w, err));
      // Idle encoders must not keep a finished process alive. On Node 20 a 'message' listener
      // attached after unref() refs the worker again, so unref only after the listeners.
      w.unref();
      this.all.push(w);
      this.idle.push(w);
    }
  }

  encode(ipc: Uint8Array, props: EncodeProps): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new FloeError('INTERNAL', 'Parquet encoder used after close'));
    const bytes = ipc.byteLength;
    this.pendingBytes += bytes;
    return new Promise((resolve, reject) => {
      this.waiting.push({ ipc, props, task: { bytes, resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.pop() as Worker;
      const { ipc, props, task } = this.waiting.shift() as { ipc: Uint8Array; props: EncodeProps; task: Task };
      const id = this.nextId++;
      this.running.set(id, { worker: w, task });
      w.ref();
      // The IPC bytes are moved, not copied, when they own their buffer.
      const whole = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength && ipc.buffer instanceof ArrayBuffer;
      w.postMessage({ id, ipc, props }, whole ? [ipc.buffer as ArrayBuffer] : []);
    }
  }

  private done(w: Worker, m: Reply): void {
    const run = this.running.get(m.id);
    this.running.delete(m.id);
    w.unref();
    this.idle.push(w);
    if (run) {
      this.pendingBytes -= run.task.bytes;
      if (m.error !== undefined) run.task.reject(encodeError(new Error(m.error)));
      else run.task.resolve(m.out);
    }
    this.dispatch();
  }

  private crashed(w: Worker, err: Error): void {
    for (const [id, run] of this.running) {
      if (run.worker !== w) continue;
      this.running.delete(id);
      this.pendingBytes -= run.task.bytes;
      run.task.reject(encodeError(err));
    }
    const i = this.all.indexOf(w);
    if (i >= 0) this.all.splice(i, 1);
    if (this.all.length === 0) {
      for (const { task } of this.waiting.splice(0)) task.reject(encodeError(err));
      this.pendingBytes = 0;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { task } of this.waiting.splice(0)) task.reject(new FloeError('INTERNAL', 'Parquet encoder closed'));
    for (const { task } of this.running.values()) task.reject(new FloeError('INTERNAL', 'Parquet encoder closed'));
    this.running.clear();
    this.pendingBytes = 0;
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

const shared = new Map<number, ParquetEncoder>();

/** Default: two threads, or one on a one-core machine. */
export function defaultEncoderThreads(): number {
  return Math.min(2, availableParallelism());
}

/** One encoder per thread count for the whole process (threads start once, not per file). */
export function sharedEncoder(threads = defaultEncoderThreads()): ParquetEncoder {
  let e = shared.get(threads);
  if (!e) {
    e = threads <= 0 ? new InlineEncoder() : new WorkerEncoder(threads);
    shared.set(threads, e);
  }
  return e;
}

/** Row-group bytes the shared encoders hold (queued or being encoded), for the memory limit. */
export function sharedEncoderBytes(): number {
  let n = 0;
  for (const e of shared.values()) n += e.pendingBytes;
  return n;
}

/** Stops the shared encoder threads (at shutdown, after the last file is closed). */
export async function closeSharedEncoders(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((e) => e.close()));
}
