/**
 * Data file writers for one table: rows are fanned out by partition (one file per partition
 * value), rolled at the target file size, and written as Parquet under the table's data path.
 * Built from the table metadata; `close()` returns the data files to commit.
 */
import { randomUUID } from 'node:crypto';
import type { FileIO } from '../io/file-io.js';
import type { DataFile } from '../spec/data-file.js';
import { currentSchema, defaultSpec, type TableMetadata } from '../spec/metadata.js';
import { partitioner } from '../spec/partition.js';
import type { Schema, Value } from '../spec/types.js';
import { ParquetFileWriter, type ParquetWriterOptions } from '../parquet/writer.js';
import { PartitionedWriter } from './writers/partitioned.js';
import { dataDir } from './table.js';

export interface TableWriterOptions extends ParquetWriterOptions {
  targetFileBytes?: number;
  maxOpenFiles?: number;
  maxBufferedBytes?: number;
}

/** Equality delete files instead of data files: rows of the key columns only (upserts, D28). */
export interface EqualityDeletes {
  /** The key columns, with the table's field ids (the partition's source columns among them). */
  schema: Schema;
  equalityIds: readonly number[];
}

export class TableWriter {
  private readonly inner: PartitionedWriter<DataFile>;
  private rowsWritten = 0;
  /** The partition spec the files are written with: the table's default when the writer was made. */
  readonly specId: number;

  constructor(
    meta: TableMetadata,
    io: FileIO,
    options: TableWriterOptions = {},
    private readonly deletes?: EqualityDeletes,
  ) {
    const schema = deletes?.schema ?? currentSchema(meta);
    const spec = defaultSpec(meta);
    this.specId = spec.specId;
    const part = spec.fields.length ? partitioner(spec, schema) : undefined;
    const base = dataDir(meta);
    const prefix = randomUUID();
    let seq = 0;
    const { targetFileBytes, maxOpenFiles, maxBufferedBytes, ...parquet } = options;
    this.inner = new PartitionedWriter<DataFile>(
      (p) => {
        const dir = part && p ? `${base}/${part.path(p.values)}` : base;
        const location = `${dir}/${prefix}-${String(seq++).padStart(5, '0')}${deletes ? '-deletes' : ''}.parquet`;
        return new ParquetFileWriter({ schema, out: io.create(location), location, partition: p?.values ?? [], options: parquet });
      },
      part ? (row) => part(row as { [k: string]: Value }) : () => undefined,
      {
        targetFileBytes: targetFileBytes ?? Number(meta.properties['write.target-file-size-bytes'] ?? 512 * 1024 * 1024),
        maxOpenWriters: maxOpenFiles ?? 64,
        maxBufferedBytes: maxBufferedBytes ?? 256 * 1024 * 1024,
      },
    );
  }

  /** Appends a row; a value that does not fit the schema throws CONVERT_FAILED and nothing is written. */
  write(row: { [k: string]: Value }): Promise<void> | void {
    const r = this.inner.write(row);
    this.rowsWritten++;
    return r;
  }

  get rows(): number {
    return this.rowsWritten;
  }

  bufferedBytes(): number {
    return this.inner.bufferedBytes();
  }

  async close(): Promise<DataFile[]> {
    const d = this.deletes;
    return (await this.inner.close()).map((f) => (d ? { ...f, specId: this.specId, content: 2 as const, equalityIds: [...d.equalityIds] } : { ...f, specId: this.specId }));
  }

  abort(): Promise<void> {
    return this.inner.abort();
  }
}
