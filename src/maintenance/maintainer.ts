/**
 * Maintenance inside the service. Snapshot expiry (a mapping's `expire`, on by default),
 * orphan file removal (`orphans`, on by default, under the data and metadata directories only)
 * and compaction (`compact`): every `every` (±10% jitter), `expireSnapshots` /
 * `removeOrphanFiles` / `compactTable` runs for each of the mapping's tables (a rollup's partial
 * rows combined, an append table's small files bin-packed).
 *
 * Only the instance that leads the consumer group runs the jobs (`leads`): N instances would
 * otherwise each read and rewrite the same files, all but one losing the commit and leaving
 * their files behind. When the leader changes at a rebalance, the new one runs at its next
 * tick. Leadership is as of the last join, so two instances may rarely overlap; that is safe: a
 * compaction that loses the race fails its commit (its inputs are gone) and does nothing, and
 * the sink's own commits retry on top of a compaction like on any other commit. Never fatal:
 * failures are logged and counted.
 */
import { describeError, isFloeError } from '../errors.js';
import { parseIdent, type TableOps, type TableWriterOptions } from '../iceberg/index.js';
import { mappingTables, type MappingConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { compactTable, rollupColumns } from './compact.js';
import { expireSnapshots, ManifestListCache, type ExpireOptions } from './expire.js';
import { removeOrphanFiles } from './orphans.js';

export interface MaintainerOptions {
  ops: TableOps;
  mappings: readonly MappingConfig[];
  log: Logger;
  metrics: Metrics;
  /** The sink's writer settings, for the files compaction writes. */
  writer?: TableWriterOptions;
  /** A mapping's dead-letter table, if it has one: its snapshots expire with the mapping's. */
  deadLetterTableOf?: (m: MappingConfig) => string | undefined;
  /** Whether this instance runs the jobs now (it leads the consumer group; undefined: not in the group yet); asked at every tick. */
  leads?: () => boolean | undefined;
}

/** How often the leadership gauge and log line follow the group (jobs ask at their own ticks). */
const LEADERSHIP_POLL_MS = 1_000;
/** A job's tick that finds another job running comes again after this long. */
const BUSY_RETRY_MS = 60_000;
/** Orphan removal runs this soon after start (then every `every`). */
const FIRST_ORPHAN_RUN_MS = 10 * 60_000;

export class Maintainer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private leading: boolean | undefined; // as last seen; undefined: not in the group
  /** Each table's manifest lists read by its last expiry: the next one reads only the new ones. */
  private readonly listCaches = new Map<string, ManifestListCache>();

  constructor(private readonly options: MaintainerOptions) {}

  start(): void {
    if (!this.options.mappings.some((m) => m.compact || m.expire || m.orphans)) return;
    this.followLeadership();
    const poll = setInterval(() => this.followLeadership(), LEADERSHIP_POLL_MS);
    poll.unref();
    this.timers.add(poll);
    // A table shared by mappings (a dead-letter table) is expired and cleaned once.
    const expiring = new Set<string>();
    const cleaning = new Set<string>();
    for (const m of this.options.mappings) {
      const c = m.compact;
      const combine = m.mode === 'rollup' && m.rollup ? rollupColumns(m.rollup) : undefined;
      const tables = mappingTables(m);
      for (const table of tables) {
        if (c) this.every(c.every, () => this.once(table, { ...(combine ? { combine } : {}), minFiles: c.minFiles, maxRows: c.maxRows, writer: this.options.writer ?? {} }));
      }
      const dlq = this.options.deadLetterTableOf?.(m);
      const e = m.expire;
      const o = m.orphans;
      for (const table of dlq ? [...tables, dlq] : tables) {
        if (e && !expiring.has(table)) {
          expiring.add(table);
          this.every(e.every, () => this.expire(table, { ...(e.olderThan !== undefined ? { olderThanMs: e.olderThan } : {}), ...(e.retainLast !== undefined ? { retainLast: e.retainLast } : {}), ...(e.maxSnapshots !== undefined ? { maxSnapshots: e.maxSnapshots } : {}) }));
        }
        if (o && !cleaning.has(table)) {
          cleaning.add(table);
          // Soon after start as well: a service restarted more often than `every` still cleans.
          this.every(o.every, () => this.orphans(table, o.olderThan), Math.min(o.every, FIRST_ORPHAN_RUN_MS));
        }
      }
    }
  }

  /** Whether this instance leads now; the gauge and a log line on every change. */
  private followLeadership(): boolean {
    const now = this.stopped ? undefined : (this.options.leads?.() ?? true);
    if (now !== this.leading) {
      if (now !== undefined) this.options.log.info(now ? 'this instance leads the consumer group: it runs snapshot expiry, orphan file removal and compaction' : 'another instance leads the consumer group and runs snapshot expiry, orphan file removal and compaction');
      this.leading = now;
      if (!now) this.listCaches.clear(); // another instance expires now: nothing to keep for
      this.options.metrics.maintenanceLeader.set(now ? 1 : 0);
    }
    return now === true;
  }

  /**
   * Runs `job` every `ms` (±10% jitter) while this instance leads, the first time after `first`.
   * One maintenance job at a time in a process: a tick that finds another running comes again
   * within a minute instead of a whole period later (a daily job would otherwise be skipped a day).
   */
  private every(ms: number, job: () => Promise<void>, first = ms): void {
    const tick = (delay: number) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        if (this.running) return tick(Math.min(ms, BUSY_RETRY_MS));
        if (this.followLeadership()) this.running = job().finally(() => (this.running = undefined));
        tick(ms);
      }, delay * (0.9 + Math.random() * 0.2));
      this.timers.add(t);
    };
    tick(first);
  }

  private async expire(table: string, opts: ExpireOptions): Promise<void> {
    let cache = this.listCaches.get(table);
    if (!cache) this.listCaches.set(table, (cache = new ManifestListCache()));
    try {
      const r = await expireSnapshots(this.options.ops, parseIdent(table), { ...opts, cache });
      this.options.metrics.expiredSnapshots.inc({ table }, r.snapshotsRemoved);
      if (r.snapshotsRemoved) this.options.log.info({ table, removed: r.snapshotsRemoved, kept: r.snapshotsKept, filesDeleted: r.filesDeleted, carried: r.carried }, 'expired snapshots');
      if (r.undeleted.length) this.options.log.warn({ table, files: r.undeleted }, 'expired snapshots: some of their files could not be deleted; remove them by hand');
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) return;
      this.options.metrics.maintenanceErrors.inc({ table, job: 'expire' });
      this.options.log.warn({ table, error: describeError(err) }, 'snapshot expiry failed (the table is not affected; tried again at the next tick)');
    }
  }

  private async orphans(table: string, olderThanMs: number): Promise<void> {
    try {
      const r = await removeOrphanFiles(this.options.ops, parseIdent(table), { olderThanMs, writerDirsOnly: true });
      this.options.metrics.orphanFilesDeleted.inc({ table }, r.deleted);
      if (r.deleted) this.options.log.info({ table, deleted: r.deleted, listed: r.listed, tooNew: r.tooNew }, 'removed orphan files');
      if (r.undeleted.length) this.options.log.warn({ table, files: r.undeleted }, 'orphan files that could not be deleted; tried again at the next run');
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) return;
      this.options.metrics.maintenanceErrors.inc({ table, job: 'orphans' });
      this.options.log.warn({ table, error: describeError(err) }, 'orphan file removal failed (the table is not affected; tried again at the next run)');
    }
  }

  private async once(table: string, opts: Parameters<typeof compactTable>[2]): Promise<void> {
    try {
      const r = await compactTable(this.options.ops, parseIdent(table), opts);
      this.options.metrics.compactions.inc({ table, outcome: r.partitions ? 'rewritten' : 'nothing' });
      if (r.partitions) {
        this.options.metrics.compactedRows.inc({ table, direction: 'in' }, r.rowsIn);
        this.options.metrics.compactedRows.inc({ table, direction: 'out' }, r.rowsOut);
        this.options.log.info({ table, partitions: r.partitions, filesIn: r.filesIn, filesOut: r.filesOut, rowsIn: r.rowsIn, rowsOut: r.rowsOut }, 'compacted');
      }
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) return this.options.metrics.compactions.inc({ table, outcome: 'nothing' });
      const conflict = isFloeError(err, 'COMMIT_CONFLICT') && !err.retryable;
      this.options.metrics.compactions.inc({ table, outcome: conflict ? 'conflict' : 'error' });
      if (conflict) this.options.log.info({ table, error: describeError(err) }, 'compaction lost to another one: nothing to do');
      else this.options.log.warn({ table, error: describeError(err) }, 'compaction failed (the table is not affected; tried again at the next tick)');
    }
  }

  /** Stops the timers and waits for a compaction under way (it commits whole or not at all). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.followLeadership();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.running;
  }
}
