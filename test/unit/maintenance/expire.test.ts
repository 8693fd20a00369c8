import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planExpiry } from '../../../src/maintenance/expire.js';
import { metadataFromJson, type TableMetadata } from '../../../src/spec/metadata.js';
import { applyUpdates, type TableUpdate } from '../../../src/spec/updates.js';
import { tableMetadataJson } from '../../helpers/metadata.js';

const MIN = 60_000;
const NOW = 100 * MIN;

/** A table whose main has snapshots 1..n, snapshot i committed at minute i with `summaries[i]`. */
function table(n: number, summaries: Record<number, Record<string, string>> = {}, properties: Record<string, string> = {}): TableMetadata {
  let m = metadataFromJson({ ...tableMetadataJson('s3://wh/db/t', properties), 'current-snapshot-id': -1, snapshots: [] });
  for (let i = 1; i <= n; i++) m = applyUpdates(m, commit(BigInt(i), i > 1 ? BigInt(i - 1) : undefined, i, summaries[i] ?? {}));
  return m;
}

function commit(id: bigint, parent: bigint | undefined, minute: number, summary: Record<string, string>, ref = 'main'): TableUpdate[] {
  return [
    { action: 'add-snapshot', snapshot: { snapshotId: id, ...(parent ? { parentSnapshotId: parent } : {}), sequenceNumber: Number(id), timestampMs: minute * MIN, manifestList: `s3://wh/db/t/metadata/snap-${id}.avro`, summary: { operation: 'append', ...summary } } },
    { action: 'set-snapshot-ref', refName: ref, snapshotId: id, type: 'branch' },
  ];
}

const ids = (xs: bigint[]) => xs.map(Number);

test('main keeps its newest retainLast snapshots and those younger than olderThan; older ones go, oldest first', () => {
  const m = table(90);
  // Not older than 30 minutes: minutes 70..90 (Iceberg's rule: older means a timestamp before
  // the cutoff); retainLast 5 adds nothing.
  assert.deepEqual(ids(planExpiry(m, { olderThanMs: 30 * MIN, retainLast: 5, now: NOW }).expire), Array.from({ length: 69 }, (_, i) => i + 1));
  // retainLast wins when it reaches further back than the age does.
  assert.deepEqual(ids(planExpiry(m, { olderThanMs: 0, retainLast: 40, now: NOW }).expire), Array.from({ length: 50 }, (_, i) => i + 1));
  // The head stays whatever the settings.
  assert.deepEqual(ids(planExpiry(m, { olderThanMs: 0, retainLast: 0, now: NOW }).expire).at(-1), 89);
  assert.equal(planExpiry(m, { olderThanMs: 200 * MIN, retainLast: 1, now: NOW }).expire.length, 0);
});

test('the settings default to the table properties, then to 1 day and 100 snapshots', () => {
  assert.equal(planExpiry(table(150), { now: NOW }).expire.length, 0, 'nothing is a day old');
  const old = { now: NOW + 2 * 86_400_000 };
  assert.deepEqual(ids(planExpiry(table(150), old).expire), Array.from({ length: 50 }, (_, i) => i + 1));
  const props = { 'history.expire.max-snapshot-age-ms': String(10 * MIN), 'history.expire.min-snapshots-to-keep': '3' };
  assert.equal(planExpiry(table(90, {}, props), { now: NOW }).expire.length, 87); // the newest 3 stay
  // Explicit options beat the properties.
  assert.equal(planExpiry(table(90, {}, props), { now: NOW, retainLast: 50 }).expire.length, 40);
});

test("an offset map whose newest carrier would go is carried forward; one kept in the chain is not; the newest value is the one carried", () => {
  const summaries = {
    2: { 'floe.offsets.g1': '{"t":{"0":10}}' },
    5: { 'floe.offsets.g1': '{"t":{"0":20}}', 'floe.offsets.g2': '{"t":{"0":7}}' },
    95: { 'floe.offsets.g2': '{"t":{"0":9}}' },
  };
  const plan = planExpiry(table(99, summaries), { olderThanMs: 10 * MIN, retainLast: 1, now: NOW });
  assert.equal(plan.expire.length, 89);
  assert.deepEqual(plan.carry, { 'floe.offsets.g1': '{"t":{"0":20}}' });
  assert.deepEqual(planExpiry(table(99, summaries), { olderThanMs: 99 * MIN, retainLast: 1, now: NOW }).carry, {});
});

test('other refs keep their heads and their own branch history; unreferenced snapshots go only when old', () => {
  let m = table(50);
  // A branch off snapshot 10 with two commits (minutes 60, 95), a tag on snapshot 20.
  m = applyUpdates(m, commit(1001n, 10n, 60, {}, 'audit'));
  m = applyUpdates(m, commit(1002n, 1001n, 95, {}, 'audit'));
  m = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'v1', snapshotId: 20n, type: 'tag' }]);
  const plan = planExpiry(m, { olderThanMs: 10 * MIN, retainLast: 1, now: NOW });
  const gone = new Set(ids(plan.expire));
  assert.ok(!gone.has(50), 'main head');
  assert.ok(!gone.has(20), 'tag head');
  assert.ok(!gone.has(1002) && gone.has(1001), 'the branch keeps its head (1 newest), its older commit goes');
  assert.ok(gone.has(10) && gone.has(49));
  // A ref's own retention wins: the branch keeping 3 snapshots keeps 1001 and snapshot 10 too.
  const m2 = applyUpdates(m, [{ action: 'set-snapshot-ref', refName: 'audit', snapshotId: 1002n, type: 'branch', minSnapshotsToKeep: 3 }]);
  const gone2 = new Set(ids(planExpiry(m2, { olderThanMs: 10 * MIN, retainLast: 1, now: NOW }).expire));
  assert.ok(!gone2.has(1001) && !gone2.has(10) && gone2.has(9));
});

