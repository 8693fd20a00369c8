/**
 * One table's side of the pipeline: its cursor (where its data ends per partition), the data
 * file writer of the open batch, and the commit that writes the batch's files and offset map in
 * one snapshot, fenced by contiguity (DESIGN §2 rules 2-5). A batch whose commit fails with a
 * retryable error stays pending and is retried with the same commit id: progress stops, nothing
 * is skipped.
 */
import { randomUUID } from 'node:crypto';
import { describeError, FloeError, isFloeError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { LoadedTable, TableIdent, TableOps } from '../iceberg/index.js';
import { TableWriter, type TableWriterOptions } from '../iceberg/index.js';
import { COMMIT_ID_KEY, checkContiguity, offsetsAfter, offsetsKey, serializeOffsets, storedOffsets, TableCursor, type ConsumedPositions, type OffsetMap, type Range } from '../commit/index.js';
import type { DataFile } from '../spec/data-file.js';
import { ancestors, branchHead } from '../spec/metadata.js';
import type { Value } from '../spec/types.js';
import { EXPIRE_DEFAULTS } from '../maintenance/expire.js';
import type { RollupAggregator, RollupPlan } from '../rollup/index.js';
import type { UpsertBuffer, UpsertDrain } from '../upsert/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

interface PendingBatch {
  ranges: Range[];
  files: DataFile[];
  rows: number;
  /** The newest Kafka timestamp (ms) among the batch's records; 0 when none had one. */
  newestTs: number;
  commitId: string;
  cutAt: number;
  /** Milliseconds from the cut to the files being written (encode and upload). */
  sealMs: number;
}

/** Snapshots past which a table's history is said to cost its commits (twice expiry's default cap). */
export const HISTORY_WARNING = 2 * EXPIRE_DEFAULTS.maxSnapshots;

/**
 * What to say of a table with `snapshots` snapshots, if anything. Past HISTORY_WARNING expiry is
 * off, its maxSnapshots raised, or other writers keep branches: every commit rewrites and every
 * query reads all of it (~25 ms per 1,000 snapshots per commit here, bench:history).
 */
export function historyWarning(snapshots: number): string | undefined {
  if (snapshots <= HISTORY_WARNING) return undefined;
  return `table has ${snapshots} snapshots: every commit rewrites and every query reads all of them, and both slow down as they grow; snapshot expiry keeps them bounded (the mapping's \`expire\`, on by default, at most ${EXPIRE_DEFAULTS.maxSnapshots.toLocaleString('en-US')} per branch; or \`floe expire\`)`;
}

/** A batch cut from the open one: its offset ranges, its data writer, and a rollup's partial rows. */
export interface Cut {
  ranges: Range[];
  /** The batch's writers: one per table schema the batch saw (the last one open). */
  writers: TableWriter[];
  /** Records the batch took in (for a rollup, records aggregated, not rows). */
  rows: number;
  /** The newest Kafka timestamp (ms) among them; 0 when none had one. */
  newestTs: number;
  partials?: Array<{ [k: string]: Value }>;
  /** An upsert batch: the newest row per key and the keys to delete (D28). */
  upserts?: UpsertDrain;
}

export interface SinkContext {
  ops: TableOps;
  io: FileIO;
  group: string;
  writer: TableWriterOptions;
  log: Logger;
  metrics: Metrics;
}

export class TableSink {
  readonly cursor: TableCursor;
  loaded: LoadedTable | undefined;
  private writer: TableWriter | undefined;
  /** Writers of this batch closed to new rows because the table's schema changed under them. */
  private retired: TableWriter[] = [];
  /** Writer schema ids already checked against the table for columns to add. */
  readonly evolved = new Set<number>();
  private rows = 0;
  private bytes = 0;
  private pending: PendingBatch | undefined;
  lastCommitAt = 0;
  /** The newest Kafka timestamp (ms) of the open batch's records, and of all committed ones. */
  private newestTs = 0;
  private newestCommittedTs = 0;
  /** Said once: the table's history has grown past what expiry keeps by default (see commitPending). */
  private warnedHistory = false;
  lastOffsetsOnlyAt = Date.now();
  /** Set when another process committed this table's range: the pipeline must re-seek. */
  fenced = false;
  /**
   * While a commit is being retried: why its last attempt failed (the catalog answered 5xx or
   * refused it). For readiness: a commit that keeps failing is said while it is still retried.
   */
  commitTrouble: string | undefined;
  /**
   * For a rollup table: the batch's partial aggregates. Rows are made from it when the batch is
   * cut, and it is emptied with the batch (on a fence or a new assignment too).
   */
  aggregator: RollupAggregator | undefined;
  /**
   * For an upsert table: the batch's newest row per key, written with the equality deletes of
   * its keys when the batch is cut; emptied with the batch like a rollup's map.
   */
  upserts: UpsertBuffer | undefined;

  constructor(
    readonly name: string,
    readonly ident: TableIdent,
    private readonly ctx: SinkContext,
  ) {
    this.cursor = new TableCursor(name);
  }

  get exists(): boolean {
    return this.loaded !== undefined;
  }

  /** The table's stored offset map (from the newest snapshot of main that has the group's key). */
  stored(): OffsetMap {
    if (!this.loaded) return new Map();
    const m = this.loaded.metadata;
    return storedOffsets(ancestors(m, branchHead(m)), this.ctx.group);
  }

  /** Appends a row of the open batch. Throws CONVERT_FAILED (nothing appended) for a bad row. */
  append(row: { [k: string]: Value }, size: number, kafkaTs: number | undefined): Promise<void> | void {
    if (!this.loaded) throw new FloeError('INTERNAL', `table ${this.name} is not loaded`);
    this.writer ??= new TableWriter(this.loaded.metadata, this.ctx.io, this.ctx.writer);
    const r = this.writer.write(row); // a bad row throws here, before anything is counted
    this.rows++;
    this.bytes += size;
    if (kafkaTs !== undefined && kafkaTs > this.newestTs) this.newestTs = kafkaTs;
    return r;
  }

  /** Adds a record to a rollup table's batch. Throws CONVERT_FAILED (nothing added) for a bad row. */
  aggregate(row: { [k: string]: Value }, kafkaTs: number | undefined, plan: RollupPlan): void {
    if (!this.aggregator) throw new FloeError('INTERNAL', `table ${this.name} is not a rollup table`);
    const before = this.aggregator.bufferedBytes;
    this.aggregator.add(row, kafkaTs, plan);
    this.rows++;
    if (kafkaTs !== undefined && kafkaTs > this.newestTs) this.newestTs = kafkaTs;
    // What the batch holds is the map, not the records: a hot key costs nothing more per event.
    this.bytes += this.aggregator.bufferedBytes - before;
  }

  /**
   * Adds a record to an upsert table's batch, replacing an earlier one of the same key. Throws
   * CONVERT_FAILED (nothing added) for a row without its key.
   */
  upsert(row: { [k: string]: Value }, size: number, kafkaTs: number | undefined): void {
    if (!this.upserts) throw new FloeError('INTERNAL', `table ${this.name} is not an upsert table`);
    const before = this.upserts.bufferedBytes;
    this.upserts.add(row, size);
    this.rows++;
    if (kafkaTs !== undefined && kafkaTs > this.newestTs) this.newestTs = kafkaTs;
    this.bytes += this.upserts.bufferedBytes - before;
  }

  /**
   * The table's schema changed (columns added): rows from now on go to a writer of the new
   * schema; the open writer's rows stay in this batch, in files of the old schema.
   */
  retireWriter(): void {
    if (this.writer) this.retired.push(this.writer);
    this.writer = undefined;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  get openRows(): number {
    return this.rows;
  }

  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Drops the open batch and any pending one (after a fence or a new assignment). */
  async discard(): Promise<void> {
    const ws = [...this.retired, ...(this.writer ? [this.writer] : [])];
    this.writer = undefined;
    this.retired = [];
    this.rows = 0;
    this.bytes = 0;
    this.newestTs = 0;
    this.aggregator?.clear();
    this.upserts?.clear();
    const p = this.pending;
    this.pending = undefined;
    for (const w of ws) await w.abort().catch(() => undefined);
    if (p) for (const f of p.files) await this.ctx.io.delete(f.filePath).catch(() => undefined);
  }

  /**
   * Cuts the open batch: its ranges against the consumer's positions and its rows. Must run
   * while no record is half-processed (the pipeline holds its batch lock). Returns false when
   * there is nothing to commit.
   */
  cut(positions: ConsumedPositions, offsetsOnly: boolean): Cut | undefined {
    if (this.pending || !this.loaded) return undefined;
    if (this.rows === 0 && !offsetsOnly) return undefined;
    const ranges = this.cursor.cut(positions);
    if (ranges.length === 0) return undefined;
    const cut: Cut = { ranges, writers: [...this.retired, ...(this.writer ? [this.writer] : [])], rows: this.rows, newestTs: this.newestTs, ...(this.aggregator ? { partials: this.aggregator.drain() } : {}), ...(this.upserts ? { upserts: this.upserts.drain() } : {}) };
    this.writer = undefined;
    this.retired = [];
    this.rows = 0;
    this.bytes = 0;
    this.newestTs = 0;
    return cut;
  }

  /** Closes a cut batch's files and makes it the pending batch. */
  async seal(cut: Cut): Promise<void> {
    const writers = cut.writers;
    if (cut.partials?.length) {
      // A rollup batch: its partial rows, written now (the aggregation ran as records came).
      const writer = new TableWriter((this.loaded as LoadedTable).metadata, this.ctx.io, this.ctx.writer);
      for (const row of cut.partials) {
        const r = writer.write(row);
        if (r) await r;
      }
      writers.push(writer);
    }
    if (cut.upserts?.keys.length) {
      // An upsert batch: its newest rows, and its keys as equality deletes of the older rows.
      const meta = (this.loaded as LoadedTable).metadata;
      const plan = (this.upserts as UpsertBuffer).plan;
      const rows = new TableWriter(meta, this.ctx.io, this.ctx.writer);
      for (const row of cut.upserts.rows) {
        const r = rows.write(row);
        if (r) await r;
      }
      const deletes = new TableWriter(meta, this.ctx.io, this.ctx.writer, { schema: plan.deleteSchema, equalityIds: plan.equalityIds });
      for (const row of cut.upserts.keys) {
        const r = deletes.write(row);
        if (r) await r;
      }
      writers.push(rows, deletes);
    }
    const sealStart = Date.now();
    const files = [];
    for (const w of writers) files.push(...(await w.close()));
    for (const f of files) {
      this.ctx.metrics.filesWritten.inc({ table: this.name });
      this.ctx.metrics.bytesWritten.inc({ table: this.name }, f.fileSizeInBytes);
    }
    this.pending = { ranges: cut.ranges, files, rows: cut.rows, newestTs: cut.newestTs, commitId: randomUUID(), cutAt: Date.now(), sealMs: Date.now() - sealStart };
  }

  /**
   * Commits the pending batch. Returns true when it landed; false when it was fenced (the
   * caller re-seeks); throws a retryable error while the catalog or store is unavailable.
   */
  async commitPending(): Promise<boolean> {
    const p = this.pending;
    if (!p) return true;
    const started = Date.now();
    const group = this.ctx.group;
    // Each failed attempt is counted (and said) when it happens, not only when the append gives up.
    let lastFailed: FloeError | undefined;
    try {
      const res = await this.ctx.ops.append(this.ident, {
        files: p.files,
        properties: { [COMMIT_ID_KEY]: p.commitId },
        commitIdKey: COMMIT_ID_KEY,
        // Java's RowDelta names a commit that adds deletes an overwrite.
        ...(p.files.some((f) => f.content !== 0) ? { operation: 'overwrite' as const } : {}),
        ...(this.loaded ? { loaded: this.loaded } : {}),
        onConflict: () => this.ctx.metrics.conflicts.inc({ table: this.name }),
        onAttemptFailed: (err, attempt) => {
          lastFailed = err;
          this.commitTrouble = describeError(err);
          this.ctx.metrics.commitErrors.inc({ table: this.name, code: err.code });
          this.ctx.log.warn({ table: this.name, attempt, err: this.commitTrouble }, err.code === 'COMMIT_STATE_UNKNOWN' ? 'commit attempt failed (outcome unknown): retrying with the same commit id' : 'commit refused');
        },
        prepare: (meta) => {
          const stored = storedOffsets(ancestors(meta, branchHead(meta)), group);
          const bad = checkContiguity(stored, p.ranges);
          if (bad.length) {
            throw new FloeError('FENCED', `table ${this.name}: another writer committed ${bad.map((b) => `${b.topic}[${b.partition}] up to ${b.stored} (this batch starts at ${b.expected})`).join(', ')}`);
          }
          return { [offsetsKey(group)]: serializeOffsets(offsetsAfter(stored, p.ranges)) };
        },
      });
      this.loaded = { ...(this.loaded as LoadedTable), metadata: res.metadata, metadataLocation: res.metadataLocation };
      this.cursor.committed(p.ranges);
      this.pending = undefined;
      const now = Date.now();
      this.lastCommitAt = now;
      if (p.files.length === 0) this.lastOffsetsOnlyAt = now;
      this.ctx.metrics.commits.inc({ table: this.name, kind: p.files.length ? 'data' : 'offsets-only' });
      this.ctx.metrics.recordsOut.inc({ table: this.name }, p.rows);
      this.ctx.metrics.commitSeconds.observe({ table: this.name }, (now - p.cutAt) / 1000);
      this.ctx.metrics.lastCommitTime.set({ table: this.name }, now / 1000);
      if (p.newestTs > this.newestCommittedTs) {
        this.newestCommittedTs = p.newestTs;
        this.ctx.metrics.newestCommittedRecord.set({ table: this.name }, p.newestTs / 1000);
      }
      this.ctx.metrics.tableSnapshots.set({ table: this.name }, res.metadata.snapshots.length);
      const history = this.warnedHistory ? undefined : historyWarning(res.metadata.snapshots.length);
      if (history) {
        this.warnedHistory = true;
        this.ctx.log.warn({ table: this.name, snapshots: res.metadata.snapshots.length }, history);
      }
      this.ctx.log.debug({ table: this.name, rows: p.rows, files: p.files.length, sealMs: p.sealMs, ms: now - started, snapshot: String(res.snapshotId), recovered: res.recovered }, 'committed');
      return true;
    } catch (err) {
      if (isFloeError(err, 'FENCED')) {
        this.ctx.metrics.fenced.inc({ table: this.name });
        this.ctx.log.warn({ table: this.name, err: err.message }, 'batch fenced: re-seeking from the tables');
        this.fenced = true;
        this.loaded = await this.ctx.ops.load(this.ident).catch(() => this.loaded);
        return false;
      }
      if (lastFailed === undefined || (err !== lastFailed && (err as Error).cause !== lastFailed)) this.ctx.metrics.commitErrors.inc({ table: this.name, code: isFloeError(err) ? err.code : 'INTERNAL' });
      // Reload before the next attempt so that it builds on the table as it is now.
      this.loaded = await this.ctx.ops.load(this.ident, 1).catch(() => this.loaded);
      throw err;
    } finally {
      this.commitTrouble = undefined;
    }
  }

}
