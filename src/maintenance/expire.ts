/**
 * Snapshot expiry (DESIGN §6: "snapshot expiry that keeps it"). A sink commits every few
 * seconds, and every commit adds a snapshot to the table metadata that the catalog rewrites,
 * Floe reloads and every engine reads per query: without expiry the metadata grows by about a
 * kilobyte per commit for ever, and so does every commit's and every query's cost.
 *
 * What is kept (Iceberg's rules, as Java's ExpireSnapshots applies them):
 * - every ref's head, except a tag or branch (never main) older than its max-ref-age-ms (else
 *   the table's history.expire.max-ref-age-ms; neither: kept for ever), which is removed;
 * - along each branch, ancestors while fewer than `retainLast` are kept or younger than
 *   `olderThan` (a ref's own min-snapshots-to-keep / max-snapshot-age-ms win);
 * - snapshots on no branch that are younger than `olderThan`.
 * Everything else is removed in one `remove-snapshots` commit that asserts every ref's head, so a
 * commit of the sink (or anyone) in between makes it retry on the new state.
 *
 * The offset maps (DESIGN §2) survive: the sink reads its map from the newest snapshot of main's
 * ancestry that has it, walking parent links, so the kept part of main is always a contiguous
 * chain from the head. When the newest snapshot carrying a `floe.offsets.<group>` key would be
 * removed (a group that has not committed for longer than `olderThan`, followed by other
 * writers' snapshots), an offsets-only snapshot carrying those maps unchanged is committed first.
 *
 * Then the files only the removed snapshots reached are deleted: their manifest lists, manifests
 * no kept snapshot lists, and data files live in no kept snapshot (see deleteUnreachable: on a
 * linear history, those the removed snapshots deleted).
 */
import { isFloeError } from '../errors.js';
import { decodeManifestList, readAvroFile, type LoadedTable, type ManifestFile, type TableIdent, type TableOps } from '../iceberg/index.js';
import { ancestors, latestWithSummaryKey, partitionStatisticsFiles, snapshotById, statisticsFiles, type Snapshot, type TableMetadata } from '../spec/metadata.js';
import type { TableRequirement } from '../spec/requirements.js';
import type { TableUpdate } from '../spec/updates.js';

export interface ExpireOptions {
  /** Snapshots older than this (ms) may go; default: the table's history.expire.max-snapshot-age-ms, else 1 day. */
  olderThanMs?: number;
  /** Snapshots of each branch kept at least; default: the table's history.expire.min-snapshots-to-keep, else 100. */
  retainLast?: number;
  /**
   * Snapshots of each branch that their age keeps at most (default 10,000): past that many, an
   * ancestor goes even when younger than `olderThan` (`retainLast` still wins). A day of commits
   * every 10 s is 8,640; a day of commits every second would be 86,400, ~80 MB of metadata that
   * every commit rewrites and every query reads.
   */
  maxSnapshots?: number;
  /** Delete the files only removed snapshots reached (default true). */
  deleteFiles?: boolean;
  /** The clock, for tests. */
  now?: number;
  /** Manifest lists read by earlier runs on this table (the service keeps one per table). */
  cache?: ManifestListCache;
}

/** What expiry needs of a manifest list's entries. */
export type ListedManifest = Pick<ManifestFile, 'manifest_path' | 'added_snapshot_id' | 'deleted_files_count'>;

/**
 * Manifest lists already read, for the next expiry of the same table: a list never changes, and
 * each run reads the lists of every kept snapshot (a day of 10 s commits is 8,640), of which
 * only those committed since the last run are new. Entries are shared between the lists that
 * name the same manifest, and after each run only the kept snapshots' lists stay.
 */
export class ManifestListCache {
  private readonly lists = new Map<string, ListedManifest[]>();
  private readonly manifests = new Map<string, ListedManifest>();