test('a tag or branch older than its max-ref-age-ms (or the table default) is removed with what only it kept; main never is', () => {
  let m = table(50, {}, { 'history.expire.max-ref-age-ms': String(60 * MIN) });
  m = applyUpdates(m, [
    { action: 'set-snapshot-ref', refName: 'old', snapshotId: 20n, type: 'tag' }, // 80 min old: past the table's 60
    { action: 'set-snapshot-ref', refName: 'young', snapshotId: 45n, type: 'tag' }, // 55 min old
    { action: 'set-snapshot-ref', refName: 'own', snapshotId: 30n, type: 'tag', maxRefAgeMs: 100 * MIN }, // its own limit wins
    { action: 'set-snapshot-ref', refName: 'short', snapshotId: 48n, type: 'tag', maxRefAgeMs: MIN }, // 52 min old, 1 allowed
  ]);
  const plan = planExpiry(m, { olderThanMs: 10 * MIN, retainLast: 1, now: NOW });
  assert.deepEqual(plan.removeRefs.sort(), ['old', 'short']);
  const gone = new Set(ids(plan.expire));
  assert.ok(gone.has(20) && gone.has(48), 'the removed tags no longer keep their snapshots');
  assert.ok(!gone.has(45) && !gone.has(30) && !gone.has(50), 'kept tags and main keep their heads');
  // main past any age stays; without a limit anywhere no ref goes.
  const old = planExpiry(table(5, {}, { 'history.expire.max-ref-age-ms': '1' }), { olderThanMs: 0, retainLast: 1, now: NOW });
  assert.deepEqual(old.removeRefs, []);
  const unlimited = applyUpdates(table(50), [{ action: 'set-snapshot-ref', refName: 'v0', snapshotId: 1n, type: 'tag' }]);
  assert.deepEqual(planExpiry(unlimited, { olderThanMs: 0, retainLast: 1, now: NOW }).removeRefs, []);
});

test('maxSnapshots bounds what the age keeps on each branch; retainLast still wins; 10,000 by default', () => {
  const m = table(90); // every snapshot younger than the 200 minutes below
  assert.deepEqual(ids(planExpiry(m, { olderThanMs: 200 * MIN, retainLast: 5, maxSnapshots: 30, now: NOW }).expire), Array.from({ length: 60 }, (_, i) => i + 1));
  assert.equal(planExpiry(m, { olderThanMs: 200 * MIN, retainLast: 40, maxSnapshots: 30, now: NOW }).expire.length, 50, 'retainLast 40 beats maxSnapshots 30');
  assert.equal(planExpiry(m, { olderThanMs: 10 * MIN, retainLast: 5, maxSnapshots: 30, now: NOW }).expire.length, 85, 'the age is the tighter bound here (1..85 go; 86..90 are the newest 5)');
  // A second of commits for 3 hours, all younger than the default day: the newest 10,000 stay.
  const json = tableMetadataJson('s3://wh/db/t');
  const n = 10_800;
  const snapshots = Array.from({ length: n }, (_, i) => ({
    'snapshot-id': i + 1,
    ...(i ? { 'parent-snapshot-id': i } : {}),
    'sequence-number': i + 1,
    'timestamp-ms': NOW - (n - i) * 1000,
    'manifest-list': `s3://wh/db/t/metadata/snap-${i + 1}.avro`,
    summary: { operation: 'append' },
  }));
  const busy = metadataFromJson({ ...json, 'current-snapshot-id': n, snapshots, refs: { main: { 'snapshot-id': n, type: 'branch' } } });
  const plan = planExpiry(busy, { now: NOW });
  assert.equal(plan.expire.length, 800);
  assert.deepEqual([Number(plan.expire[0]), Number(plan.expire.at(-1))], [1, 800], 'the oldest go');
});

test("a branch's own shorter max-snapshot-age removes its older ancestors even when the table's age would keep them (as Java)", () => {
  const m = applyUpdates(table(90), [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 90n, type: 'branch', maxSnapshotAgeMs: 5 * MIN }]);
  // NOW is minute 100 and snapshot i was committed at minute i: main's own 5 minutes keep none
  // by age, retainLast keeps its head. The table-wide 60 minutes would keep minutes 40..89 of a
  // snapshot on no branch, but these are main's ancestors: all 89 go (before: only 1..39 went).
  const plan = planExpiry(m, { olderThanMs: 60 * MIN, retainLast: 1, now: NOW });
  assert.deepEqual(ids(plan.expire), Array.from({ length: 89 }, (_, i) => i + 1));
  // A snapshot on no branch still goes by the table's age only.
  const orphaned = applyUpdates(m, [{ action: 'add-snapshot', snapshot: { snapshotId: 500n, parentSnapshotId: 10n, sequenceNumber: 91, timestampMs: 70 * MIN, manifestList: 's3://wh/db/t/metadata/snap-500.avro', summary: { operation: 'append' } } }]);
  assert.ok(!planExpiry(orphaned, { olderThanMs: 60 * MIN, retainLast: 1, now: NOW }).expire.includes(500n), '30 minutes old, on no branch: kept');
});
