/**
 * In-memory pre-aggregation of one batch, keyed by (window, group): a hot key costs one row per
 * commit, not one per event. Sums of longs and decimals are exact (bigint); a partial row whose
 * sum would leave the column's range (±(2^63-1) for long, 38 digits for decimal(38, s)) is closed
 * and a new partial row for the same key is started, so nothing is lost and no row overflows.
 * Pure: no I/O.
 */
import { FloeError } from '../errors.js';
import type { Value } from '../spec/types.js';
import type { MeasurePlan, RollupPlan } from './plan.js';

type Row = { [name: string]: Value };
type Num = bigint | number | null;

/** A group's key within a window: the value of a single group column, else a string of all. */
type GroupKey = string | number | bigint | boolean | null;

interface Acc {
  /** µs since the epoch: a number while it is a safe integer (the usual case), else a bigint. */
  readonly windowStart: number | bigint;
  readonly groups: readonly Value[];
  count: number;
  /**
   * Per measure. Exact sums (int, long, decimal unscaled) are numbers while they are safe
   * integers and bigints past that: the hot path adds doubles, not bigints (D13).
   */
  readonly values: Num[];
  /** Some exact sum of this row is a bigint: adding to it needs the overflow check. */
  big: boolean;
}

const LONG_MAX = (1n << 63n) - 1n;
const DECIMAL_MAX = 10n ** 38n - 1n;
/** Estimated bytes of one accumulator beyond its group values, for the memory limit. */
const ACC_BYTES = 160;

/** The value at a dotted path of a row; undefined when a struct on the way is absent. */
export function read(row: Row, path: readonly string[]): Value | undefined {
  let v: Value | undefined = row;
  for (const p of path) {
    if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return undefined;
    v = (v as { [k: string]: Value })[p];
  }
  return v;
}

/** A value as part of a map key: distinct for distinct values and types (bytes by content). */
export function keyPart(v: Value | undefined): string {
  if (v === null || v === undefined) return '\u0000';
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('base64')}`;
  return `${typeof v === 'bigint' ? 'n' : typeof v === 'string' ? 's' : 'v'}${String(v)}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export class LateEventError extends FloeError {
  constructor(message: string) {
    super('CONVERT_FAILED', message, { details: { reason: 'late' } });
  }
}

export class RollupAggregator {
  /** By window start, then by the group values' key: no window number is turned into a string per record. */
  private readonly accs = new Map<number | bigint, Map<GroupKey, Acc>>();
  private count = 0;
  /** One record's measure and group values, reused (copied only for a new accumulator). */
  private readonly scratch: Value[] = [];
  private readonly groupScratch: Value[] = [];
  /** Partial rows closed early because a sum would have overflowed the column. */
  private readonly closed: Acc[] = [];
  private bytes = 0;

  constructor(readonly plan: RollupPlan) {}

  /**
   * The window start (µs) of a converted source row, or an error naming the field. `kafkaTs` is
   * the record's Kafka timestamp in ms. A number while the arithmetic stays in safe integers
   * (any time between the years -285,000 and 287,000), else a bigint.
   */
  windowOf(row: Row, kafkaTs: number | undefined, p: RollupPlan = this.plan): number | bigint {
    let t: number | bigint;
    if (p.timePath) {
      const v = read(row, p.timePath);
      if (v === null || v === undefined) throw new FloeError('CONVERT_FAILED', `rollup: the event-time field '${p.timePath.join('.')}' is null or missing`);
      t = p.timeUnit === 'days' ? (v as number) * 86_400_000_000 : (v as bigint);
      if (typeof t === 'number' && !Number.isSafeInteger(t)) t = BigInt(v as number) * 86_400_000_000n;
    } else {
      if (kafkaTs === undefined) throw new FloeError('CONVERT_FAILED', 'rollup: the record has no Kafka timestamp to window by');
      t = kafkaTs * 1000;
    }
    // Number(t) of a bigint is a safe integer exactly when t is one (rounding is monotone and
    // 2^53 is representable), so this one test picks the exact fast path.
    const tn = Number(t);
    const w = p.windowNum;
    if (Number.isSafeInteger(tn)) {
      if (p.latenessUs !== undefined && kafkaTs !== undefined) {
        const age = kafkaTs * 1000 - tn;
        if (age > p.latenessNum) throw this.late(BigInt(age), p);
      }
      return Math.floor(tn / w) * w;
    }
    const tb = BigInt(t);
    if (p.latenessUs !== undefined && kafkaTs !== undefined) {
      const age = BigInt(kafkaTs) * 1000n - tb;
      if (age > p.latenessUs) throw this.late(age, p);
    }
    return floorDiv(tb, p.windowUs) * p.windowUs;
  }

  private late(ageUs: bigint, p: RollupPlan): LateEventError {
    return new LateEventError(`rollup: the event is ${ageUs / 1_000_000n} s older than its Kafka timestamp, past the lateness bound of ${(p.latenessUs ?? 0n) / 1_000_000n} s`);
  }

