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
  ) {}

  async write(row: Parameters<RowFileWriter<R>['write']>[0]): Promise<void> {
    if (this.closed) throw new Error('RollingWriter: write after close');
    this.current ??= this.factory(this.partition);
    await this.current.write(row);
    if (this.current.estimatedBytes() >= this.targetFileBytes) {
      const w = this.current;
      this.current = undefined;
      this.done.push(await w.close());
    }
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
