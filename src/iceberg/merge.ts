/**
 * Manifest merging on append, as Iceberg's MergeAppend does it (Java's ManifestMergeManager),
 * so that a table committed every second does not grow one manifest per commit forever: every
 * engine reads all of a snapshot's manifests to plan a scan.
 *
 * Table properties, with Iceberg's names and defaults:
 * - `commit.manifest-merge.enabled` (true)
 * - `commit.manifest.min-count-to-merge` (100)
 * - `commit.manifest.target-size-bytes` (8 MiB)
 *
 * Data manifests are grouped by partition spec; each group, newest first, is packed into bins of
 * the target size from its oldest end, so full bins of old manifests stay as they are and the
 * newest bin takes the rest. A bin of one manifest is kept. The newest bin is merged only once it
 * holds min-count manifests; any other bin of several is merged. A merged manifest lists this
 * commit's files as ADDED and every other live file as EXISTING with its snapshot id and
 * sequence numbers made explicit; entries DELETED by earlier snapshots are dropped. Delete
 * manifests (other writers' row deltas) are never touched.
 */
import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { DataFile } from '../spec/data-file.js';
import { currentSchema, specById, type TableMetadata } from '../spec/metadata.js';
import { partitionFieldSummaries } from '../spec/manifest.js';
import { partitionType } from '../spec/partition.js';
import type { NestedField } from '../spec/types.js';
import { deserializeValue, comparatorFor } from '../spec/values.js';
import type { PrimitiveType } from '../spec/types.js';
import { readAvroBlocks } from './avro.js';
import { decodeManifest, ManifestEntryCodec, type EntryHead, type ManifestFile } from './manifest.js';

export interface MergeSettings {
  enabled: boolean;
  minCountToMerge: number;
  targetSizeBytes: number;
}

export const MERGE_DEFAULTS: MergeSettings = { enabled: true, minCountToMerge: 100, targetSizeBytes: 8 * 1024 * 1024 };

/** The table's merge settings; a property that is not a positive number keeps the default. */
export function mergeSettings(properties: Readonly<Record<string, string>>): MergeSettings {
  const positive = (key: string, fallback: number) => {
    const n = Number(properties[key]);
    return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
  };
  return {
    enabled: (properties['commit.manifest-merge.enabled'] ?? 'true').toLowerCase() !== 'false',
    minCountToMerge: positive('commit.manifest.min-count-to-merge', MERGE_DEFAULTS.minCountToMerge),
    targetSizeBytes: positive('commit.manifest.target-size-bytes', MERGE_DEFAULTS.targetSizeBytes),
  };
}

/** One output slot of the merge plan: a manifest kept as it is, or manifests merged into one. */
export type PlannedManifest = { keep: ManifestFile } | { merge: ManifestFile[] };

/**
 * Packs `items` (newest first) into bins of at most `target` bytes from the oldest end, one bin
 * open at a time (Java's ListPacker.packEnd with lookback 1); bins come back newest first.
 */
export function packFromEnd<T>(items: readonly T[], weight: (t: T) => number, target: number): T[][] {
  const bins: T[][] = [];
  let bin: T[] = [];
  let size = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    const w = weight(item);
    if (bin.length > 0 && size + w > target) {
      bins.push(bin);
      bin = [];
      size = 0;
    }
    bin.unshift(item);
    size += w;
  }
  if (bin.length > 0) bins.push(bin);
  return bins.reverse();
}

/** Which manifests of a new manifest list (newest first) to keep and which to merge. */
export function planMerge(manifests: readonly ManifestFile[], settings: MergeSettings): PlannedManifest[] {
  if (!settings.enabled) return manifests.map((m) => ({ keep: m }));
  const out: PlannedManifest[] = [];
  const groups = new Map<number, ManifestFile[]>();
  for (const m of manifests) {
    if (m.content !== 0) {
      out.push({ keep: m });
      continue;
    }
    const g = groups.get(m.partition_spec_id) ?? [];
    g.push(m);
    groups.set(m.partition_spec_id, g);
  }
  for (const group of groups.values()) {
    const first = group[0];
    for (const bin of packFromEnd(group, (m) => Number(m.manifest_length), settings.targetSizeBytes)) {
      if (bin.length === 1 || (bin.includes(first as ManifestFile) && bin.length < settings.minCountToMerge)) out.push(...bin.map((m) => ({ keep: m })));
      else out.push({ merge: bin });
    }
  }
  return out;
}

