/**
 * Maintenance inside the service. Snapshot expiry (a mapping's `expire`, on by default) and
 * compaction (a mapping's `compact`): every `every`, with ±10% jitter so that the instances of a
 * group do not all start at once, `expireSnapshots` / `compactTable` runs for each of the
 * mapping's tables (a rollup's partial rows combined, an append table's small files bin-packed). Several instances may compact the same table: a compaction that loses
 * the race fails its commit (its files are gone) and does nothing; the sink's own commits retry
 * on top of a compaction like on any other commit. Never fatal: failures are logged and counted.
 */
import { describeError, isFloeError } from '../errors.js';
import { parseIdent, type TableOps, type TableWriterOptions } from '../iceberg/index.js';
import { mappingTables, type MappingConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { compactTable, rollupColumns } from './compact.js';
import { expireSnapshots, type ExpireOptions } from './expire.js';

export class Maintainer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ops: TableOps,
    private readonly mappings: readonly MappingConfig[],
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** The sink's writer settings, for the files compaction writes. */
    private readonly writer: TableWriterOptions = {},
    /** A mapping's dead-letter table, if it has one: its snapshots expire with the mapping's. */
    private readonly deadLetterTableOf: (m: MappingConfig) => string | undefined = () => undefined,
  ) {}

  start(): void {
    const expiring = new Set<string>(); // a table shared by mappings (a dead-letter table) is expired once
    for (const m of this.mappings) {
      const c = m.compact;
      const combine = m.mode === 'rollup' && m.rollup ? rollupColumns(m.rollup) : undefined;
      const tables = mappingTables(m);
      for (const table of tables) {
        if (c) this.every(c.every, () => this.once(table, { ...(combine ? { combine } : {}), minFiles: c.minFiles, maxRows: c.maxRows, writer: this.writer }));
      }
      const e = m.expire;
      if (!e) continue;
      const dlq = this.deadLetterTableOf(m);
      for (const table of dlq ? [...tables, dlq] : tables) {
        if (expiring.has(table)) continue;
        expiring.add(table);
        this.every(e.every, () => this.expire(table, { ...(e.olderThan !== undefined ? { olderThanMs: e.olderThan } : {}), ...(e.retainLast !== undefined ? { retainLast: e.retainLast } : {}) }));
      }
    }
  }

  /** Runs `job` every `ms` (±10% jitter, so that the instances of a group do not all start at once). */
  private every(ms: number, job: () => Promise<void>): void {
    const tick = () => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        // One maintenance job at a time in a process; a tick that finds one running waits for the next.
        if (!this.running) this.running = job().finally(() => (this.running = undefined));
        tick();
      }, ms * (0.9 + Math.random() * 0.2));
      this.timers.add(t);
    };
    tick();
  }

  private async expire(table: string, opts: ExpireOptions): Promise<void> {
    try {
      const r = await expireSnapshots(this.ops, parseIdent(table), opts);
      this.metrics.expiredSnapshots.inc({ table }, r.snapshotsRemoved);
      if (r.snapshotsRemoved) this.log.info({ table, removed: r.snapshotsRemoved, kept: r.snapshotsKept, filesDeleted: r.filesDeleted, carried: r.carried }, 'expired snapshots');
      if (r.undeleted.length) this.log.warn({ table, files: r.undeleted }, 'expired snapshots: some of their files could not be deleted; remove them by hand');
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) return;
      this.metrics.maintenanceErrors.inc({ table, job: 'expire' });
      this.log.warn({ table, error: describeError(err) }, 'snapshot expiry failed (the table is not affected; tried again at the next tick)');
    }
  }

  private async once(table: string, opts: Parameters<typeof compactTable>[2]): Promise<void> {
    try {
      const r = await compactTable(this.ops, parseIdent(table), opts);
      this.metrics.compactions.inc({ table, outcome: r.partitions ? 'rewritten' : 'nothing' });
      if (r.partitions) {
        this.metrics.compactedRows.inc({ table, direction: 'in' }, r.rowsIn);
        this.metrics.compactedRows.inc({ table, direction: 'out' }, r.rowsOut);
        this.log.info({ table, partitions: r.partitions, filesIn: r.filesIn, filesOut: r.filesOut, rowsIn: r.rowsIn, rowsOut: r.rowsOut }, 'compacted');
      }
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) return this.metrics.compactions.inc({ table, outcome: 'nothing' });
      const conflict = isFloeError(err, 'COMMIT_CONFLICT') && !err.retryable;
      this.metrics.compactions.inc({ table, outcome: conflict ? 'conflict' : 'error' });
      if (conflict) this.log.info({ table, error: describeError(err) }, 'compaction lost to another one: nothing to do');
      else this.log.warn({ table, error: describeError(err) }, 'compaction failed (the table is not affected; tried again at the next tick)');
    }
  }

  /** Stops the timers and waits for a compaction under way (it commits whole or not at all). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.running;
  }
}
