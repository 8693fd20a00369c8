/**
 * Compaction (DESIGN §5 maintenance, §6 small files): a partition's small files are read and
 * written again as fewer files, which replace them in one `replace` snapshot that carries the
 * sink's offset maps forward.
 * - Append tables: rows unchanged (bin-packing); files smaller than 3/4 of the target size count.
 * - Rollup tables (`combine`): the partial rows are combined into one row per (window, group).
 *   Exact by construction: the combination is associative (sum of counts and sums, min of mins,
 *   max of maxes), so a combined row plus any partial row that arrives later combines to the
 *   same total. No window needs to be closed; late events just add new partial rows again.
 *
 * Bounded: one commit per partition, at most `maxRows` input rows each (files are picked oldest
 * first until the budget is reached; the rest wait for the next run). Append rows are streamed
 * into the writer file by file; a rollup's rows are held to be combined.
 */
import type { RollupConfig } from '../config/mapping.js';
import { FloeError, isFloeError } from '../errors.js';
import { TableWriter, decodeManifest, decodeManifestList, type AppendOptions, type LoadedTable, type TableIdent, type TableOps, type TableWriterOptions } from '../iceberg/index.js';
import type { DataFile } from '../spec/data-file.js';
import { branchHead, currentSchema, type TableMetadata } from '../spec/metadata.js';
import { partitionType } from '../spec/partition.js';
import type { PrimitiveType, Schema, Value } from '../spec/types.js';
import { readDataFile, type Row } from '../parquet/read.js';
import { comparatorFor } from '../spec/values.js';

export type { Row } from '../parquet/read.js';

export interface MeasureColumn {
  name: string;
  fn: 'count' | 'sum' | 'min' | 'max';
}

export interface CompactOptions {
  /** A rollup table's columns: its partial rows are combined. Absent: an append table, rows kept. */
  combine?: Pick<CombineColumns, 'groups' | 'measures'>;
  /** A partition is rewritten once it has this many (small) files (default 4). */
  minFiles?: number;
  /** Input rows per commit at most (default 1,000,000). */
  maxRows?: number;
  /** The writer's settings for the new files (their target size also says which files are small). */
  writer?: TableWriterOptions;
  /** The commit's retries on conflict (default 30 attempts, back-off from 50 ms doubling). */
  commit?: Pick<AppendOptions, 'maxAttempts' | 'backoffMs'>;
}

export interface CombineColumns {
  /** Group-by columns (the table's), after window_start and window_end. */
  groups: readonly string[];
  measures: readonly MeasureColumn[];
}

export interface CompactResult {
  partitions: number;
  filesIn: number;
  filesOut: number;
  rowsIn: number;
  rowsOut: number;
  snapshots: string[];
}

