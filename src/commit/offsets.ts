/**
 * The offset map kept in every snapshot Floe commits (DESIGN §2): summary key
 * `floe.offsets.<group>` holds JSON `{"<topic>": {"<partition>": <next offset>}}`, the complete
 * map for every topic-partition the group ever wrote to the table.
 *
 * Offsets are JS numbers: Kafka offsets are int64, but a partition would need 2^53 records
 * (9e15) before precision is lost, which no log reaches; numbers keep the hot path cheap.
 */
import { FloeError } from '../errors.js';

export type PartitionOffsets = ReadonlyMap<number, number>;
/** topic -> partition -> next offset to consume. */
export type OffsetMap = ReadonlyMap<string, PartitionOffsets>;

export const OFFSETS_KEY_PREFIX = 'floe.offsets.';
export const COMMIT_ID_KEY = 'floe.commit-id';

export function offsetsKey(group: string): string {
  return OFFSETS_KEY_PREFIX + group;
}

export function emptyOffsets(): OffsetMap {
  return new Map();
}

export function getOffset(map: OffsetMap, topic: string, partition: number): number | undefined {
  return map.get(topic)?.get(partition);
}

/** Parses the summary value; a malformed value is a hard error (someone else wrote the key). */
export function parseOffsets(json: string, where = 'snapshot summary'): OffsetMap {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new FloeError('METADATA_INVALID', `${where}: offset map is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FloeError('METADATA_INVALID', `${where}: offset map must be an object of topics`);
  }
  const out = new Map<string, Map<number, number>>();
  for (const [topic, parts] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof parts !== 'object' || parts === null || Array.isArray(parts)) {
      throw new FloeError('METADATA_INVALID', `${where}: offsets of topic '${topic}' must be an object of partitions`);
    }
    const m = new Map<number, number>();
    for (const [p, o] of Object.entries(parts as Record<string, unknown>)) {
      const partition = Number(p);
      if (!Number.isInteger(partition) || partition < 0 || typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
        throw new FloeError('METADATA_INVALID', `${where}: bad offset ${JSON.stringify(o)} for ${topic}[${p}]`);
      }
      m.set(partition, o);
    }
    out.set(topic, m);
  }
  return out;
}

/** Serializes with topics and partitions sorted, so equal maps give equal strings. */
export function serializeOffsets(map: OffsetMap): string {
  const obj: Record<string, Record<string, number>> = {};
  for (const topic of [...map.keys()].sort()) {
    const parts = map.get(topic);
    if (!parts) continue;
    const o: Record<string, number> = {};
    for (const p of [...parts.keys()].sort((a, b) => a - b)) o[String(p)] = parts.get(p) as number;
    obj[topic] = o;
  }
  return JSON.stringify(obj);
}

/** Base with every (topic, partition) of `updates` replaced. Never drops a partition of base. */
export function mergeOffsets(base: OffsetMap, updates: OffsetMap): OffsetMap {
  const out = new Map<string, Map<number, number>>();
  for (const [t, parts] of base) out.set(t, new Map(parts));
  for (const [t, parts] of updates) {
    let m = out.get(t);
    if (!m) out.set(t, (m = new Map()));
    for (const [p, o] of parts) m.set(p, o);
  }
  return out;
}

export interface SnapshotLike {
  readonly snapshotId: number | bigint;
  readonly summary?: Readonly<Record<string, string>>;
}

/**
 * Rule 1: the stored map is the one of the newest snapshot in main's ancestry that has the key
 * (other writers — compaction, a Spark DELETE — may have committed after Floe, without it).
 * `ancestry` is newest first.
 */
export function storedOffsets(ancestry: Iterable<SnapshotLike>, group: string): OffsetMap {
  const key = offsetsKey(group);
  for (const s of ancestry) {
    const v = s.summary?.[key];
    if (v !== undefined) return parseOffsets(v, `snapshot ${String(s.snapshotId)} summary '${key}'`);
  }
  return emptyOffsets();
}

/** Rule 5: whether a commit id appears among the given snapshots (newest first). */
export function findCommit(ancestry: Iterable<SnapshotLike>, commitId: string, limit = 50): SnapshotLike | undefined {
  let n = 0;
  for (const s of ancestry) {
    if (s.summary?.[COMMIT_ID_KEY] === commitId) return s;
    if (++n >= limit) break;
  }
  return undefined;
}
