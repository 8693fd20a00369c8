/**
 * Table operations over a REST catalog: create, and fast append with optimistic concurrency
 * (DESIGN §2 rules 4 and 5). An append writes its new manifest once; each attempt only writes a
 * manifest list on the current parent. On 409 it reloads, lets the caller re-check its own
 * conditions (the sink's offset fence) and retries; when a commit's outcome is unknown it
 * looks for its commit id in the table before doing anything else.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { FloeError, isFloeError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { DataFile } from '../spec/data-file.js';
import { ancestors, branchHead, currentSchema, defaultSpec, specById, type Snapshot, type TableMetadata } from '../spec/metadata.js';
import { partitionType, sortOrderToJson, specToJson, type PartitionSpec, type SortOrder } from '../spec/partition.js';
import { schemaToJson } from '../spec/schema.js';
import { snapshotSummary } from '../spec/summary.js';
import type { Schema } from '../spec/types.js';
import { decodeManifestList, encodeManifest, encodeManifestList, type ManifestFile } from './manifest.js';
import { dataManifest, manifestPartitions, mergeManifests, removeFiles } from './merge.js';
import { useTableStorage, type LoadedTable, type RestCatalog, type TableIdent } from './rest-client.js';

export const COMMIT_ID_PROPERTY = 'floe.commit-id';

/** How many snapshots of main's ancestry are searched for a commit id. */
const COMMIT_SEARCH_DEPTH = 100;

export interface AppendOptions {
  /** Data files to add; none makes an offsets-only snapshot (summary properties only). */
  files: readonly DataFile[];
  /** Extra snapshot summary properties (the sink's offset map and commit id). */
  properties?: Record<string, string>;
  /** Summary key that identifies this commit across retries (DESIGN §2 rule 5). */
  commitIdKey?: string;
  /**
   * Called with the table state every attempt builds on: throw to abort the append (the sink's
   * offset fence), or return summary properties computed from that state (the merged offset map).
   */
  prepare?: (meta: TableMetadata) => Record<string, string> | void;
  maxAttempts?: number;
  /** Reuse a loaded table instead of loading it first. */
  loaded?: LoadedTable;
  /** Back-off base in ms (doubles each attempt, with jitter). */
  backoffMs?: number;
  onConflict?: (attempt: number) => void;
  /**
   * Called for every commit request that failed otherwise than by a 409: an unknown outcome
   * (5xx, timeout), before the retry, or a definite refusal, before it is thrown. Lets the caller
   * report a commit that keeps failing while the append still retries it.
   */
  onAttemptFailed?: (err: FloeError, attempt: number) => void;
  /**
   * Data files (by path) this commit removes: a rewrite (compaction). Each must be live in the
   * parent every attempt builds on; if one is not (another rewrite removed it), the commit fails
   * with a COMMIT_CONFLICT that is not retryable, and nothing is committed.
   */
  removes?: ReadonlySet<string>;
  /** The snapshot's operation: 'append' unless files are removed ('replace' then, by default). */
  operation?: 'append' | 'replace' | 'overwrite';
}

export interface AppendResult {
  snapshotId: bigint;
  metadata: TableMetadata;
  metadataLocation: string | undefined;
  /** Commit requests sent (0 when the commit id was already in the table). */
  attempts: number;
  /** Attempts answered 409. */
  conflicts: number;
  /** Attempts whose outcome was unknown (5xx, timeout, dropped connection). */
  unknown: number;
  /** The commit was found by its id instead of by a successful response. */
  recovered: boolean;
}

export interface CreateTableOptions {
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  properties?: Record<string, string>;
  location?: string;
  stageCreate?: boolean;
}

