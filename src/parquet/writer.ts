/**
 * A single-use Parquet file writer: rows in, row groups streamed out to an OutputFile as they
 * fill, `close()` returns the data file entry with Iceberg metrics. Encoding is arrow-rs compiled
 * to WebAssembly (parquet-wasm), fed one row group at a time so memory is bounded by the row
 * group, not the file (docs/decisions.md has the measurements behind this choice).
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { parquetMetadata } from 'hyparquet';
import { FloeError } from '../errors.js';
import { RecordBatchBuilder } from '../batch/builders.js';
import type { LeafStats } from '../batch/stats.js';
import type { DataFile } from '../spec/data-file.js';
import type { Schema, Value } from '../spec/types.js';
import { serializeValue, truncateBytesLower, truncateBytesUpper, truncateStringLower, truncateStringUpper } from '../spec/values.js';
import type { OutputFile } from '../io/file-io.js';

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
  /** Metrics mode truncate(N) for string and binary bounds (default 16). */
  truncateBounds?: number;
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
    ...o,
  };
}

export function writerProperties(o: Required<ParquetWriterOptions>): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(CODECS[o.compression])
    .setMaxRowGroupSize(o.rowGroupRows)
    .setDataPageSizeLimit(o.pageBytes)
    .setDictionaryEnabled(o.dictionary)
    .setDictionaryPageSizeLimit(o.dictionaryPageBytes)
    .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
    .setCreatedBy('floe')
    .build();
}

/** Bounds as Iceberg's default metrics mode truncate(16) keeps them. */
export function boundsOf(s: LeafStats, n: number): { lower?: Uint8Array; upper?: Uint8Array } {
  if (s.min === null || s.max === null) return {};
  let lo: Value | undefined = s.min;
  let hi: Value | undefined = s.max;
  if (s.type.type === 'string') {
    lo = truncateStringLower(lo as string, n);
    hi = truncateStringUpper(hi as string, n);
  } else if (s.type.type === 'binary' || s.type.type === 'fixed') {
    lo = truncateBytesLower(lo as Uint8Array, n);
    hi = truncateBytesUpper(hi as Uint8Array, n);
  }
  return { lower: serializeValue(s.type, lo), upper: hi === undefined ? undefined : serializeValue(s.type, hi) };
}

export interface ParquetFileWriterInit {
  schema: Pick<Schema, 'fields'>;
  out: OutputFile;
  location: string;
  partition?: readonly Value[];
  options?: ParquetWriterOptions;
}

/**
 * Arrow record batches in, Parquet bytes out to an OutputFile, one row group per batch (arrow-rs
 * in WebAssembly through parquet-wasm's streaming writer). At most one batch waits to be
 * encoded, so memory is bounded by the row group.
 */
export class ParquetStream {
  private readonly queue: pw.RecordBatch[] = [];
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private ending = false;
  private pump: Promise<void> | undefined;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private failed: unknown;
  written = 0;

  constructor(
    private readonly out: OutputFile,
    private readonly location: string,
    private readonly props: () => pw.WriterProperties,
  ) {}

  async write(batch: arrow.RecordBatch): Promise<void> {
    if (this.failed) throw this.failed;
    const table = pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
    const rb = table.recordBatch(0);
    table.free();
    if (!rb) return;
    this.queue.push(rb);
    this.start();
    this.wake?.();
    while (this.queue.length > 1 && !this.failed) await new Promise<void>((r) => (this.drained = r));
    if (this.failed) throw this.failed;
  }

