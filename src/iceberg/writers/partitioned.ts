import type { Value } from '../../spec/types.js';
import { RollingWriter } from './rolling.js';
import type { FileWriterFactory, PartitionTuple } from './types.js';

export interface PartitionedWriterOptions {
  targetFileBytes: number;
  /** At most this many files open at once; past it the least recently written one is closed. */
  maxOpenWriters: number;
  /** Past this many buffered (unwritten) bytes over all files, the largest buffer is flushed. */
  maxBufferedBytes: number;
  /** Writes between size checks (sizes are sums over column builders); default 1024. */
  checkEvery?: number;
}

/**
 * Fan-out by partition: one rolling writer per partition value, so one data file holds one
 * partition (DESIGN §3). Memory is bounded by `maxOpenWriters` and `maxBufferedBytes`, not by
 * the number of partitions a batch touches.
 */
export class PartitionedWriter<R> {
  private readonly open = new Map<string, RollingWriter<R>>();
  private readonly results: R[] = [];

  constructor(
    private readonly factory: FileWriterFactory<R>,
    private readonly partitionOf: (row: Value) => PartitionTuple | undefined,
    private readonly options: PartitionedWriterOptions,
  ) {}

  private writes = 0;
  private lastKey: string | undefined;

  /** Synchronous unless a file must be closed or a buffer flushed (the hot path awaits nothing). */
  write(row: Value): Promise<void> | void {
    const p = this.partitionOf(row);
    const key = p?.key ?? '';
    const w = this.open.get(key);
    if (!w) return this.writeSlow(row, key, p);
    if (key !== this.lastKey) {
      // Map order is insertion order: re-insert to keep the most recently written last.
      this.open.delete(key);
      this.open.set(key, w);
      this.lastKey = key;
    }
    const r = w.write(row);
    // Sizes are sums over column builders: checking them every row would cost more than writing.
    if (++this.writes % (this.options.checkEvery ?? 1024) === 0 && this.bufferedBytes() > this.options.maxBufferedBytes) return Promise.resolve(r).then(() => this.flushLargest());
    return r;
  }

  /** A partition with no open file: close the least recently written one if at the bound. */
  private async writeSlow(row: Value, key: string, p: ReturnType<typeof this.partitionOf>): Promise<void> {
    if (this.open.size >= this.options.maxOpenWriters) await this.closeOldest();
    const w = new RollingWriter(this.factory, this.options.targetFileBytes, p, Math.min(256, this.options.checkEvery ?? 256));
    this.open.set(key, w);
    this.lastKey = key;
    await w.write(row);
    if (++this.writes % (this.options.checkEvery ?? 1024) === 0 && this.bufferedBytes() > this.options.maxBufferedBytes) await this.flushLargest();
  }

  bufferedBytes(): number {
    let n = 0;
    for (const w of this.open.values()) n += w.bufferedBytes();
    return n;
  }

  private async closeOldest(): Promise<void> {
    const first = this.open.entries().next();
    if (first.done) return;
    const [key, w] = first.value;
    this.open.delete(key);
    this.results.push(...(await w.close()));
  }

  private async flushLargest(): Promise<void> {
    let largest: RollingWriter<R> | undefined;
    for (const w of this.open.values()) if (!largest || w.bufferedBytes() > largest.bufferedBytes()) largest = w;
    await largest?.flush();
  }

  async close(): Promise<R[]> {
    for (const w of this.open.values()) this.results.push(...(await w.close()));
    this.open.clear();
    return [...this.results];
  }

  async abort(): Promise<void> {
    for (const w of this.open.values()) await w.abort();
    this.open.clear();
  }
}
