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
import { ancestors, branchHead, currentSchema, defaultSpec, type Snapshot, type TableMetadata } from '../spec/metadata.js';
import { partitionType } from '../spec/partition.js';
import type { PrimitiveType } from '../spec/types.js';
import { comparatorFor, serializeValue } from '../spec/values.js';
import { decodeManifestList, encodeManifest, encodeManifestList, type ManifestFile } from './manifest.js';
import type { LoadedTable, RestCatalog, TableIdent } from './rest-client.js';

export const COMMIT_ID_PROPERTY = 'floe.commit-id';

export interface AppendOptions {
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
}

export interface AppendResult {
  snapshotId: bigint;
  metadata: TableMetadata;
  metadataLocation: string | undefined;
  attempts: number;
  conflicts: number;
  /** The commit was found by its id after an unknown outcome. */
  recovered: boolean;
}

export function newSnapshotId(): bigint {
  // Positive 63-bit, like Java's and PyIceberg's generators.
  return randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function add(summary: Record<string, string>, parent: Readonly<Record<string, string>> | undefined, total: string, delta: number): void {
  const prev = parent === undefined ? 0 : Number(parent[total]);
  if (Number.isFinite(prev)) summary[total] = String(prev + delta);
}

/** The standard summary of an append, totals carried from the parent (as Java's SnapshotSummary). */
export function appendSummary(files: readonly DataFile[], parent: Snapshot | undefined, partitions: number, extra: Record<string, string> = {}): Record<string, string> {
  const records = files.reduce((n, f) => n + f.recordCount, 0);
  const bytes = files.reduce((n, f) => n + f.fileSizeInBytes, 0);
  const s: Record<string, string> = { operation: 'append' };
  if (files.length) {
    s['added-data-files'] = String(files.length);
    s['added-records'] = String(records);
    s['added-files-size'] = String(bytes);
    s['changed-partition-count'] = String(partitions);
  }
  const p = parent?.summary;
  add(s, p, 'total-records', records);
  add(s, p, 'total-files-size', bytes);
  add(s, p, 'total-data-files', files.length);
  add(s, p, 'total-delete-files', 0);
  add(s, p, 'total-position-deletes', 0);
  add(s, p, 'total-equality-deletes', 0);
  return { ...s, ...extra };
}

function partitionSummaries(meta: TableMetadata, files: readonly DataFile[]): ManifestFile['partitions'] {
  const spec = defaultSpec(meta);
  if (spec.fields.length === 0) return [];
  const ptype = partitionType(spec, currentSchema(meta));
  return ptype.map((f, i) => {
    const t = f.type as PrimitiveType;
    const cmp = comparatorFor(t);
    let containsNull = false;
    let containsNan = false;
    let lo: unknown = null;
    let hi: unknown = null;
    for (const file of files) {
      const v = file.partition[i] ?? null;
      if (v === null) containsNull = true;
      else if (typeof v === 'number' && Number.isNaN(v)) containsNan = true;
      else {
        if (lo === null || cmp(v, lo as never) < 0) lo = v;
        if (hi === null || cmp(v, hi as never) > 0) hi = v;
      }
    }
    return {
      contains_null: containsNull,
      contains_nan: containsNan,
      lower_bound: lo === null ? null : Buffer.from(serializeValue(t, lo as never)),
      upper_bound: hi === null ? null : Buffer.from(serializeValue(t, hi as never)),
    };
  });
}

export function metadataDir(meta: TableMetadata): string {
  return meta.properties['write.metadata.path'] ?? `${meta.location.replace(/\/+$/, '')}/metadata`;
}

export function dataDir(meta: TableMetadata): string {
  return meta.properties['write.data.path'] ?? `${meta.location.replace(/\/+$/, '')}/data`;
}

export class TableOps {
  constructor(
    readonly catalog: RestCatalog,
    readonly io: FileIO,
  ) {}

  /** Loads, retrying while the outcome of a previous call is unknown (catalog restarting). */
  async load(ident: TableIdent, attempts = 8): Promise<LoadedTable> {
    for (let i = 1; ; i++) {
      try {
        return await this.catalog.loadTable(ident);
      } catch (err) {
        if (!isFloeError(err) || !err.retryable || i >= attempts) throw err;
        await sleep(Math.min(5000, 100 * 2 ** i));
      }
    }
  }

  async append(ident: TableIdent, opts: AppendOptions): Promise<AppendResult> {
    const key = opts.commitIdKey ?? COMMIT_ID_PROPERTY;
    const commitId = opts.properties?.[key] ?? randomUUID();
    const props = { ...opts.properties, [key]: commitId };
    const maxAttempts = opts.maxAttempts ?? 10;
    const snapshotId = newSnapshotId();
    let table = opts.loaded ?? (await this.load(ident));
    let manifest: ManifestFile | undefined;
    let conflicts = 0;
    const written: string[] = [];

    for (let attempt = 1; ; attempt++) {
      const meta = table.metadata;
      const prepared = opts.prepare?.(meta) ?? {};
      const parent = branchHead(meta);
      const seq = meta.formatVersion >= 2 ? meta.lastSequenceNumber + 1 : 0;
      if (opts.files.length > 0 && !manifest) manifest = await this.writeManifest(meta, snapshotId, opts.files);
      const parentManifests = parent?.manifestList ? decodeManifestList(await this.io.read(parent.manifestList)) : [];
      const mine = manifest ? [{ ...manifest, sequence_number: BigInt(seq), min_sequence_number: BigInt(seq) }] : [];
      const listLocation = `${metadataDir(meta)}/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
      const listBytes = encodeManifestList([...mine, ...parentManifests], {
        snapshotId,
        ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
        sequenceNumber: BigInt(seq),
        formatVersion: meta.formatVersion,
      });
      await this.io.write(listLocation, listBytes);
      written.push(listLocation);
      const partitions = new Set(opts.files.map((f) => JSON.stringify(f.partition, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))).size;
      const snapshot: Snapshot = {
        snapshotId,
        ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
        sequenceNumber: seq,
        timestampMs: Math.max(Date.now(), (parent?.timestampMs ?? 0) + 1),
        manifestList: listLocation,
        summary: appendSummary(opts.files, parent, partitions, { ...props, ...prepared }),
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
        return { snapshotId, metadata: res.metadata, metadataLocation: res.metadataLocation, attempts: attempt, conflicts, recovered: false };
      } catch (err) {
        if (!isFloeError(err)) throw err;
        if (err.code === 'COMMIT_STATE_UNKNOWN') {
          table = await this.load(ident, 30);
          const found = [...ancestors(table.metadata, branchHead(table.metadata))].slice(0, 100).find((s) => s.summary[key] === commitId);
          if (found) {
            return { snapshotId: found.snapshotId, metadata: table.metadata, metadataLocation: table.metadataLocation, attempts: attempt, conflicts, recovered: true };
          }
        } else if (err.code === 'COMMIT_CONFLICT') {
          conflicts++;
          opts.onConflict?.(attempt);
          table = await this.load(ident);
        } else throw err;
        // The attempt's manifest list is orphaned (nothing references it): remove it.
        await this.io.delete(listLocation).catch(() => undefined);
        if (attempt >= maxAttempts) {
          throw new FloeError(err.code === 'COMMIT_CONFLICT' ? 'COMMIT_CONFLICT' : 'CATALOG_ERROR', `append to ${ident.namespace.join('.')}.${ident.name} gave up after ${attempt} attempts: ${err.message}`, {
            cause: err,
            retryable: true,
          });
        }
        await sleep((opts.backoffMs ?? 50) * 2 ** Math.min(attempt - 1, 6) * (0.5 + Math.random()));
      }
    }
  }

  private async writeManifest(meta: TableMetadata, snapshotId: bigint, files: readonly DataFile[]): Promise<ManifestFile> {
    const schema = currentSchema(meta);
    const spec = defaultSpec(meta);
    const bytes = encodeManifest({
      schema,
      spec,
      partitionType: partitionType(spec, schema),
      formatVersion: meta.formatVersion,
      entries: files.map((file) => ({ status: 1, snapshotId, sequenceNumber: null, fileSequenceNumber: null, file })),
    });
    const location = `${metadataDir(meta)}/${randomUUID()}-m0.avro`;
    await this.io.write(location, bytes);
    return {
      manifest_path: location,
      manifest_length: BigInt(bytes.length),
      partition_spec_id: spec.specId,
      content: 0,
      sequence_number: 0n,
      min_sequence_number: 0n,
      added_snapshot_id: snapshotId,
      added_files_count: files.length,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: BigInt(files.reduce((n, f) => n + f.recordCount, 0)),
      existing_rows_count: 0n,
      deleted_rows_count: 0n,
      partitions: partitionSummaries(meta, files),
      key_metadata: null,
    };
  }
}