  async read(ops: TableOps, list: string): Promise<ListedManifest[]> {
    const hit = this.lists.get(list);
    if (hit) return hit;
    const entries = decodeManifestList(await ops.io.read(list)).map((m) => {
      const known = this.manifests.get(m.manifest_path);
      if (known) return known;
      const e: ListedManifest = { manifest_path: m.manifest_path, added_snapshot_id: m.added_snapshot_id, deleted_files_count: m.deleted_files_count };
      this.manifests.set(m.manifest_path, e);
      return e;
    });
    this.lists.set(list, entries);
    return entries;
  }

  /** Keeps only these lists (and the manifests they name). */
  retain(lists: Iterable<string>): void {
    const keep = new Set(lists);
    for (const l of this.lists.keys()) if (!keep.has(l)) this.lists.delete(l);
    const named = new Set([...this.lists.values()].flat().map((m) => m.manifest_path));
    for (const m of this.manifests.keys()) if (!named.has(m)) this.manifests.delete(m);
  }

  get size(): { lists: number; manifests: number } {
    return { lists: this.lists.size, manifests: this.manifests.size };
  }
}

export interface ExpiryPlan {
  /** Refs (never main) past their max-ref-age-ms, or naming a snapshot that is gone: removed first. */
  removeRefs: string[];
  /** Snapshot ids to remove, oldest first. */
  expire: bigint[];
  /** Offset maps whose newest carrier would be removed: carried forward in a new snapshot first. */
  carry: Record<string, string>;
}

export interface ExpireResult {
  snapshotsRemoved: number;
  snapshotsKept: number;
  filesDeleted: { manifestLists: number; manifests: number; dataFiles: number; statisticsFiles: number };
  /** Files that could not be deleted (with the reason): no later run finds them again. */
  undeleted: string[];
  /** An offsets-only snapshot was committed to keep offset maps. */
  carried: boolean;
  /** Tags and branches removed for their max-ref-age-ms. */
  refsRemoved: string[];
}

export const EXPIRE_DEFAULTS = { olderThanMs: 86_400_000, retainLast: 100, maxSnapshots: 10_000 } as const;
const OFFSETS_PREFIX = 'floe.offsets.';

