/**
 * Property test of DESIGN §2 on Floe's real offset-map and fencing code (src/commit/), after
 * ../shared/model/exactly_once.py: random schedules of consumers that fetch, commit, crash, lose
 * commit responses and keep running as zombies after rebalances, against tables with optimistic
 * concurrency. After every schedule each table holds each routed record exactly once.
 * Mutants (a rule switched off) must make it fail, which shows the test can catch a regression.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COMMIT_ID_KEY,
  ConsumedPositions,
  TableCursor,
  checkContiguity,
  findCommit,
  offsetsAfter,
  offsetsKey,
  planResume,
  serializeOffsets,
  storedOffsets,
  tpKey,
  type OffsetMap,
  type Range,
  type SnapshotLike,
} from '../../../src/commit/index.js';
import { prng } from '../../helpers/gen-rows.js';

const TOPIC = 'events';
const PARTS = 3;
const TABLES = ['a', 'b'];
const GROUP = 'g';

interface Mutations {
  noSkip?: boolean;
  noFence?: boolean;
  noMerge?: boolean;
}


class CatalogTable {
  snapshots: SnapshotLike[] = []; // newest first
  rows: string[] = [];
  get snap(): number {
    return this.snapshots.length;
  }
  commit(base: number, offsets: OffsetMap, rows: string[], commitId: string): boolean {
    if (base !== this.snap) return false; // 409: assert-ref-snapshot-id
    this.snapshots.unshift({
      snapshotId: this.snap + 1,
      summary: { [offsetsKey(GROUP)]: serializeOffsets(offsets), [COMMIT_ID_KEY]: commitId },
    });
    this.rows.push(...rows);
    return true;
  }
}

type LogRecord = { offset: number; tables: string[] };

function makeLog(r: () => number, n: number): LogRecord[][] {
  const log: LogRecord[][] = [];
  for (let p = 0; p < PARTS; p++) {
    const recs: LogRecord[] = [];
    let o = 0;
    while (recs.length < n) {
      o += r() > 0.1 ? 1 : 3; // holes: transaction markers, compaction
      const x = r();
      recs.push({ offset: o, tables: x < 1 / 3 ? ['a'] : x < 2 / 3 ? ['b'] : ['a', 'b'] });
    }
    log.push(recs);
  }
  return log;
}

class Consumer {
  parts: number[] = [];
  positions = new ConsumedPositions();
  cursors = new Map(TABLES.map((t) => [t, new TableCursor(t)]));
  view = new Map<string, { snap: number; stored: OffsetMap }>();
  rows = new Map<string, string[]>();
  private seq = 0;

  constructor(
    readonly name: string,
    readonly log: LogRecord[][],
    readonly tables: Map<string, CatalogTable>,
    readonly r: () => number,
    readonly mut: Mutations,
  ) {}

  load(t: string): void {
    const tab = this.tables.get(t) as CatalogTable;
    this.view.set(t, { snap: tab.snap, stored: storedOffsets(tab.snapshots, GROUP) });
  }

  assign(parts: number[]): void {
    this.parts = [...parts];
    for (const t of TABLES) this.load(t);
    const plan = planResume({
      partitions: parts.map((p) => ({ topic: TOPIC, partition: p })),
      tables: new Map(TABLES.map((t) => [t, this.view.get(t)?.stored ?? new Map()])),
      tablesOf: () => TABLES,
      groupOffset: () => undefined,
      logStart: () => 0,
      logEnd: (_t, p) => (this.log[p]?.at(-1)?.offset ?? 0) + 1,
      reset: 'earliest',
    });
    this.positions.assign(plan.seek);
    for (const t of TABLES) {
      this.cursors.get(t)?.reset(plan.starts.get(t));
      this.rows.set(t, []);
    }
  }

  fetchOne(): void {
    if (this.parts.length === 0) return;
    const p = this.parts[Math.floor(this.r() * this.parts.length)] as number;
    const key = tpKey(TOPIC, p);
    const pos = this.positions.get(key) ?? 0;
    const rec = this.log[p]?.find((x) => x.offset >= pos);
    if (!rec) return;
    this.positions.consumed(key, rec.offset);
    for (const t of rec.tables) {
      if (this.mut.noSkip || this.cursors.get(t)?.accepts(key, rec.offset)) this.rows.get(t)?.push(`${p}:${rec.offset}`);
    }
  }

  commit(t: string, loseResponse = false): boolean {
    const cursor = this.cursors.get(t) as TableCursor;
    const tab = this.tables.get(t) as CatalogTable;
    const ranges: Range[] = cursor.cut(this.positions);
    if (ranges.length === 0) return true;
    const commitId = `${this.name}-${this.seq++}`;
    const rows = this.rows.get(t) ?? [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const { snap, stored } = this.view.get(t) as { snap: number; stored: OffsetMap };
      if (!this.mut.noFence && checkContiguity(stored, ranges).length > 0) {
        this.assign(this.parts); // discard everything, re-seek from the tables
        return false;
      }
      const next = this.mut.noMerge ? offsetsAfter(new Map(), ranges) : offsetsAfter(stored, ranges);
      let ok: boolean | undefined = tab.commit(snap, next, rows, commitId);
      if (ok && loseResponse) {
        ok = undefined; // committed, but the client saw a timeout
        loseResponse = false;
      }
      this.load(t);
      if (ok === undefined) {
        if (!findCommit(tab.snapshots, commitId)) continue; // rule 5
        ok = true;
      }
      if (ok) {
        cursor.committed(ranges);
        this.rows.set(t, []);
        return true;
      }
      // rule 4: 409, reloaded above; re-check on the next attempt
    }
    return false;
  }
}

function schedule(seed: number, mut: Mutations = {}, n = 30, steps = 3000): string | undefined {
  const r = prng(seed);
  const log = makeLog(r, n);
  const tables = new Map(TABLES.map((t) => [t, new CatalogTable()]));
  const cs = [0, 1, 2].map((i) => new Consumer(`c${i}`, log, tables, r, mut));
  const rebalance = () => {
    let live = cs.filter(() => r() < 0.8);
    if (live.length === 0) live = [cs[0] as Consumer];
    const owners = Array.from({ length: PARTS }, () => live[Math.floor(r() * live.length)]);
    for (const c of live) c.assign([...Array(PARTS).keys()].filter((p) => owners[p] === c));
    // consumers not in `live` keep their old assignment: zombies
  };
  rebalance();
  for (let i = 0; i < steps; i++) {
    const x = r();
    const c = cs[Math.floor(r() * cs.length)] as Consumer;
    if (x < 0.7) c.fetchOne();
    else if (x < 0.88) c.commit(TABLES[Math.floor(r() * TABLES.length)] as string, r() < 0.1);
    else if (x < 0.94) c.assign([]); // crash: loses its buffers
    else rebalance();
  }
  const final = cs[0] as Consumer;
  final.assign([...Array(PARTS).keys()]);
  for (let i = 0; i < PARTS * n * 4; i++) final.fetchOne();
  for (const t of TABLES) final.commit(t);
  for (const t of TABLES) {
    const want = log.flatMap((recs, p) => recs.filter((x) => x.tables.includes(t)).map((x) => `${p}:${x.offset}`)).sort();
    const got = [...(tables.get(t) as CatalogTable).rows].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      const dup = got.length - new Set(got).size;
      const missing = want.filter((w) => !got.includes(w)).length;
      return `seed ${seed} table ${t}: rows=${got.length} want=${want.length} duplicates=${dup} missing=${missing}`;
    }
  }
  return undefined;
}

test('every table holds each routed record exactly once, under crashes, zombies, lost responses and fan-out', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const failure = schedule(seed);
      assert.equal(failure, undefined, failure);
    }),
    { numRuns: 400 },
  );
});

for (const [name, mut] of [
  ['rule 2 off (no skip)', { noSkip: true }],
  ['rule 3 off (no fence)', { noFence: true }],
  ['offset map not merged', { noMerge: true }],
] as const) {
  test(`mutant ${name} is caught`, () => {
    let failures = 0;
    for (let seed = 0; seed < 100; seed++) if (schedule(seed, mut)) failures++;
    assert.ok(failures > 0, `the property test found no failure with ${name}: it would not catch that regression`);
  });
}