  private start(): void {
    if (this.pump) return;
    const input = new ReadableStream<pw.RecordBatch>({
      pull: async (c) => {
        while (this.queue.length === 0 && !this.ending) await new Promise<void>((r) => (this.wake = r));
        const next = this.queue.shift();
        this.drained?.();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    this.pump = (async () => {
      const stream = (await pw.transformParquetStream(input, this.props())) as ReadableStream<Uint8Array>;
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.keepTail(value);
        this.written += value.byteLength;
        await this.out.write(value);
      }
    })().catch((err: unknown) => {
      this.failed = err instanceof FloeError ? err : new FloeError('STORAGE_ERROR', `writing ${this.location} failed: ${(err as Error).message}`, { cause: err, retryable: true });
      this.drained?.();
    });
  }

  /** Keeps the last bytes written: the footer is parsed from them at close. */
  private keepTail(chunk: Uint8Array): void {
    this.tail.push(chunk);
    this.tailBytes += chunk.byteLength;
    while (this.tail.length > 1 && this.tailBytes - (this.tail[0] as Uint8Array).byteLength >= 8 * 1024 * 1024) {
      this.tailBytes -= (this.tail.shift() as Uint8Array).byteLength;
    }
  }

  /** Finishes the file; returns its size and its footer. */
  async close(): Promise<{ size: number; footer: ReturnType<typeof parquetMetadata> }> {
    this.start();
    this.ending = true;
    this.wake?.();
    await this.pump;
    if (this.failed) throw this.failed;
    const size = await this.out.close();
    const tail = Buffer.concat(this.tail, this.tailBytes);
    return { size, footer: parquetMetadata(tail.buffer.slice(tail.byteOffset, tail.byteOffset + tail.byteLength) as ArrayBuffer) };
  }

  async abort(): Promise<void> {
    this.ending = true;
    this.queue.length = 0;
    this.wake?.();
    await this.pump?.catch(() => undefined);
    await this.out.abort();
  }
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
    this.stream = new ParquetStream(init.out, init.location, () => writerProperties(this.opts));
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
    return this.stream.written + this.builder.byteSize() / 4;
  }

  /** Ends the current row group: hands it to the encoder. */
  async flush(): Promise<void> {
    if (this.builder.rows === 0) return;
    await this.stream.write(this.builder.flush());
  }

  async close(): Promise<DataFile> {
    if (this.closed) throw new FloeError('INTERNAL', 'ParquetFileWriter: closed twice');
    this.closed = true;
    try {
      await this.flush();
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

  private dataFile(size: number, meta: ReturnType<typeof parquetMetadata>): DataFile {
    // Leaf column path -> field id, from the schema elements the writer emitted.
    const ids = new Map<string, number>();
    const walk = (i: number, prefix: string[]): number => {
      const el = meta.schema[i];
      if (!el) return i + 1;
      const path = i === 0 ? [] : [...prefix, el.name];
      let next = i + 1;
      for (let c = 0; c < (el.num_children ?? 0); c++) next = walk(next, path);
      if (!el.num_children && el.field_id !== undefined) ids.set(path.join('.'), el.field_id);
      return next;
    };
    walk(0, []);
    const columnSizes = new Map<number, number>();
    const splitOffsets: number[] = [];
    for (const rg of meta.row_groups) {
      let start = Infinity;
      for (const col of rg.columns) {
        const md = col.meta_data;
        if (!md) continue;
        const id = ids.get(md.path_in_schema.join('.'));
        if (id !== undefined) columnSizes.set(id, (columnSizes.get(id) ?? 0) + Number(md.total_compressed_size));
        const first = Number(md.dictionary_page_offset ?? md.data_page_offset);
        if (first < start) start = first;
      }
      if (start !== Infinity) splitOffsets.push(start);
    }
    const valueCounts = new Map<number, number>();
    const nullValueCounts = new Map<number, number>();
    const nanValueCounts = new Map<number, number>();
    const lowerBounds = new Map<number, Uint8Array>();
    const upperBounds = new Map<number, Uint8Array>();
    for (const [id, s] of this.builder.stats) {
      valueCounts.set(id, s.valueCount);
      nullValueCounts.set(id, s.nullCount);
      if (s.type.type === 'float' || s.type.type === 'double') nanValueCounts.set(id, s.nanCount);
      const { lower, upper } = boundsOf(s, this.opts.truncateBounds);
      if (lower) lowerBounds.set(id, lower);
      if (upper) upperBounds.set(id, upper);
    }
    return {
      content: 0,
      filePath: this.init.location,
      fileFormat: 'PARQUET',
      partition: this.init.partition ?? [],
      recordCount: this.rows,
      fileSizeInBytes: size,
      columnSizes,
      valueCounts,
      nullValueCounts,
      nanValueCounts,
      lowerBounds,
      upperBounds,
      splitOffsets,
    };
  }
}