export function newSnapshotId(): bigint {
  // Positive 63-bit, like Java's and PyIceberg's generators.
  return randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function metadataDir(meta: TableMetadata): string {
  return meta.properties['write.metadata.path'] ?? `${meta.location.replace(/\/+$/, '')}/metadata`;
}

export function dataDir(meta: TableMetadata): string {
  return meta.properties['write.data.path'] ?? `${meta.location.replace(/\/+$/, '')}/data`;
}

/** The snapshot of main's recent ancestry whose summary carries this commit id. */
export function findCommit(meta: TableMetadata, key: string, commitId: string, depth = COMMIT_SEARCH_DEPTH): Snapshot | undefined {
  let n = 0;
  for (const s of ancestors(meta, branchHead(meta))) {
    if (s.summary[key] === commitId) return s;
    if (++n >= depth) return undefined;
  }
  return undefined;
}

/** A manifest this commit wrote, and the files it lists. */
interface NewManifest {
  manifest: ManifestFile;
  files: readonly DataFile[];
}

/** One commit request's manifest list (and merged manifests) and what is known of its fate. */
interface Attempt {
  list: string;
  /** Manifests this attempt merged: referenced by its list only. */
  merged: string[];
  /** The commit's new manifests that went into one of `merged`. */
  mergedAdded: string[];
  parentId: bigint | null;
  state: 'pending' | 'unknown' | 'failed';
}

export class TableOps {
  /** The tail of each table's queue of append attempts in this process (see `append`). */
  private readonly appending = new Map<string, Promise<void>>();

  constructor(
    readonly catalog: RestCatalog,
    readonly io: FileIO,
  ) {
    // A table's files go through the storage settings its catalog vends with it (issue 4 item 8).
    catalog.onTableLoaded((t) => useTableStorage(io, t));
  }

  /** Loads, retrying while the catalog is unavailable. */
  async load(ident: TableIdent, attempts = 8): Promise<LoadedTable> {
    for (let i = 1; ; i++) {
      try {
        return await this.catalog.loadTable(ident);
      } catch (err) {
        if (!isFloeError(err) || !err.retryable || i >= attempts) throw err;
        await sleep(Math.min(5000, 100 * 2 ** i) * (0.5 + Math.random()));
      }
    }
  }

  /** Creates a format-v2 table from the in-memory schema, spec and sort order. */
  create(ident: TableIdent, opts: CreateTableOptions): Promise<LoadedTable> {
    return this.catalog.createTable(ident, {
      schema: schemaToJson(opts.schema),
      ...(opts.spec ? { partitionSpec: specToJson(opts.spec) } : {}),
      ...(opts.sortOrder ? { writeOrder: sortOrderToJson(opts.sortOrder) } : {}),
      ...(opts.location ? { location: opts.location } : {}),
      ...(opts.stageCreate ? { stageCreate: true } : {}),
      properties: { 'format-version': '2', ...opts.properties },
    });
  }

  /** A snapshot that adds no files, only summary properties (the sink's offset map). */
  commitProperties(ident: TableIdent, opts: Omit<AppendOptions, 'files'>): Promise<AppendResult> {
    return this.append(ident, { ...opts, files: [] });
  }

  /**
   * Commits `opts.files` (and `opts.removes`) as one snapshot, retrying conflicts on the new state.
   * The attempts of appends to one table through this TableOps take turns, in call order (see
   * `inTurn`): a compaction in the service would otherwise race the sink committing to the same
   * table in the same process every second, and on a loaded machine lose every attempt (its
   * attempt takes longer than the sink's interval). Commits from other processes still conflict
   * and are retried as before; the pause between retries is taken outside the turn.
   */
  async append(ident: TableIdent, opts: AppendOptions): Promise<AppendResult> {
    const key = opts.commitIdKey ?? COMMIT_ID_PROPERTY;
    const commitId = opts.properties?.[key] ?? randomUUID();
    const props = { ...opts.properties, [key]: commitId };
    const maxAttempts = opts.maxAttempts ?? 10;
    // One snapshot id for every attempt, as Java's SnapshotProducer: the manifest's entries carry it.
    const snapshotId = newSnapshotId();
    // Loaded in the first turn unless the caller has it: a state read before the turn may be stale.
    let table: LoadedTable | undefined = opts.loaded;
    // The new manifests, one per partition spec the files were written with (usually one).
    let manifests: NewManifest[] | undefined;
    let conflicts = 0;
    let unknown = 0;
    const attempts: Attempt[] = [];
    const result = (t: LoadedTable, s: Snapshot, recovered: boolean): AppendResult => ({
      snapshotId: s.snapshotId,
      metadata: t.metadata,
      metadataLocation: t.metadataLocation,
      attempts: attempts.length,
      conflicts,
      unknown,
      recovered,
    });

    const turnKey = [...ident.namespace, ident.name].join('\u001f');
    let reload: 'conflict' | 'unknown' | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        const done = await this.inTurn(turnKey, async (): Promise<AppendResult | undefined> => {
          // After a failed attempt the table is loaded in this turn, so that no commit of this
          // process can come between the state read and the attempt built on it.
          if (reload || !table) table = await this.load(ident, reload === 'unknown' ? 30 : undefined);
          // A caller's retry of a commit that landed, or an unknown outcome that did land late.
          const found = findCommit(table.metadata, key, commitId);
          if (found) {
            await this.cleanup(attempts, found.manifestList, manifests);
            return result(table, found, true);
          }
          await this.settle(attempts, table.metadata);
          const meta = table.metadata;
          if (meta.formatVersion !== 2) {
            throw new FloeError('METADATA_INVALID', `table ${ident.namespace.join('.')}.${ident.name} is format v${meta.formatVersion}; Floe writes format v2 tables only (upgrade it with the table property format-version=2)`);
          }
          const prepared = opts.prepare?.(meta) ?? {};
          const parent = branchHead(meta);
          const seq = meta.lastSequenceNumber + 1;
          // The new manifests are written while the parent's manifest list is read: two round trips
          // to the store at once, not one after the other (the commit path is freshness).
          // Manifests written are kept for the retries even when the read fails.
          const [, parentManifests] = await Promise.all([
            opts.files.length > 0 && !manifests
              ? this.writeManifests(meta, snapshotId, opts.files).then((m) => {
                  manifests = m;
                })
              : undefined,
            parent?.manifestList ? this.io.read(parent.manifestList).then(decodeManifestList) : [],
          ]);
          // Only the manifest list carries the sequence number: the new manifest's ADDED entries
          // have none and inherit it (spec: sequence number inheritance), so a retry rewrites nothing else.
          const mine = (manifests ?? []).map((m) => ({ manifest: { ...m.manifest, sequence_number: BigInt(seq), min_sequence_number: BigInt(seq) }, files: m.files }));
          const list = `${metadataDir(meta)}/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
          const current: Attempt = { list, merged: [], mergedAdded: [], parentId: parent?.snapshotId ?? null, state: 'failed' };
          attempts.push(current);
          const ctx = { io: this.io, meta, snapshotId, sequenceNumber: BigInt(seq), metadataDir: metadataDir(meta) };
          // A rewrite marks its files DELETED in new copies of the manifests that list them.
          let base = parentManifests;
          let removed: DataFile[] = [];
          if (opts.removes?.size) {
            const r = await removeFiles(parentManifests, opts.removes, ctx);
            current.merged.push(...r.written);
            base = r.manifests;
            removed = r.removed;
          }
          // Only manifests with live files go forward, besides this commit's own (Java's
          // MergingSnapshotProducer keeps the same): a rewrite's manifest of DELETED entries only is
          // listed by the snapshot that wrote it and left out by the next. (v2 manifest lists always
          // carry the counts; v1 tables are refused above.)
          base = base.filter((m) => m.added_files_count + m.existing_files_count > 0 || m.added_snapshot_id === snapshotId);
          // Small manifests are merged as Iceberg's own appends do (src/iceberg/merge.ts); what this
          // attempt merges is written for its parent only and goes with it if it fails.
          const merged = await mergeManifests([...mine.map((m) => m.manifest), ...base], { ...ctx, added: mine });
          // A rewrite's filtered manifests that the merge folded into a bigger one are listed by
          // nothing: delete them now, or every compaction that merges leaves a few behind.
          const listed = new Set(merged.manifests.map((m) => m.manifest_path));
          const folded = current.merged.filter((f) => !listed.has(f));
          if (folded.length) {
            current.merged = current.merged.filter((f) => listed.has(f));
            await Promise.all(folded.map((f) => this.io.delete(f).catch(() => undefined)));
          }
          current.merged.push(...merged.written);
          current.mergedAdded = merged.mergedAdded.map((m) => m.manifest_path);
          await this.io.write(
            list,
            encodeManifestList(merged.manifests, {
              snapshotId,
              ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
              sequenceNumber: BigInt(seq),
              formatVersion: meta.formatVersion,
            }),
          );
          current.state = 'pending';
          const snapshot: Snapshot = {
            snapshotId,
            ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
            sequenceNumber: seq,
            timestampMs: Math.max(Date.now(), (parent?.timestampMs ?? 0) + 1),
            manifestList: list,
            summary: snapshotSummary({
              operation: opts.operation ?? (removed.length ? 'replace' : 'append'),
              added: opts.files,
              removed,
              parent: parent?.summary,
              properties: { ...props, ...prepared },
            }),
            schemaId: meta.currentSchemaId,
          };
          try {
            const res = await this.catalog.commitTable(
              ident,
              [
                { type: 'assert-table-uuid', uuid: meta.tableUuid },
                { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: parent?.snapshotId ?? null },
              ],
              [
                { action: 'add-snapshot', snapshot },
                { action: 'set-snapshot-ref', refName: 'main', snapshotId, type: 'branch' },
              ],
            );
            await this.cleanup(attempts, list, manifests);
            return result(res, snapshot, false);
          } catch (err) {
            if (!isFloeError(err)) throw err;
            if (err.code !== 'COMMIT_CONFLICT') opts.onAttemptFailed?.(err, attempt);
            if (err.code === 'COMMIT_STATE_UNKNOWN') {
              unknown++;
              current.state = 'unknown';
              reload = 'unknown';
            } else if (err.code === 'COMMIT_CONFLICT') {
              conflicts++;
              current.state = 'failed';
              await this.discard(current);
              opts.onConflict?.(attempt);
              reload = 'conflict';
            } else {
              // Any other answer is definite: the catalog refused this request.
              current.state = 'failed';
              await this.discard(current);
              throw err;
            }
            if (attempt >= maxAttempts) {
              table = await this.load(ident, reload === 'unknown' ? 30 : undefined);
              const landed = findCommit(table.metadata, key, commitId);
              if (landed) {
                await this.cleanup(attempts, landed.manifestList, manifests);
                return result(table, landed, true);
              }
              // Whether this append may still land: only while an attempt of unknown outcome sits
              // on the current head. When none does, the caller's data files are nobody's.
              await this.settle(attempts, table.metadata);
              const mayLand = attempts.some((a) => a.state === 'unknown');
              throw new FloeError(err.code === 'COMMIT_CONFLICT' ? 'COMMIT_CONFLICT' : 'COMMIT_STATE_UNKNOWN', `append to ${ident.namespace.join('.')}.${ident.name} gave up after ${attempt} attempts: ${err.message}`, {
                cause: err,
                retryable: true,
                details: { mayLand },
              });
            }
            return undefined;
          }
        });
        if (done) return done;
        await sleep((opts.backoffMs ?? 50) * 2 ** Math.min(attempt - 1, 6) * (0.5 + Math.random()));
      }
    } catch (err) {
      if (table) await this.abandon(attempts, manifests, table.metadata, key, commitId);
      throw err;
    }
  }

  /** Runs `f` when the calls before it for the same `key` have ended (a queue per table). */
  private async inTurn<T>(key: string, f: () => Promise<T>): Promise<T> {
    const before = this.appending.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before ? before.then(() => mine) : mine;
    this.appending.set(key, tail);
    try {
      if (before) await before;
      return await f();
    } finally {
      done();
      if (this.appending.get(key) === tail) this.appending.delete(key);
    }
  }

  /**
   * An attempt whose outcome was unknown can no longer land once main has moved off its parent
   * without it (history is linear): its manifest list is then garbage like a 409's.
   */
  private async settle(attempts: Attempt[], meta: TableMetadata): Promise<void> {
    const head = branchHead(meta)?.snapshotId ?? null;
    for (const a of attempts) {
      if (a.state === 'unknown' && a.parentId !== head) {
        a.state = 'failed';
        await this.discard(a);
      }
    }
  }

  /** An attempt's own files: its manifest list and the manifests it merged. */
  private async discard(a: Attempt): Promise<void> {
    await Promise.all([a.list, ...a.merged].map((f) => this.io.delete(f).catch(() => undefined)));
  }

  /**
   * After success every other attempt is dead: main no longer points at any of their parents.
   * When the attempt that landed merged a new manifest into another, the new one is unreferenced.
   */
  private async cleanup(attempts: Attempt[], keep: string, manifests: NewManifest[] | undefined): Promise<void> {
    const landed = attempts.find((a) => a.list === keep);
    const mine = new Set((manifests ?? []).map((m) => m.manifest.manifest_path));
    await Promise.all([
      ...attempts.filter((a) => a.list !== keep && a.state !== 'failed').map((a) => this.discard(a)),
      ...(landed?.mergedAdded ?? []).filter((f) => mine.has(f)).map((f) => this.io.delete(f).catch(() => undefined)),
    ]);
  }

  /**
   * On giving up, remove what no attempt can still reference. While an attempt's outcome is
   * unknown its manifest list, and the new manifest it names, may yet become part of the table.
   */
  private async abandon(attempts: Attempt[], manifests: NewManifest[] | undefined, meta: TableMetadata, key: string, commitId: string): Promise<void> {
    if (findCommit(meta, key, commitId)) return;
    await this.settle(attempts, meta).catch(() => undefined);
    if (attempts.some((a) => a.state === 'unknown')) return;
    await Promise.all((manifests ?? []).map((m) => this.io.delete(m.manifest.manifest_path).catch(() => undefined)));
  }

  /**
   * One manifest per partition spec the files were written with (their `specId`, else the
   * table's default) and per content: data files and delete files go to separate manifests, as
   * the spec requires. A file keeps the spec of the writer that made it: when another engine
   * changes the table's partitioning while a batch is open, the batch's files are still listed
   * under the spec their partition tuples belong to (any spec the table has stays valid for its files).
   */
  private async writeManifests(meta: TableMetadata, snapshotId: bigint, files: readonly DataFile[]): Promise<NewManifest[]> {
    const groups = new Map<string, { specId: number; deletes: boolean; files: DataFile[] }>();
    const fallback = defaultSpec(meta).specId;
    for (const f of files) {
      const specId = f.specId ?? fallback;
      const deletes = f.content !== 0;
      const k = `${specId}:${deletes}`;
      const group = groups.get(k);
      if (group) group.files.push(f);
      else groups.set(k, { specId, deletes, files: [f] });
    }
    const schema = currentSchema(meta);
    return Promise.all(
      [...groups.values()].map(async ({ specId, deletes, files: group }) => {
        const spec = specById(meta, specId);
        if (!spec) throw new FloeError('METADATA_INVALID', `data file ${group[0]?.filePath} was written with partition spec ${specId}, which table ${meta.location} no longer has`);
        const partType = partitionType(spec, schema);
        const bytes = encodeManifest({
          schema,
          spec,
          partitionType: partType,
          formatVersion: meta.formatVersion,
          content: deletes ? 'deletes' : 'data',
          entries: group.map((file) => ({ status: 1, snapshotId, sequenceNumber: null, fileSequenceNumber: null, file })),
        });
        const location = `${metadataDir(meta)}/${randomUUID()}-m0.avro`;
        await this.io.write(location, bytes);
        const manifest: ManifestFile = {
          ...dataManifest(location, bytes.length, spec.specId, snapshotId, {
            added: group.length,
            existing: 0,
            deleted: 0,
            addedRows: BigInt(group.reduce((n, f) => n + f.recordCount, 0)),
            existingRows: 0n,
            deletedRows: 0n,
          }),
          ...(deletes ? { content: 1 } : {}),
          sequence_number: 0n,
          min_sequence_number: 0n,
          partitions: manifestPartitions(partType, group),
        };
        return { manifest, files: group };
      }),
    );
  }

}