export interface MergeContext {
  io: FileIO;
  meta: TableMetadata;
  snapshotId: bigint;
  sequenceNumber: bigint;
  /** This commit's new manifests (one per partition spec) and their files, known without reading them back. */
  added?: ReadonlyArray<{ manifest: ManifestFile; files: readonly DataFile[] }>;
  /** Where merged manifests are written. */
  metadataDir: string;
}

export interface MergeResult {
  manifests: ManifestFile[];
  /** Merged manifests written by this call (garbage if the commit does not land). */
  written: string[];
  /** This commit's new manifests that went into a merged one (the standalone files are then unreferenced). */
  mergedAdded: ManifestFile[];
  /** Entries carried as bytes from manifests Floe wrote, and entries decoded and encoded again. */
  carried: number;
  decoded: number;
}

/** How many manifests are read at once while merging. */
const READ_CONCURRENCY = 16;

async function mapLimited<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Applies the merge plan to a new manifest list (newest first): reads, merges and writes. */
export async function mergeManifests(manifests: readonly ManifestFile[], ctx: MergeContext): Promise<MergeResult> {
  const plan = planMerge(manifests, mergeSettings(ctx.meta.properties));
  const result: MergeResult = { manifests: [], written: [], mergedAdded: [], carried: 0, decoded: 0 };
  try {
    for (const slot of plan) {
      if ('keep' in slot) {
        result.manifests.push(slot.keep);
        continue;
      }
      const merged = await mergeBin(slot.merge, ctx, result);
      result.manifests.push(merged);
      result.written.push(merged.manifest_path);
      for (const a of ctx.added ?? []) if (slot.merge.includes(a.manifest)) result.mergedAdded.push(a.manifest);
    }
  } catch (err) {
    await Promise.all(result.written.map((f) => ctx.io.delete(f).catch(() => undefined)));
    throw err;
  }
  return result;
}

async function mergeBin(bin: readonly ManifestFile[], ctx: MergeContext, stats: Pick<MergeResult, 'carried' | 'decoded'>): Promise<ManifestFile> {
  const specId = (bin[0] as ManifestFile).partition_spec_id;
  const spec = specById(ctx.meta, specId);
  if (!spec) throw new Error(`manifest merge: partition spec ${specId} is not in the table metadata`);
  const schema = currentSchema(ctx.meta);
  const partType: NestedField[] = partitionType(spec, schema);
  const codec = new ManifestEntryCodec(partType);
  const count = { added: 0, existing: 0, deleted: 0, addedRows: 0n, existingRows: 0n, deletedRows: 0n };
  let minSeq = ctx.sequenceNumber;
  const summaries: Array<ManifestFile['partitions']> = [];
  const perManifest = await mapLimited(bin, READ_CONCURRENCY, async (m): Promise<Buffer[]> => {
    const added = ctx.added?.find((a) => a.manifest === m);
    if (added) {
      count.added += added.files.length;
      count.addedRows += added.files.reduce((n, f) => n + BigInt(f.recordCount), 0n);
      summaries.push(manifestPartitions(partType, added.files));
      return added.files.map((file) => codec.encode({ status: 1, snapshotId: ctx.snapshotId, sequenceNumber: null, fileSequenceNumber: null, file }));
    }
    const bytes = await ctx.io.read(m.manifest_path);
    // Sequence number inheritance made explicit: an entry's nulls are its manifest's. Deletes of
    // earlier snapshots are history, not state; a merged manifest drops them.
    const existing = (h: EntryHead): EntryHead => {
      const seq = h.sequenceNumber ?? m.sequence_number;
      if (seq < minSeq) minSeq = seq;
      return { status: 0, snapshotId: h.snapshotId ?? m.added_snapshot_id, sequenceNumber: seq, fileSequenceNumber: h.fileSequenceNumber ?? m.sequence_number };
    };
    const blocks = readAvroBlocks(bytes);
    // Files this very commit deletes (a rewrite's) stay listed as DELETED; older deletes go.
    const ours = m.added_snapshot_id === ctx.snapshotId;
    if (blocks.metadata['avro.schema'] === codec.schemaText && m.partitions?.length === partType.length) {
      // Written with this very schema (by Floe): entries are carried as bytes, data files untouched;
      // counts and partition bounds come from the manifest list.
      count.existing += m.added_files_count + m.existing_files_count;
      count.existingRows += m.added_rows_count + m.existing_rows_count;
      if (ours) {
        count.deleted += m.deleted_files_count;
        count.deletedRows += m.deleted_rows_count;
      }
      summaries.push(m.partitions);
      const out: Buffer[] = [];
      for (const { head, dataFile } of codec.split(blocks.blocks)) {
        if (head.status !== 2) out.push(codec.encodeWithDataFile(existing(head), dataFile));
        else if (ours && head.snapshotId === ctx.snapshotId) out.push(codec.encodeWithDataFile(head, dataFile));
      }
      stats.carried += out.length;
      return out;
    }
    // Another writer's manifest (its own schema): decoded and written again.
    const kept = decodeManifest(bytes, partType).filter((e) => e.status !== 2 || (ours && e.snapshotId === ctx.snapshotId));
    const live = kept.filter((e) => e.status !== 2);
    const deleted = kept.filter((e) => e.status === 2);
    count.existing += live.length;
    count.existingRows += live.reduce((n, e) => n + BigInt(e.file.recordCount), 0n);
    count.deleted += deleted.length;
    count.deletedRows += deleted.reduce((n, e) => n + BigInt(e.file.recordCount), 0n);
    summaries.push(manifestPartitions(partType, kept.map((e) => e.file)));
    stats.decoded += kept.length;
    return kept.map((e) => codec.encode(e.status === 2 ? { ...e, status: 2 } : { ...existing({ ...e, status: e.status as EntryHead['status'] }), file: e.file }));
  });
  const bytes = codec.container(perManifest.flat(), schema, spec, ctx.meta.formatVersion);
  const location = `${ctx.metadataDir}/${randomUUID()}-m-merged.avro`;
  await ctx.io.write(location, bytes);
  return {
    ...dataManifest(location, bytes.length, specId, ctx.snapshotId, count),
    sequence_number: ctx.sequenceNumber,
    min_sequence_number: minSeq,
    partitions: unionPartitions(partType, summaries),
  };
}