function tableSetting(meta: TableMetadata, key: string, given: number | undefined, fallback: number): number {
  if (given !== undefined) return given;
  const v = Number(meta.properties[key]);
  return meta.properties[key] !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** Which snapshots go, and which offset maps must be carried first. Pure. */
export function planExpiry(meta: TableMetadata, opts: ExpireOptions = {}): ExpiryPlan {
  const now = opts.now ?? Date.now();
  const olderThan = tableSetting(meta, 'history.expire.max-snapshot-age-ms', opts.olderThanMs, EXPIRE_DEFAULTS.olderThanMs);
  const retainLast = Math.max(1, tableSetting(meta, 'history.expire.min-snapshots-to-keep', opts.retainLast, EXPIRE_DEFAULTS.retainLast));
  const maxSnapshots = opts.maxSnapshots ?? EXPIRE_DEFAULTS.maxSnapshots;
  // Java's computeRefsToRetain: a tag or branch (not main) whose head is older than its
  // max-ref-age-ms (else the table's history.expire.max-ref-age-ms; none: kept for ever) goes.
  const tableRefAge = Number(meta.properties['history.expire.max-ref-age-ms']);
  const removeRefs = Object.entries(meta.refs)
    .filter(([name, ref]) => {
      if (name === 'main') return false;
      const head = snapshotById(meta, ref.snapshotId);
      const maxAge = ref.maxRefAgeMs ?? (Number.isFinite(tableRefAge) && tableRefAge >= 0 ? tableRefAge : undefined);
      return !head || (maxAge !== undefined && now - head.timestampMs > maxAge);
    })
    .map(([name]) => name);
  const keep = new Set<bigint>();
  // Snapshots on a kept branch's ancestry: those the walk below does not keep go whatever their
  // age (Java's RemoveSnapshots); the age alone decides only for snapshots on no branch.
  const onBranch = new Set<bigint>();
  for (const [name, ref] of Object.entries(meta.refs)) {
    const head = snapshotById(meta, ref.snapshotId);
    if (!head || removeRefs.includes(name)) continue;
    keep.add(head.snapshotId);
    if (ref.type !== 'branch') continue;
    const min = ref.minSnapshotsToKeep ?? retainLast;
    const cutoff = now - (ref.maxSnapshotAgeMs ?? olderThan);
    // The kept part stays one chain from the head (the sink's offset map is read along it):
    // keeping stops at the first ancestor past the limits, even if an older one looks younger.
    let n = 0;
    let keeping = true;
    for (const s of ancestors(meta, head)) {
      onBranch.add(s.snapshotId);
      if (keeping && n >= min && (s.timestampMs < cutoff || n >= maxSnapshots)) keeping = false;
      if (!keeping) continue;
      keep.add(s.snapshotId);
      n++;
    }
  }
  const cutoff = now - olderThan;
  const expire = meta.snapshots
    .filter((s) => !keep.has(s.snapshotId) && (onBranch.has(s.snapshotId) || s.timestampMs < cutoff))
    .sort((a, b) => a.timestampMs - b.timestampMs)
    .map((s) => s.snapshotId);
  const gone = new Set(expire);
  // The newest carrier of each offset map along main (what the sink reads, DESIGN §2 rule 1).
  const carry: Record<string, string> = {};
  const seen = new Set<string>();
  const main = meta.refs.main ? snapshotById(meta, meta.refs.main.snapshotId) : undefined;
  for (const s of ancestors(meta, main)) {
    for (const [k, v] of Object.entries(s.summary)) {
      if (!k.startsWith(OFFSETS_PREFIX) || seen.has(k)) continue;
      seen.add(k);
      if (gone.has(s.snapshotId)) carry[k] = v;
    }
  }
  return { removeRefs, expire, carry };
}

/** Runs `f` over `items`, `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
}

/**
 * Data and delete files of a manifest, by status (0 existing, 1 added, 2 deleted), with the
 * entry's snapshot id (null when inherited from the manifest's added_snapshot_id).
 */
export function manifestFiles(bytes: Uint8Array): Array<{ status: number; path: string; snapshotId: bigint | null }> {
  return readAvroFile<{ status: number; snapshot_id?: bigint | null; data_file: { file_path: string } }>(bytes).records.map((r) => ({ status: r.status, path: r.data_file.file_path, snapshotId: r.snapshot_id ?? null }));
}

async function manifestsOf(ops: TableOps, snapshots: readonly Snapshot[], cache: ManifestListCache): Promise<Map<bigint, ListedManifest[]>> {
  const out = new Map<bigint, ListedManifest[]>();
  await eachLimited(snapshots, 16, async (s) => {
    out.set(s.snapshotId, s.manifestList ? await cache.read(ops, s.manifestList) : []);
  });
  return out;
}

/**
 * Whether the removed files can be found from the removed snapshots alone (Java's
 * IncrementalFileCleanup): the table has one ref, main, every removed snapshot is an ancestor
 * of its head, and no snapshot was cherry-picked. Then the kept snapshots all descend from the
 * removed ones, and a data file is dead for them once a removed snapshot deleted it.
 */
export function linearExpiry(meta: TableMetadata, expire: readonly bigint[]): boolean {
  const refs = Object.entries(meta.refs);
  if (refs.length !== 1 || refs[0]?.[0] !== 'main') return false;
  // A cherry-picked snapshot re-adds files another snapshot wrote: its source may be removed while they are live.
  if (meta.snapshots.some((s) => s.summary['source-snapshot-id'] !== undefined)) return false;
  const chain = new Set([...ancestors(meta, snapshotById(meta, refs[0][1].snapshotId))].map((s) => s.snapshotId));
  return expire.every((id) => chain.has(id));
}

const removedAll = (meta: TableMetadata, ids: readonly bigint[]) => ids.every((id) => !snapshotById(meta, id));

/** Expires one table's old snapshots; safe while sinks and compactions commit to it. */
export async function expireSnapshots(ops: TableOps, ident: TableIdent, opts: ExpireOptions = {}, log: (msg: string) => void = () => undefined): Promise<ExpireResult> {
  const name = `${ident.namespace.join('.')}.${ident.name}`;
  const result: ExpireResult = { snapshotsRemoved: 0, snapshotsKept: 0, filesDeleted: { manifestLists: 0, manifests: 0, dataFiles: 0, statisticsFiles: 0 }, undeleted: [], carried: false, refsRemoved: [] };
  for (let attempt = 1; ; attempt++) {
    let loaded: LoadedTable = await ops.load(ident);
    let plan = planExpiry(loaded.metadata, opts);
    if (Object.keys(plan.carry).length) {
      // Each attempt carries the maps as they are in the state it builds on: a sink that commits
      // in between has moved its map on, and an older copy on top would be read back (replay).
      const keys = Object.keys(plan.carry);
      const res = await ops.commitProperties(ident, {
        loaded,
        commitIdKey: 'floe.carry-id',
        prepare: (m) => Object.fromEntries(keys.flatMap((k) => Object.entries(latestWithSummaryKey(m, k)?.summary ?? {}).filter(([key]) => key === k))),
      });
      loaded = { ...loaded, metadata: res.metadata };
      result.carried = true;
      log(`${name}: carried ${Object.keys(plan.carry).join(', ')} forward before expiring`);
      plan = planExpiry(loaded.metadata, opts);
    }
    const meta = loaded.metadata;
    result.snapshotsKept = meta.snapshots.length - plan.expire.length;
    if (!plan.expire.length && !plan.removeRefs.length) return result;
    const gone = new Set(plan.expire);
    const expired = meta.snapshots.filter((s) => gone.has(s.snapshotId));
    const kept = meta.snapshots.filter((s) => !gone.has(s.snapshotId));
    // What the kept snapshots reach, read before the commit (the state it asserts).
    const deleteFiles = opts.deleteFiles ?? true;
    const cache = opts.cache ?? new ManifestListCache();
    const keptLists = deleteFiles ? await manifestsOf(ops, kept, cache) : new Map<bigint, ListedManifest[]>();
    const refsLeft = Object.fromEntries(Object.entries(meta.refs).filter(([r]) => !plan.removeRefs.includes(r)));
    const incremental = linearExpiry({ ...meta, refs: refsLeft }, plan.expire);
    const requirements: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: meta.tableUuid },
      ...Object.entries(meta.refs).map(([ref, r]): TableRequirement => ({ type: 'assert-ref-snapshot-id', ref, snapshotId: r.snapshotId })),
    ];
    try {
      await ops.catalog.commitTable(ident, requirements, [
        ...plan.removeRefs.map((refName): TableUpdate => ({ action: 'remove-snapshot-ref', refName })),
        ...(plan.expire.length ? [{ action: 'remove-snapshots', snapshotIds: plan.expire } as const] : []),
      ]);
    } catch (err) {
      if (!isFloeError(err) || attempt >= 5) throw err;
      if (err.code === 'COMMIT_STATE_UNKNOWN') {
        const state = (await ops.load(ident, 30)).metadata;
        if (!removedAll(state, plan.expire) || plan.removeRefs.some((r) => state.refs[r])) continue;
      } else if (err.code === 'COMMIT_CONFLICT') {
        continue; // someone committed: plan again on the new state
      } else throw err;
    }
    result.snapshotsRemoved = plan.expire.length;
    result.refsRemoved = plan.removeRefs;
    if (plan.removeRefs.length) log(`${name}: removed refs ${plan.removeRefs.join(', ')} (older than their max-ref-age-ms)`);
    log(`${name}: removed ${plan.expire.length} snapshots, kept ${result.snapshotsKept}`);
    if (!deleteFiles) return result;
    await deleteUnreachable(ops, expired, keptLists, incremental, result, cache);
    cache.retain(kept.flatMap((k) => (k.manifestList ? [k.manifestList] : [])));
    // Statistics files (Puffin, e.g. Trino's ANALYZE) of removed snapshots: the catalog dropped their entries.
    const statsPath = (x: Readonly<Record<string, unknown>>) => String(x['statistics-path']);
    const stats = [...statisticsFiles(meta), ...partitionStatisticsFiles(meta)];
    const keptStats = new Set(stats.filter((x) => !gone.has(BigInt(String(x['snapshot-id'])))).map(statsPath));
    await deleteAll(ops, [...new Set(stats.filter((x) => gone.has(BigInt(String(x['snapshot-id'])))).map(statsPath))].filter((f) => !keptStats.has(f)), 'statisticsFiles', result);
    log(`${name}: deleted ${result.filesDeleted.manifestLists} manifest lists, ${result.filesDeleted.manifests} manifests, ${result.filesDeleted.dataFiles} data files`);
    for (const u of result.undeleted) log(`${name}: NOT deleted (remove it by hand): ${u}`);
    return result;
  }
}

