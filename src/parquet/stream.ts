/**
 * Arrow record batches in, one Parquet file out to an OutputFile, one row group per batch.
 * Batches are encoded in parallel (encoder.ts) and written in order (assemble.ts); at most as
 * many batches as the encoder has threads are in flight, so memory follows the row group, not
 * the file.
 */
import * as arrow from 'apache-arrow';
import { parquetMetadata, type FileMetaData } from 'hyparquet';
import { FloeError, isFloeError } from '../errors.js';
import type { OutputFile } from '../io/file-io.js';
import { ParquetAssembler, type AssemblerOptions } from './assemble.js';
import { sharedEncoder, type EncodeProps, type ParquetEncoder } from './encoder.js';

export class ParquetStream {
  private readonly asm: ParquetAssembler;
  private readonly inflight: Array<{ piece: Promise<Uint8Array>; bytes: number }> = [];
  private failed: FloeError | undefined;
  private finished = false;
  /** Bytes handed to the OutputFile so far. */
  written = 0;

  /** Uncompressed (Arrow IPC) bytes of the row groups still being encoded. */
  get pendingBytes(): number {
    let n = 0;
    for (const x of this.inflight) n += x.bytes;
    return n;
  }

  constructor(
    private readonly out: OutputFile,
    private readonly location: string,
    private readonly props: EncodeProps,
    private readonly encoder: ParquetEncoder = sharedEncoder(),
    assembler: AssemblerOptions = {},
  ) {
    this.asm = new ParquetAssembler(assembler);
  }

  /** Queues one batch as one row group; resolves once the encoder can take another. */
  async write(batch: arrow.RecordBatch): Promise<void> {
    if (this.failed) throw this.failed;
    const ipc = arrow.tableToIPC(new arrow.Table([batch]), 'stream');
    const piece = this.encoder.encode(ipc, this.props);
    // Marked handled here; the rejection is rethrown when the piece is drained.
    piece.catch(() => undefined);
    this.inflight.push({ piece, bytes: ipc.byteLength });
    while (this.inflight.length > this.encoder.parallelism) await this.drainOne();
  }

  private async drainOne(): Promise<void> {
    const next = this.inflight.shift();
    if (!next) return;
    try {
      for (const chunk of this.asm.add(await next.piece)) await this.emit(chunk);
    } catch (err) {
      this.failed = isFloeError(err) ? err : new FloeError('STORAGE_ERROR', `writing ${this.location} failed: ${(err as Error).message}`, { cause: err, retryable: true });
      throw this.failed;
    }
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.written += chunk.byteLength;
    await this.out.write(chunk);
  }

  /** Finishes the file; returns its size and its footer. At least one batch must have been written. */
  async close(): Promise<{ size: number; footer: FileMetaData }> {
    if (this.finished) throw new FloeError('INTERNAL', `${this.location}: Parquet stream closed twice`);
    this.finished = true;
    while (this.inflight.length > 0) await this.drainOne();
    const tail = this.asm.finish();
    await this.emit(tail);
    const size = await this.out.close();
    if (size !== this.written) throw new FloeError('STORAGE_ERROR', `${this.location}: wrote ${this.written} bytes but the file has ${size}`, { retryable: true });
    const footer = parquetMetadata(tail.buffer.slice(tail.byteOffset, tail.byteOffset + tail.byteLength) as ArrayBuffer);
    return { size, footer };
  }

  async abort(): Promise<void> {
    this.finished = true;
    await Promise.allSettled(this.inflight.splice(0).map((x) => x.piece));
    await this.out.abort();
  }
}
