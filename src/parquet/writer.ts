/**
 * A single-use Parquet file writer: rows in, row groups streamed out to an OutputFile as they
 * fill, `close()` returns the data file entry with Iceberg metrics. Encoding is arrow-rs compiled
 * to WebAssembly (parquet-wasm) in worker threads, one row group at a time, so memory is bounded
 * by the row group, not the file (docs/decisions.md has the measurements behind this choice).
 */
import type { FileMetaData } from 'hyparquet';
import * as pw from 'parquet-wasm/node';
import { FloeError } from '../errors.js';
import { RecordBatchBuilder } from '../batch/builders.js';
import type { DataFile } from '../spec/data-file.js';
import { indexById } from '../spec/schema.js';
import type { Schema, Value } from '../spec/types.js';
import type { OutputFile } from '../io/file-io.js';
import { defaultEncoderThreads, sharedEncoder, writerPropertiesOf, type EncodeProps, type ParquetEncoder } from './encoder.js';
import { fileMetrics } from './metrics.js';
import { ParquetStream } from './stream.js';

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'lz4' | 'none';

export interface ParquetWriterOptions {
  compression?: Compression;
  /** Rows per row group (default 100,000). */
  rowGroupRows?: number;
  /** Buffered bytes that close a row group early (default 64 MiB). */
  rowGroupBytes?: number;
  /** Data page size limit in bytes (default 1 MiB). */
  pageBytes?: number;
  dictionary?: boolean;
  /**
   * Dictionary page size limit (default 64 KiB): a column whose dictionary grows past it falls
   * back to plain encoding early. arrow-rs defaults to 1 MiB, which on high-cardinality columns
   * (ids, sessions) costs time and bytes: measured in docs/decisions.md.
   */
  dictionaryPageBytes?: number;
  /**
   * Parquet format version of the pages (default 1). 2 writes v2 data pages, and columns whose
   * dictionary overflows fall back to DELTA_BINARY_PACKED / DELTA_BYTE_ARRAY instead of PLAIN:
   * smaller and faster to encode (docs/decisions.md D15), but older readers may refuse it.
   */
  pageVersion?: 1 | 2;
  /** Metrics mode truncate(N) for string and binary bounds (default 16). */
  truncateBounds?: number;
  /**
   * Threads that encode row groups in parallel (default 2, 1 on a one-core machine); 0 encodes
   * on the calling thread.
   */
  encoderThreads?: number;
}

const CODECS: Record<Compression, pw.Compression> = {
  zstd: pw.Compression.ZSTD,
  snappy: pw.Compression.SNAPPY,
  gzip: pw.Compression.GZIP,
  lz4: pw.Compression.LZ4_RAW,
  none: pw.Compression.UNCOMPRESSED,
};

export function withDefaults(o: ParquetWriterOptions = {}): Required<ParquetWriterOptions> {
  return {
    compression: 'zstd',
    rowGroupRows: 100_000,
    rowGroupBytes: 64 * 1024 * 1024,
    pageBytes: 1024 * 1024,
    dictionary: true,
    dictionaryPageBytes: 64 * 1024,
    truncateBounds: 16,
    pageVersion: 1,
    encoderThreads: defaultEncoderThreads(),
    ...o,
  };
}

export function encodeProps(o: Required<ParquetWriterOptions>): EncodeProps {
  return {
    codec: CODECS[o.compression],
    rowGroupRows: o.rowGroupRows,
    pageBytes: o.pageBytes,
    dictionary: o.dictionary,
    dictionaryPageBytes: o.dictionaryPageBytes,
    writerVersion: o.pageVersion === 2 ? pw.WriterVersion.V2 : pw.WriterVersion.V1,
  };
}

export function writerProperties(o: Required<ParquetWriterOptions>): pw.WriterProperties {
  return writerPropertiesOf(encodeProps(o));
}

export interface ParquetFileWriterInit {
  schema: Pick<Schema, 'fields'>;
  out: OutputFile;
  location: string;
  partition?: readonly Value[];
  options?: ParquetWriterOptions;
  /** Where row groups are encoded (default: the process's shared encoder threads). */
  encoder?: ParquetEncoder;
}

export class ParquetFileWriter {
  private readonly builder: RecordBatchBuilder;
  private readonly opts: Required<ParquetWriterOptions>;
  private readonly stream: ParquetStream;
  private rows = 0;
  private closed = false;

  constructor(private readonly init: ParquetFileWriterInit) {
    this.builder = new RecordBatchBuilder(init.schema);
    this.opts = withDefaults(init.options);
    const uuidFieldIds = new Set([...indexById(init.schema.fields).values()].filter((f) => f.field.type.type === 'uuid').map((f) => f.field.id));
    this.stream = new ParquetStream(init.out, init.location, encodeProps(this.opts), init.encoder ?? sharedEncoder(this.opts.encoderThreads), { uuidFieldIds });
  }

  /** Appends a row; throws CONVERT_FAILED (nothing appended) when a value does not fit the schema. */
  write(row: { [k: string]: Value }): Promise<void> | void {
    if (this.closed) throw new FloeError('INTERNAL', 'ParquetFileWriter: write after close');
    this.builder.append(row);
    this.rows++;
    const n = this.builder.rows;
    // byteSize() sums every column builder: check it every 512 rows.
    if (n >= this.opts.rowGroupRows || ((n & 511) === 0 && this.builder.byteSize() >= this.opts.rowGroupBytes)) return this.flush();
  }

  bufferedBytes(): number {
    return this.builder.byteSize();
  }

  /** Bytes written so far plus what is buffered (buffered bytes shrink when compressed; a fair guess). */
  estimatedBytes(): number {
    return this.stream.written + (this.stream.pendingBytes + this.builder.byteSize()) / 4;
  }

  /** Ends the current row group: hands it to the encoder. */
  async flush(): Promise<void> {
    if (this.builder.rows === 0) return;
    await this.stream.write(this.builder.flush());
  }

  /** Rows written so far (buffered ones included). */
  get rowCount(): number {
    return this.rows;
  }

  async close(): Promise<DataFile> {
    if (this.closed) throw new FloeError('INTERNAL', 'ParquetFileWriter: closed twice');
    this.closed = true;
    try {
      // An empty file still needs one (empty) row group's piece: it carries the schema.
      if (this.rows === 0) await this.stream.write(this.builder.flush());
      else await this.flush();
      const { size, footer } = await this.stream.close();
      return this.dataFile(size, footer);
    } catch (err) {
      await this.stream.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.closed = true;
    await this.stream.abort();
  }

  private dataFile(size: number, footer: FileMetaData): DataFile {
    const m = fileMetrics(footer, size, this.builder.stats, this.opts.truncateBounds);
    if (m.recordCount !== this.rows) throw new FloeError('INTERNAL', `${this.init.location}: ${this.rows} rows written but the footer says ${m.recordCount}`);
    return {
      content: 0,
      filePath: this.init.location,
      fileFormat: 'PARQUET',
      partition: this.init.partition ?? [],
      ...m,
    };
  }
}
