/**
 * Batch ranges and the contiguity fence of DESIGN §2 rules 2 and 3, as plain bookkeeping with
 * no I/O, so the property test drives exactly this code.
 *
 * Per consumer, `ConsumedPositions` holds the fetch position of each assigned partition (one
 * past the last consumed offset, whatever table the record went to). Per table, a `TableCursor`
 * holds `start` per partition: where the table's data ends (its stored offset after a resume,
 * then the end of its last committed batch). A table's batch covers [start, position) for
 * every partition whose position moved past start — also offsets whose records went elsewhere
 * or were filtered, so offset holes never break contiguity.
 */
import { getOffset, mergeOffsets, type OffsetMap } from './offsets.js';

export type TopicPartitionKey = string;

export function tpKey(topic: string, partition: number): TopicPartitionKey {
  return `${topic}\u0000${partition}`;
}

export function splitTpKey(key: TopicPartitionKey): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

export interface Range {
  readonly topic: string;
  readonly partition: number;
  readonly start: number;
  readonly end: number;
}

export type ResetPolicy = 'earliest' | 'latest';

export interface ResumeInput {
  /** The assigned partitions. */
  readonly partitions: ReadonlyArray<{ topic: string; partition: number }>;
  /** The stored offset map of every table the partitions route to. */
  readonly tables: ReadonlyMap<string, OffsetMap>;
  /** Which tables each topic routes to (fan-out, dead-letter tables included). */
  readonly tablesOf: (topic: string) => readonly string[];
  /** The group's committed offset, the fallback for a table that does not know the partition. */
  readonly groupOffset: (topic: string, partition: number) => number | undefined;
  /** Log start and end, for the reset policy and for offsets below the log start. */
  readonly logStart: (topic: string, partition: number) => number;
  readonly logEnd: (topic: string, partition: number) => number;
  readonly reset: ResetPolicy;
}

export interface ResumePlan {
  /** Where to seek each partition: the smallest start over its tables. */
  readonly seek: Map<TopicPartitionKey, number>;
  /** Per table, per partition: the table's start position. */
  readonly starts: Map<string, Map<TopicPartitionKey, number>>;
  /** Stored offsets that retention already deleted: the records in between are gone. */
  readonly truncated: Array<{ table: string; topic: string; partition: number; stored: number; logStart: number }>;
}

/** Rule 1: resume from the tables. Pure: the caller loads the tables and the log offsets. */
export function planResume(input: ResumeInput): ResumePlan {
  const seek = new Map<TopicPartitionKey, number>();
  const starts = new Map<string, Map<TopicPartitionKey, number>>();
  const truncated: ResumePlan['truncated'] = [];
  for (const { topic, partition } of input.partitions) {
    const key = tpKey(topic, partition);
    const logStart = input.logStart(topic, partition);
    const fallback = (): number => {
      const g = input.groupOffset(topic, partition);
      if (g !== undefined && g >= 0) return Math.max(g, logStart);
      return input.reset === 'earliest' ? logStart : input.logEnd(topic, partition);
    };
    let min = Infinity;
    for (const table of input.tablesOf(topic)) {
      const stored = getOffset(input.tables.get(table) ?? new Map(), topic, partition);
      let start = stored ?? fallback();
      if (stored !== undefined && stored < logStart) {
        truncated.push({ table, topic, partition, stored, logStart });
        start = logStart;
      }
      let m = starts.get(table);
      if (!m) starts.set(table, (m = new Map()));
      m.set(key, start);
      if (start < min) min = start;
    }
    seek.set(key, min === Infinity ? fallback() : min);
  }
  return { seek, starts, truncated };
}

/** Fetch positions of the assigned partitions: one past the last consumed offset. */
export class ConsumedPositions {
  private readonly pos = new Map<TopicPartitionKey, number>();

  assign(seek: ReadonlyMap<TopicPartitionKey, number>): void {
    this.pos.clear();
    for (const [k, o] of seek) this.pos.set(k, o);
  }

  revoke(keys: Iterable<TopicPartitionKey>): void {
    for (const k of keys) this.pos.delete(k);
  }

  /** Records a consumed offset; returns false for an offset behind the position (a re-delivery). */
  consumed(key: TopicPartitionKey, offset: number): boolean {
    const p = this.pos.get(key);
    if (p === undefined || offset < p) return false;
    this.pos.set(key, offset + 1);
    return true;
  }

  get(key: TopicPartitionKey): number | undefined {
    return this.pos.get(key);
  }

  entries(): IterableIterator<[TopicPartitionKey, number]> {
    return this.pos.entries();
  }
}

/** One table's progress: where its committed data ends, per partition. */
export class TableCursor {
  private readonly start = new Map<TopicPartitionKey, number>();

  constructor(readonly table: string) {}

  reset(starts: ReadonlyMap<TopicPartitionKey, number> | undefined): void {
    this.start.clear();
    if (starts) for (const [k, o] of starts) this.start.set(k, o);
  }

  revoke(keys: Iterable<TopicPartitionKey>): void {
    for (const k of keys) this.start.delete(k);
  }

  /** Where the table's data ends for a partition (its committed position). */
  position(key: TopicPartitionKey): number | undefined {
    return this.start.get(key);
  }

  /** Rule 2: a record below the table's start is already in the table (or not ours). */
  accepts(key: TopicPartitionKey, offset: number): boolean {
    const s = this.start.get(key);
    return s !== undefined && offset >= s;
  }

  /**
   * The ranges a batch cut now covers: [start, position) for each partition that moved.
   * Call synchronously with taking the batch's rows, so rows and ranges match.
   */
  cut(positions: ConsumedPositions): Range[] {
    const out: Range[] = [];
    for (const [k, s] of this.start) {
      const end = positions.get(k);
      if (end !== undefined && end > s) {
        const { topic, partition } = splitTpKey(k);
        out.push({ topic, partition, start: s, end });
      }
    }
    return out;
  }

  /** After the batch with these ranges committed: the table now ends where they end. */
  committed(ranges: readonly Range[]): void {
    for (const r of ranges) {
      const k = tpKey(r.topic, r.partition);
      if (this.start.get(k) === r.start) this.start.set(k, r.end);
    }
  }
}

export interface FenceViolation {
  readonly topic: string;
  readonly partition: number;
  readonly expected: number;
  readonly stored: number;
}

/**
 * Rule 3: commit only if, for every partition of the batch, the table's stored offset is
 * absent or equals the batch's start. Anything else means another process committed that
 * range: the batch must be discarded and the partitions re-seeked from the tables.
 */
export function checkContiguity(stored: OffsetMap, ranges: readonly Range[]): FenceViolation[] {
  const bad: FenceViolation[] = [];
  for (const r of ranges) {
    const s = getOffset(stored, r.topic, r.partition);
    if (s !== undefined && s !== r.start) bad.push({ topic: r.topic, partition: r.partition, expected: r.start, stored: s });
  }
  return bad;
}

/** The offset map a batch's commit writes: the stored map with every range's end merged in. */
export function offsetsAfter(stored: OffsetMap, ranges: readonly Range[]): OffsetMap {
  const updates = new Map<string, Map<number, number>>();
  for (const r of ranges) {
    let m = updates.get(r.topic);
    if (!m) updates.set(r.topic, (m = new Map()));
    m.set(r.partition, r.end);
  }
  return mergeOffsets(stored, updates);
}