export interface RemoveResult {
  manifests: ManifestFile[];
  /** Manifests written by this call (garbage if the commit does not land). */
  written: string[];
  /** The removed files as the table listed them. */
  removed: DataFile[];
}

/**
 * A rewrite's removal of data files (by path) from a new manifest list: each data manifest that
 * lists one of them is written again with it DELETED by this snapshot (its sequence numbers
 * kept) and every other live file EXISTING; the others are kept. Every path must be live in
 * exactly one entry, or the removal fails with a COMMIT_CONFLICT that is not retryable.
 */
export async function removeFiles(manifests: readonly ManifestFile[], paths: ReadonlySet<string>, ctx: Omit<MergeContext, 'added'>): Promise<RemoveResult> {
  const written: string[] = [];
  const removed = new Map<string, DataFile>();
  const schema = currentSchema(ctx.meta);
  try {
    const out = await mapLimited(manifests, READ_CONCURRENCY, async (m): Promise<ManifestFile> => {
      if (m.content !== 0) return m;
      const spec = specById(ctx.meta, m.partition_spec_id);
      if (!spec) throw new Error(`manifest ${m.manifest_path}: partition spec ${m.partition_spec_id} is not in the table metadata`);
      const partType = partitionType(spec, schema);
      const entries = decodeManifest(await ctx.io.read(m.manifest_path), partType);
      if (!entries.some((e) => e.status !== 2 && paths.has(e.file.filePath))) return m;
      const codec = new ManifestEntryCodec(partType);
      const encoded: Buffer[] = [];
      const count = { added: 0, existing: 0, deleted: 0, addedRows: 0n, existingRows: 0n, deletedRows: 0n };
      let minSeq = ctx.sequenceNumber;
      const files: DataFile[] = [];
      for (const e of entries) {
        if (e.status === 2) continue;
        const seq = e.sequenceNumber ?? m.sequence_number;
        const head = { snapshotId: e.snapshotId ?? m.added_snapshot_id, sequenceNumber: seq, fileSequenceNumber: e.fileSequenceNumber ?? m.sequence_number };
        const rows = BigInt(e.file.recordCount);
        if (seq < minSeq) minSeq = seq;
        files.push(e.file);
        if (paths.has(e.file.filePath)) {
          if (removed.has(e.file.filePath)) throw new FloeError('METADATA_INVALID', `${e.file.filePath} is listed twice in the table`);
          removed.set(e.file.filePath, e.file);
          encoded.push(codec.encode({ ...head, status: 2, snapshotId: ctx.snapshotId, file: e.file }));
          count.deleted++;
          count.deletedRows += rows;
        } else {
          encoded.push(codec.encode({ ...head, status: 0, file: e.file }));
          count.existing++;
          count.existingRows += rows;
        }
      }
      const bytes = codec.container(encoded, schema, spec, ctx.meta.formatVersion);
      const location = `${ctx.metadataDir}/${randomUUID()}-m-rewrite.avro`;
      written.push(location);
      await ctx.io.write(location, bytes);
      return {
        ...dataManifest(location, bytes.length, m.partition_spec_id, ctx.snapshotId, count),
        sequence_number: ctx.sequenceNumber,
        min_sequence_number: minSeq,
        partitions: manifestPartitions(partType, files),
      };
    });
    if (removed.size !== paths.size) {
      throw new FloeError('COMMIT_CONFLICT', `${paths.size - removed.size} of the ${paths.size} files to rewrite are no longer in the table (another rewrite removed them)`, { retryable: false });
    }
    return { manifests: out, written, removed: [...removed.values()] };
  } catch (err) {
    await Promise.all(written.map((f) => ctx.io.delete(f).catch(() => undefined)));
    throw err;
  }
}

