/**
 * Orphan files: objects under a table's location that no part of the table reaches. A sink or a
 * compaction killed between writing a file and committing it leaves one; so does a commit that
 * lost and could not clean up, or another engine's failed job. Iceberg's remove_orphan_files, for
 * Floe's tables:
 * - reachable: the current metadata file and those in the metadata log; every snapshot's
 *   manifest list, its manifests and every file they list (whatever the entry's status);
 *   statistics files;
 * - listed: every object under the table's location (and under write.data.path /
 *   write.metadata.path when they lie elsewhere), with its last-modified time;
 * - an orphan is listed, not reachable and older than `olderThan`. The age is the only guard
 *   against a file being written for a commit still to come: a sink holds its batch's files
 *   through a catalog outage and commits them after it, so `olderThan` must be longer than any
 *   commit can be held up (default 3 days, as Iceberg's; the CLI refuses less than an hour).
 * Locations are compared after normalising the scheme (s3a:// and s3n:// are s3://; file:///x
 * is /x), so that files written by another engine under another spelling are not taken for orphans.
 */
import { dataDir, decodeManifestList, metadataDir, type TableIdent, type TableOps } from '../iceberg/index.js';
import { parseLocation } from '../io/index.js';
import { partitionStatisticsFiles, statisticsFiles } from '../spec/metadata.js';
import { FloeError } from '../errors.js';
import { eachLimited, manifestFiles } from './expire.js';

export interface OrphanOptions {
  /** Only files last written longer ago than this (ms) are orphans; default 3 days. */
  olderThanMs?: number;
  /** List them, delete nothing. */
  dryRun?: boolean;
  /**
   * Only under the directories Iceberg writers put files in (`<location>/data/` and
   * `<location>/metadata/`, or write.data.path / write.metadata.path), not the whole location:
   * what the service runs unattended, so that something else kept under a table's location
   * (another table nested in it, a user's files) is never taken for an orphan.
   */
  writerDirsOnly?: boolean;
  now?: number;
}

export interface OrphanResult {
  /** Objects listed under the table's locations. */
  listed: number;
  reachable: number;
  /** Unreachable and old enough: deleted unless a dry run. */
  orphans: string[];
  /** Unreachable but too new to be sure. */
  tooNew: number;
  deleted: number;
  undeleted: string[];
}

export const ORPHAN_DEFAULT_AGE_MS = 3 * 86_400_000;

/** One spelling per object: scheme, bucket and path. */
function norm(location: string): string {
  const p = parseLocation(location);
  return `${p.scheme}://${p.bucket}/${p.path.replace(/^\/+/, '')}`;
}

const within = (loc: string, prefix: string) => norm(loc).startsWith(norm(prefix.replace(/\/*$/, '/')));

export async function removeOrphanFiles(ops: TableOps, ident: TableIdent, opts: OrphanOptions = {}, log: (msg: string) => void = () => undefined): Promise<OrphanResult> {
  const name = `${ident.namespace.join('.')}.${ident.name}`;
  const loaded = await ops.load(ident);
  const meta = loaded.metadata;
  if (!loaded.metadataLocation) throw new FloeError('METADATA_INVALID', `${name}: the catalog did not say where the table's metadata file is; orphan files cannot be told apart`);
  const reachable = new Set<string>([loaded.metadataLocation, ...meta.metadataLog.map((e) => e.metadataFile)].map(norm));
  const add = (loc: string) => reachable.add(norm(loc));
  for (const s of [...statisticsFiles(meta), ...partitionStatisticsFiles(meta)]) add(String(s['statistics-path']));
  const manifests = new Set<string>();
  await eachLimited(meta.snapshots, 16, async (s) => {
    if (!s.manifestList) return;
    add(s.manifestList);
    for (const m of decodeManifestList(await ops.io.read(s.manifestList))) manifests.add(m.manifest_path);
  });
  await eachLimited([...manifests], 16, async (m) => {
    add(m);
    for (const f of manifestFiles(await ops.io.read(m))) add(f.path);
  });
  const location = meta.location.replace(/\/+$/, '');
  const prefixes = opts.writerDirsOnly ? [dataDir(meta), metadataDir(meta)] : [location, meta.properties['write.data.path'], meta.properties['write.metadata.path']].filter((p): p is string => !!p);
  const uniq = [...new Map(prefixes.map((p) => [norm(`${p.replace(/\/+$/, '')}/`), p])).values()];
  const roots = uniq.filter((p) => !uniq.some((q) => q !== p && within(p, q)));
  const cutoff = (opts.now ?? Date.now()) - (opts.olderThanMs ?? ORPHAN_DEFAULT_AGE_MS);
  const result: OrphanResult = { listed: 0, reachable: reachable.size, orphans: [], tooNew: 0, deleted: 0, undeleted: [] };
  for (const root of roots) {
    for await (const f of ops.io.listFiles(`${root.replace(/\/+$/, '')}/`)) {
      result.listed++;
      // A Hadoop-style catalog's pointer file belongs to the table though no metadata names it.
      if (reachable.has(norm(f.location)) || f.location.endsWith('/version-hint.text')) continue;
      if (f.modifiedMs >= cutoff) result.tooNew++;
      else result.orphans.push(f.location);
    }
  }
  if (opts.dryRun) return result;
  await eachLimited(result.orphans, 16, async (f) => {
    try {
      await ops.io.delete(f);
      result.deleted++;
    } catch (err) {
      result.undeleted.push(`${f}: ${(err as Error).message}`);
    }
  });
  log(`${name}: ${result.listed} files listed, ${result.deleted} orphans deleted, ${result.tooNew} unreachable but newer than the age limit kept`);
  return result;
}
