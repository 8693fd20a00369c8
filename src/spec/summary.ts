/**
 * Snapshot summaries (spec "Snapshots", Java's SnapshotSummary, PyIceberg's
 * SnapshotSummaryCollector and update_snapshot_summaries): what a commit added and removed,
 * and the table totals carried from the parent snapshot. Engines read these.
 */
import { FloeError } from '../errors.js';
import type { DataFile } from './data-file.js';
import { partitionKey } from './partition.js';

export type Operation = 'append' | 'replace' | 'overwrite' | 'delete';

/** Counters in the order Java and PyIceberg write them. */
const COUNTERS = [
  'added-files-size',
  'removed-files-size',
  'added-data-files',
  'deleted-data-files',
  'added-equality-delete-files',
  'removed-equality-delete-files',
  'added-position-delete-files',
  'removed-position-delete-files',
  'added-delete-files',
  'removed-delete-files',
  'added-records',
  'deleted-records',
  'added-position-deletes',
  'removed-position-deletes',
  'added-equality-deletes',
  'removed-equality-deletes',
] as const;
type Counter = (typeof COUNTERS)[number];

/** Each total with the counters that move it up and down. */
export const TOTALS = [
  ['total-data-files', 'added-data-files', 'deleted-data-files'],
  ['total-delete-files', 'added-delete-files', 'removed-delete-files'],
  ['total-records', 'added-records', 'deleted-records'],
  ['total-files-size', 'added-files-size', 'removed-files-size'],
  ['total-position-deletes', 'added-position-deletes', 'removed-position-deletes'],
  ['total-equality-deletes', 'added-equality-deletes', 'removed-equality-deletes'],
] as const;

class Metrics {
  readonly n = new Map<Counter, number>();

  add(k: Counter, v: number): void {
    this.n.set(k, (this.n.get(k) ?? 0) + v);
  }

  file(f: DataFile, added: boolean): void {
    this.add(added ? 'added-files-size' : 'removed-files-size', f.fileSizeInBytes);
    if (f.content === 0) {
      this.add(added ? 'added-data-files' : 'deleted-data-files', 1);
      this.add(added ? 'added-records' : 'deleted-records', f.recordCount);
    } else {
      const pos = f.content === 1;
      this.add(added ? 'added-delete-files' : 'removed-delete-files', 1);
      this.add(pos ? (added ? 'added-position-delete-files' : 'removed-position-delete-files') : added ? 'added-equality-delete-files' : 'removed-equality-delete-files', 1);
      this.add(pos ? (added ? 'added-position-deletes' : 'removed-position-deletes') : added ? 'added-equality-deletes' : 'removed-equality-deletes', f.recordCount);
    }
  }

  /** Positive counters only, as set_when_positive. */
  entries(): Array<[Counter, string]> {
    return COUNTERS.filter((k) => (this.n.get(k) ?? 0) > 0).map((k) => [k, String(this.n.get(k))]);
  }
}

export interface SummaryOptions {
  /** The partition path of a file's tuple, for per-partition summaries (`partitions.<path>`). */
  readonly partitionPath?: (f: DataFile) => string;
  /** Per-partition summaries when at most this many partitions changed (`write.summary.partition-limit`, default 0: none). */
  readonly partitionSummaryLimit?: number;
}

/** Collects what one commit adds and removes (PyIceberg's SnapshotSummaryCollector). */
export class SummaryCollector {
  private readonly metrics = new Metrics();
  private readonly partitions = new Map<string, { path: string; metrics: Metrics }>();

  constructor(private readonly opts: SummaryOptions = {}) {}

  addFile(f: DataFile): this {
    return this.track(f, true);
  }

  removeFile(f: DataFile): this {
    return this.track(f, false);
  }

  private track(f: DataFile, added: boolean): this {
    this.metrics.file(f, added);
    const key = partitionKey(f.partition);
    let p = this.partitions.get(key);
    if (!p) {
      p = { path: this.opts.partitionPath?.(f) ?? '', metrics: new Metrics() };
      this.partitions.set(key, p);
    }
    p.metrics.file(f, added);
    return this;
  }

  build(): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(this.metrics.entries());
    const changed = this.partitions.size;
    if (changed > 0) out['changed-partition-count'] = String(changed);
    const limit = this.opts.partitionSummaryLimit ?? 0;
    if (limit > 0 && changed <= limit && this.opts.partitionPath) {
      out['partition-summaries-included'] = 'true';
      for (const { path, metrics } of this.partitions.values()) out[`partitions.${path}`] = metrics.entries().map(([k, v]) => `${k}=${v}`).join(',');
    }
    return out;
  }
}

/**
 * Adds the totals to a commit's summary from its parent's (update_snapshot_summaries). With no
 * parent the totals start at 0; a total the parent lacks stays absent rather than restarting
 * from 0, and a total that would go negative is dropped (both as Java and PyIceberg do).
 */
export function updateTotals(summary: Readonly<Record<string, string>>, parent: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out = { ...summary };
  for (const [total, added, removed] of TOTALS) {
    const prev = parent === undefined ? '0' : parent[total];
    if (prev === undefined) continue;
    const parse = (k: string, s: string) => {
      if (!/^-?\d+$/.test(s)) throw new FloeError('METADATA_INVALID', `snapshot summary: '${k}' is not a number: '${s}'`);
      return Number(s);
    };
    let n = parse(total, prev);
    if (n >= 0 && summary[added] !== undefined) n += parse(added, summary[added] as string);
    if (n >= 0 && summary[removed] !== undefined) n -= parse(removed, summary[removed] as string);
    if (n >= 0) out[total] = String(n);
    else delete out[total];
  }
  return out;
}

export interface SnapshotSummaryInput extends SummaryOptions {
  readonly operation: Operation;
  readonly added?: readonly DataFile[];
  readonly removed?: readonly DataFile[];
  /** The parent snapshot's summary (undefined for a table's first snapshot). */
  readonly parent?: Readonly<Record<string, string>>;
  /** Caller properties (e.g. `floe.offsets.<group>`, `floe.commit-id`); they cannot replace computed keys. */
  readonly properties?: Readonly<Record<string, string>>;
}

/** The full summary of a new snapshot: operation, what changed, totals, then caller properties. */
export function snapshotSummary(input: SnapshotSummaryInput): Record<string, string> {
  const c = new SummaryCollector(input);
  for (const f of input.added ?? []) c.addFile(f);
  for (const f of input.removed ?? []) c.removeFile(f);
  const computed = updateTotals({ operation: input.operation, ...c.build() }, input.parent);
  for (const [k, v] of Object.entries(input.properties ?? {})) if (!(k in computed)) computed[k] = v;
  return computed;
}