/**
 * Deletes what only the removed snapshots reached: their manifest lists, the manifests no kept
 * snapshot lists, and the data (and delete) files no kept snapshot has live.
 *
 * Which data files: on a linear history (`linearExpiry`), the ones a removed snapshot deleted,
 * i.e. DELETED entries written by removed snapshots, found in the manifests those snapshots
 * wrote that have deleted files (usually none: only rewrites such as compaction delete), so
 * kept manifests are not read. Otherwise (branches, tags, rolled-back snapshots), every file of
 * the removed manifests is a candidate, and the ones a kept manifest lists as live (added or
 * existing) stay: that reads every kept manifest.
 */
async function deleteUnreachable(ops: TableOps, expired: readonly Snapshot[], keptLists: ReadonlyMap<bigint, ListedManifest[]>, incremental: boolean, result: ExpireResult, cache: ManifestListCache): Promise<void> {
  const keptManifests = new Map([...keptLists.values()].flat().map((m) => [m.manifest_path, m]));
  const expiredLists = await manifestsOf(ops, expired, cache);
  const orphanManifests = new Map([...expiredLists.values()].flat().filter((m) => !keptManifests.has(m.manifest_path)).map((m) => [m.manifest_path, m]));
  const dead = new Set<string>();
  if (incremental) {
    const gone = new Set(expired.map((s) => s.snapshotId));
    const scan = [...orphanManifests.values(), ...keptManifests.values()].filter((m) => gone.has(m.added_snapshot_id) && m.deleted_files_count > 0);
    await eachLimited(scan, 16, async (m) => {
      for (const f of manifestFiles(await ops.io.read(m.manifest_path))) if (f.status === 2 && gone.has(f.snapshotId ?? m.added_snapshot_id)) dead.add(f.path);
    });
  } else {
    await eachLimited([...orphanManifests.keys()], 16, async (m) => {
      for (const f of manifestFiles(await ops.io.read(m))) dead.add(f.path);
    });
    if (dead.size) {
      await eachLimited([...keptManifests.keys()], 16, async (m) => {
        for (const f of manifestFiles(await ops.io.read(m))) if (f.status !== 2) dead.delete(f.path);
      });
    }
  }
  await deleteAll(ops, [...dead], 'dataFiles', result);
  await deleteAll(ops, [...orphanManifests.keys()], 'manifests', result);
  await deleteAll(ops, expired.flatMap((s) => (s.manifestList ? [s.manifestList] : [])), 'manifestLists', result);
}

/** Deletes files, counting them; one that cannot be deleted is reported, the rest go on. */
async function deleteAll(ops: TableOps, paths: readonly string[], key: keyof ExpireResult['filesDeleted'], result: ExpireResult): Promise<void> {
  await eachLimited(paths, 16, async (p) => {
    try {
      await ops.io.delete(p); // deleting what is already gone succeeds (another expiry got there first)
      result.filesDeleted[key]++;
    } catch (err) {
      // The snapshots are gone already: no later run finds this file again. Say which.
      result.undeleted.push(`${p}: ${(err as Error).message}`);
    }
  });
}