type Summary = NonNullable<ManifestFile['partitions']>[number];

/** The partition summaries of a manifest holding the files of several: nulls and NaNs of any, the lowest lower and highest upper bound. */
export function unionPartitions(partType: readonly NestedField[], summaries: ReadonlyArray<ManifestFile['partitions']>): ManifestFile['partitions'] {
  return partType.map((f, i) => {
    const t = f.type as PrimitiveType;
    const cmp = comparatorFor(t);
    const bound = (a: Buffer | null, b: Buffer | null, pick: (c: number) => boolean) => (a === null ? b : b === null ? a : pick(cmp(deserializeValue(t, b), deserializeValue(t, a))) ? b : a);
    let out: Summary = { contains_null: false, contains_nan: null, lower_bound: null, upper_bound: null };
    for (const s of summaries) {
      const p = s?.[i];
      if (!p) continue;
      out = {
        contains_null: out.contains_null || p.contains_null,
        contains_nan: out.contains_nan === null && p.contains_nan === null ? null : Boolean(out.contains_nan) || Boolean(p.contains_nan),
        lower_bound: bound(out.lower_bound, p.lower_bound, (c) => c < 0),
        upper_bound: bound(out.upper_bound, p.upper_bound, (c) => c > 0),
      };
    }
    return out;
  });
}

export interface EntryCounts {
  added: number;
  existing: number;
  deleted: number;
  addedRows: bigint;
  existingRows: bigint;
  deletedRows: bigint;
}

/** A manifest list entry for a data manifest a commit wrote (sequence numbers and partitions to add). */
export function dataManifest(location: string, length: number, specId: number, snapshotId: bigint, c: EntryCounts): Omit<ManifestFile, 'sequence_number' | 'min_sequence_number' | 'partitions'> {
  return {
    manifest_path: location,
    manifest_length: BigInt(length),
    partition_spec_id: specId,
    content: 0,
    added_snapshot_id: snapshotId,
    added_files_count: c.added,
    existing_files_count: c.existing,
    deleted_files_count: c.deleted,
    added_rows_count: c.addedRows,
    existing_rows_count: c.existingRows,
    deleted_rows_count: c.deletedRows,
    key_metadata: null,
  };
}

/** The manifest list's partition summaries for these files, as avsc writes them. */
export function manifestPartitions(partType: readonly NestedField[], files: readonly Pick<DataFile, 'partition'>[]): ManifestFile['partitions'] {
  return partitionFieldSummaries(partType, files).map((p) => ({
    contains_null: p.containsNull,
    contains_nan: p.containsNan ?? null,
    lower_bound: p.lowerBound ? Buffer.from(p.lowerBound) : null,
    upper_bound: p.upperBound ? Buffer.from(p.upperBound) : null,
  }));
}