  /**
   * Adds one record's converted source row. Throws CONVERT_FAILED (nothing added) for a bad row.
   * `p` reads this record when its writer schema differs from the one the table was planned
   * from (its rows have the same columns; see Pipeline).
   */
  add(row: Row, kafkaTs: number | undefined, p: RollupPlan = this.plan): void {
    const ws = this.windowOf(row, kafkaTs, p);
    const gs = p.groups;
    const groups = this.groupScratch;
    // One group column: its value is the key as it is (Map keys compare primitives by value,
    // bigints included), no string built per record. Several, or bytes: one string of all.
    let key: GroupKey = '';
    for (let i = 0; i < gs.length; i++) {
      const g = read(row, (gs[i] as RollupPlan['groups'][number]).path) ?? null;
      groups[i] = g;
      key = i === 0 ? (gs.length === 1 && (g === null || typeof g !== 'object') ? g : keyPart(g)) : `${String(key)}\u0001${keyPart(g)}`;
    }
    const ms = p.measures;
    const vals = this.scratch;
    let bigVal = false;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i] as MeasurePlan;
      let v = m.path ? (read(row, m.path) ?? null) : null;
      // An exact sum's addend as a number when it is a safe integer (the sum path adds doubles).
      if (typeof v === 'bigint' && m.fn === 'sum') {
        const n = Number(v);
        if (Number.isSafeInteger(n)) v = n;
        else bigVal = true;
      }
      vals[i] = v;
    }
    let window = this.accs.get(ws);
    if (!window) this.accs.set(ws, (window = new Map()));
    let acc = window.get(key);
    if (!acc) acc = this.open(window, key, ws, groups.slice(0, gs.length), ms.length);
    else if ((acc.big || bigVal) && this.wouldOverflow(acc, vals, ms)) {
      this.closed.push(acc);
      acc = this.open(window, key, ws, groups.slice(0, gs.length), ms.length);
      this.count--; // the closed one is still counted
    }
    acc.count++;
    for (let i = 0; i < ms.length; i++) {
      const v = vals[i] as Value;
      if (v === null) continue;
      acc.values[i] = combine(acc, ms[i] as MeasurePlan, acc.values[i] as Num, v as bigint | number);
    }
  }

  private open(window: Map<GroupKey, Acc>, key: GroupKey, ws: number | bigint, groups: readonly Value[], measures: number): Acc {
    const acc: Acc = { windowStart: ws, groups, count: 0, values: new Array<Num>(measures).fill(null), big: false };
    window.set(key, acc);
    this.count++;
    this.bytes += ACC_BYTES + (typeof key === 'string' ? key.length * 2 : 16);
    return acc;
  }

  private wouldOverflow(acc: Acc, vals: readonly Value[], ms: readonly MeasurePlan[]): boolean {
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i] as MeasurePlan;
      const v = vals[i];
      const cur = acc.values[i];
      if (m.fn !== 'sum' || m.kind === 'number' || v === null || v === undefined || cur === null || cur === undefined) continue;
      const next = BigInt(cur) + BigInt(v as bigint | number);
      const max = m.kind === 'decimal' ? DECIMAL_MAX : LONG_MAX;
      if (next > max || next < -max - (m.kind === 'decimal' ? 0n : 1n)) return true;
    }
    return false;
  }

  /** (window, group) keys held. */
  get size(): number {
    return this.count + this.closed.length;
  }

  /** Estimated bytes held, for the memory limit. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  /** The partial rows of everything added since the last drain, in the rollup table's shape; empties the aggregator. */
  drain(): Row[] {
    const p = this.plan;
    const out: Row[] = [];
    for (const a of [...this.closed, ...[...this.accs.values()].flatMap((w) => [...w.values()])]) {
      const ws = BigInt(a.windowStart);
      const row: Row = { window_start: ws, window_end: ws + p.windowUs };
      p.groups.forEach((g, i) => (row[g.name] = a.groups[i] as Value));
      p.measures.forEach((m, i) => (row[m.name] = m.fn === 'count' ? BigInt(a.count) : toColumn(m, a.values[i] as Num)));
      out.push(row);
    }
    this.clear();
    return out;
  }

  clear(): void {
    this.accs.clear();
    this.count = 0;
    this.closed.length = 0;
    this.bytes = 0;
  }
}

function combine(acc: Acc, m: MeasurePlan, cur: Num, v: bigint | number): bigint | number {
  if (m.fn === 'sum') {
    if (m.kind === 'number') return (cur === null ? 0 : (cur as number)) + (v as number);
    if (typeof cur !== 'bigint') {
      // Exact while both are safe integers and so is their sum (a double sum of two safe
      // integers is exact when the true sum is safe, and unsafe when it is not). `v` is a
      // number here whenever it is a safe integer (see add).
      if (typeof v === 'number') {
        const n = (cur ?? 0) + v;
        if (Number.isSafeInteger(n)) return n;
      }
      acc.big = true;
      return BigInt(cur ?? 0) + BigInt(v);
    }
    return cur + BigInt(v);
  }
  if (cur === null) return v;
  if (m.fn === 'min') return v < cur ? v : cur;
  return v > cur ? v : cur;
}

/** An accumulated value as the measure column holds it (sums of ints are longs). */
function toColumn(m: MeasurePlan, v: Num): Value {
  if (v === null) return null;
  if (m.fn === 'sum' && m.kind !== 'number') return typeof v === 'bigint' ? v : BigInt(v);
  return v;
}