/** The table's group and measure columns, as a mapping's rollup section names them. */
export function rollupColumns(r: Pick<RollupConfig, 'groupBy' | 'measures'>): CombineColumns {
  return { groups: r.groupBy.map((g) => g.split('.').at(-1) as string), measures: r.measures.map(({ name, fn }) => ({ name, fn })) };
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

function keyPart(v: Value): string {
  if (v === null) return '\u0000';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return `${typeof v}:${String(v)}`;
}

/**
 * Combines partial rows by (window_start, window_end, groups). A sum that would leave its
 * column's range (long, decimal(38)) closes the row and starts another for the same key, as the
 * sink's aggregator does (D13): still exact when read back with GROUP BY.
 */
export function combineRows(rows: readonly Row[], schema: Schema, opts: CombineColumns): Row[] {
  const keys = ['window_start', 'window_end', ...opts.groups];
  const typeOf = new Map(schema.fields.map((f) => [f.name, f.type as PrimitiveType]));
  const measures = opts.measures.map((m) => {
    const t = typeOf.get(m.name);
    if (!t) throw new FloeError('SCHEMA_INVALID', `measure column ${m.name} is not in the table`);
    const limit = t.type === 'decimal' ? 10n ** 38n : t.type === 'long' ? LONG_MAX : undefined;
    return { ...m, t, cmp: comparatorFor(t), limit };
  });
  const out: Row[] = [];
  const open = new Map<string, Row>();
  for (const r of rows) {
    const k = keys.map((c) => keyPart(r[c] ?? null)).join('|');
    let acc = open.get(k);
    if (!acc) {
      open.set(k, (acc = { ...r }));
      out.push(acc);
      continue;
    }
    // A sum that would overflow: this row starts a new partial row for the key.
    const overflows = measures.some((m) => {
      if ((m.fn !== 'sum' && m.fn !== 'count') || m.limit === undefined) return false;
      const a = acc?.[m.name];
      const b = r[m.name];
      if (typeof a !== 'bigint' || typeof b !== 'bigint') return false;
      const s = a + b;
      return m.t.type === 'decimal' ? s >= (m.limit as bigint) || s <= -(m.limit as bigint) : s > LONG_MAX || s < LONG_MIN;
    });
    if (overflows) {
      open.set(k, (acc = { ...r }));
      out.push(acc);
      continue;
    }
    for (const m of measures) {
      const a = acc[m.name] ?? null;
      const b = r[m.name] ?? null;
      if (b === null) continue;
      if (a === null) acc[m.name] = b;
      else if (m.fn === 'sum' || m.fn === 'count') acc[m.name] = typeof a === 'bigint' ? a + (b as bigint) : (a as number) + (b as number);
      else if (m.fn === 'min' ? m.cmp(b, a) < 0 : m.cmp(b, a) > 0) acc[m.name] = b;
    }
  }
  return out;
}

interface LiveFile {
  file: DataFile;
  specId: number;
}

async function liveFiles(ops: TableOps, meta: TableMetadata): Promise<LiveFile[]> {
  const head = branchHead(meta);
  if (!head) return [];
  const schema = currentSchema(meta);
  const out: LiveFile[] = [];
  for (const m of decodeManifestList(await ops.io.read(head.manifestList))) {
    if (m.content !== 0) throw new FloeError('METADATA_INVALID', 'the table has delete files (an upsert table, or row deletes by another engine): Floe does not compact such tables yet; use Spark rewrite_data_files');
    const spec = meta.partitionSpecs.find((s) => s.specId === m.partition_spec_id);
    if (!spec) continue;
    for (const e of decodeManifest(await ops.io.read(m.manifest_path), partitionType(spec, schema))) if (e.status !== 2) out.push({ file: e.file, specId: spec.specId });
  }
  return out;
}

/** Compacts one table; tables Floe is writing to at the same time are fine (optimistic commits). */
export async function compactTable(ops: TableOps, ident: TableIdent, opts: CompactOptions, log: (msg: string) => void = () => undefined): Promise<CompactResult> {
  const minFiles = Math.max(2, opts.minFiles ?? 4);
  const maxRows = opts.maxRows ?? 1_000_000;
  const result: CompactResult = { partitions: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, snapshots: [] };
  let loaded: LoadedTable = await ops.load(ident);
  // An append table's files at 3/4 of the target size or more are left as they are.
  const target = opts.writer?.targetFileBytes ?? Number(loaded.metadata.properties['write.target-file-size-bytes'] ?? 512 * 1024 * 1024);
  const small = opts.combine ? Infinity : (target * 3) / 4;
  // Files are grouped by partition within their spec. The new files are written with the
  // table's current spec: a partition of an older spec (the table was repartitioned) is rewritten
  // into the current one, as Iceberg's rewrite does.
  const byPartition = new Map<string, DataFile[]>();
  for (const { file, specId } of await liveFiles(ops, loaded.metadata)) {
    if (file.fileSizeInBytes >= small) continue;
    const k = `${specId}:${JSON.stringify(file.partition, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    byPartition.set(k, [...(byPartition.get(k) ?? []), file]);
  }
  for (const files of byPartition.values()) {
    if (files.length < minFiles) continue;
    // Oldest first (file names carry no order; the manifest order is newest first), within the budget.
    const picked: DataFile[] = [];
    let rows = 0;
    for (const f of [...files].reverse()) {
      if (picked.length >= 2 && rows + f.recordCount > maxRows) break;
      picked.push(f);
      rows += f.recordCount;
    }
    if (picked.length < 2) continue;
    const schema = currentSchema(loaded.metadata);
    const w = new TableWriter(loaded.metadata, ops.io, opts.writer);
    let rowsIn = 0;
    let rowsOut = 0;
    let written: DataFile[] = [];
    try {
      if (opts.combine) {
        const input: Row[] = [];
        for (const f of picked) input.push(...readDataFile(await ops.io.read(f.filePath), schema));
        const combined = combineRows(input, schema, opts.combine);
        for (const r of combined) await w.write(r);
        [rowsIn, rowsOut] = [input.length, combined.length];
      } else {
        for (const f of picked) {
          for (const r of readDataFile(await ops.io.read(f.filePath), schema)) await w.write(r);
          rowsIn += f.recordCount;
        }
        rowsOut = rowsIn;
      }
      written = await w.close();
    } catch (err) {
      await w.abort().catch(() => undefined);
      throw err;
    }
    // What the new files hold must be what was read (or combined): else nothing is committed.
    const out = written.reduce((n, f) => n + f.recordCount, 0);
    const inFiles = picked.reduce((n, f) => n + f.recordCount, 0);
    if (out !== rowsOut || rowsIn !== inFiles) {
      await Promise.all(written.map((f) => ops.io.delete(f.filePath).catch(() => undefined)));
      throw new FloeError('INTERNAL', `compaction of ${ident.namespace.join('.')}.${ident.name}: ${inFiles} rows in the files, ${rowsIn} read, ${rowsOut} to write, ${out} written; nothing committed`);
    }
    try {
      const res = await ops.append(ident, {
        files: written,
        loaded,
        removes: new Set(picked.map((f) => f.filePath)),
        operation: 'replace',
        commitIdKey: 'floe.rewrite-id',
        // A background job racing sinks that commit every second: more attempts than a sink's
        // commit gets (each rebuilds on the new head), so that it does not starve under load.
        maxAttempts: 30,
        ...opts.commit,
        // The sink's offset maps go forward with the table (DESIGN §2), whatever the parent is.
        prepare: (meta) => Object.fromEntries(Object.entries(branchHead(meta)?.summary ?? {}).filter(([k]) => k.startsWith('floe.offsets.'))),
      });
      loaded = { ...loaded, metadata: res.metadata, ...(res.metadataLocation ? { metadataLocation: res.metadataLocation } : {}) };
      result.snapshots.push(String(res.snapshotId));
    } catch (err) {
      // Refused for good (another rewrite took these files), or given up with no attempt that
      // may still land: the new files are nobody's. Else they stay for `floe orphans`.
      if (isFloeError(err) && (!err.retryable || err.details?.mayLand === false)) await Promise.all(written.map((f) => ops.io.delete(f.filePath).catch(() => undefined)));
      throw err;
    }
    result.partitions++;
    result.filesIn += picked.length;
    result.filesOut += written.length;
    result.rowsIn += rowsIn;
    result.rowsOut += rowsOut;
    log(`${ident.namespace.join('.')}.${ident.name}: ${picked.length} files, ${rowsIn} rows → ${written.length} files, ${rowsOut} rows`);
  }
  return result;
}
