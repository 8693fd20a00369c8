import type { FileWriterFactory, PartitionTuple, RowFileWriter } from './types.js';

/**
 * Rolls to a new file when the current one reaches the target size. Single-use: `close()`
 * returns the results of every file it produced, in order.
 */
export class RollingWriter<R> {
  private current: RowFileWriter<R> | undefined;
  private readonly done: R[] = [];
  private closed = false;

  constructor(
    private readonly factory: FileWriterFactory<R>,
    private readonly targetFileBytes: number,
    readonly partition: PartitionTuple | undefined = undefined,
    /** How many writes between checks of the size estimate (it sums column builders). */
    private readonly checkEvery = 256,
  ) {}

  private writes = 0;

  /** Synchronous unless the file writer flushes a row group or the file rolls. */
  write(row: Parameters<RowFileWriter<R>['write']>[0]): Promise<void> | void {
    if (this.closed) throw new Error('RollingWriter: write after close');
    this.current ??= this.factory(this.partition);
    const r = this.current.write(row);
    if (++this.writes % this.checkEvery !== 0) return r;
    return r instanceof Promise ? r.then(() => this.maybeRoll()) : this.maybeRoll();
  }

  private maybeRoll(): Promise<void> | void {
    if (!this.current || this.current.estimatedBytes() < this.targetFileBytes) return;
    const w = this.current;
    this.current = undefined;
    return w.close().then((res) => void this.done.push(res));
  }

  bufferedBytes(): number {
    return this.current?.bufferedBytes() ?? 0;
  }

  async flush(): Promise<void> {
    await this.current?.flush();
  }

  async close(): Promise<R[]> {
    this.closed = true;
    if (this.current) {
      const w = this.current;
      this.current = undefined;
      this.done.push(await w.close());
    }
    return [...this.done];
  }

  async abort(): Promise<void> {
    this.closed = true;
    await this.current?.abort();
    this.current = undefined;
  }
}
