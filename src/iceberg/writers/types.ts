/**
 * Writer layers after iceberg-rust: a plain file writer is built, written to and closed once;
 * rolling and partitioning wrap it, they do not subclass it. `close()` returns what was
 * produced (data file results); no writer reaches into a table.
 */
import type { Value } from '../../spec/types.js';

export interface RowFileWriter<R> {
  /** Buffers or writes one row (the value representation of spec/types.ts). */
  write(row: Value): Promise<void> | void;
  /** Bytes this file will have if closed now (written plus a good estimate of buffered). */
  estimatedBytes(): number;
  /** Bytes held in memory, not yet written out (a row group being built). */
  bufferedBytes(): number;
  /** Writes out what is buffered (one row group) without closing the file. */
  flush(): Promise<void>;
  /** Finishes the file; returns its result (path, size, record count, metrics, ...). */
  close(): Promise<R>;
  /** Drops the file (nothing becomes visible). */
  abort(): Promise<void>;
}

/** Creates one file writer; `partition` is the partition tuple of the rows it will get. */
export type FileWriterFactory<R> = (partition: PartitionTuple | undefined) => RowFileWriter<R>;

export interface PartitionTuple {
  /** A stable key for grouping (equal tuples, equal keys). */
  readonly key: string;
  /** The partition values, one per partition field, in spec order. */
  readonly values: readonly Value[];
}
