/**
 * Rollup maintenance (DESIGN §5): the partial rows of a rollup table's small files are combined
 * into one row per (window, group) and written as new files, which replace the old ones in one
 * `replace` snapshot that carries the sink's offset maps forward. Exact by construction: the
 * combination of partial rows is associative (sum of counts and sums, min of mins, max of
 * maxes), so a combined row plus any partial row that arrives later combines to the same total.
 * No window needs to be closed for that; late events just add new partial rows again.
 *
 * Bounded: one commit per partition, at most `maxRows` input rows each (files are picked oldest
 * first until the budget is reached; the rest wait for the next run).
 */
import { readParquet } from 'parquet-wasm/node';
import { tableFromIPC, type Vector } from 'apache-arrow';
import type { RollupConfig } from '../config/mapping.js';
import { FloeError, isFloeError } from '../errors.js';
import { TableWriter, decodeManifest, decodeManifestList, type LoadedTable, type TableIdent, type TableOps } from '../iceberg/index.js';
import type { DataFile } from '../spec/data-file.js';
import { branchHead, currentSchema, defaultSpec, type TableMetadata } from '../spec/metadata.js';
import { partitionType } from '../spec/partition.js';
import { isPrimitive, type PrimitiveType, type Schema, type Value } from '../spec/types.js';
import { comparatorFor } from '../spec/values.js';

export type Row = { [k: string]: Value };

export interface MeasureColumn {
  name: string;
  fn: 'count' | 'sum' | 'min' | 'max';
}

export interface CompactOptions {
  /** Group-by columns (the table's), after window_start and window_end. */
  groups: readonly string[];
  measures: readonly MeasureColumn[];
  /** A partition is rewritten once it has this many files (default 4). */
  minFiles?: number;
  /** Input rows per commit at most (default 1,000,000). */
  maxRows?: number;
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
export function rollupColumns(r: Pick<RollupConfig, 'groupBy' | 'measures'>): Pick<CompactOptions, 'groups' | 'measures'> {
  return { groups: r.groupBy.map((g) => g.split('.').at(-1) as string), measures: r.measures.map(({ name, fn }) => ({ name, fn })) };
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** Reads a data file of flat primitive columns into rows of Floe's values, exactly (µs, unscaled decimals). */
export function readRows(bytes: Uint8Array, schema: Schema): Row[] {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const rows: Row[] = Array.from({ length: table.numRows }, () => ({}));
  for (const f of schema.fields) {
    if (!isPrimitive(f.type)) throw new FloeError('SCHEMA_INVALID', `column ${f.name}: rollup compaction reads flat columns only`);
    const t = f.type;
    const col = table.getChild(f.name) as Vector | null;
    if (!col) throw new FloeError('SCHEMA_INVALID', `column ${f.name} is not in the data file`);
    let i = 0;
    for (const d of col.data) {
      for (let j = 0; j < d.length; j++, i++) {
        (rows[i] as Row)[f.name] = d.getValid(j) ? valueAt(t, d.values as ArrayLike<unknown>, d.offset + j, () => col.get(i) as Value) : null;
      }
    }
  }
  return rows;
}

function valueAt(t: PrimitiveType, values: ArrayLike<unknown>, k: number, get: () => Value): Value {
  switch (t.type) {
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'time':
    case 'long':
      return values[k] as bigint;
    case 'date':
    case 'int':
      return values[k] as number;
    case 'decimal': {
      // 128-bit two's complement, four little-endian 32-bit words.
      const w = values as Uint32Array;
      const x = BigInt(w[k * 4] as number) | (BigInt(w[k * 4 + 1] as number) << 32n) | (BigInt(w[k * 4 + 2] as number) << 64n) | (BigInt(w[k * 4 + 3] as number) << 96n);
      return (w[k * 4 + 3] as number) & 0x80000000 ? x - (1n << 128n) : x;
    }
    default:
      return get();
  }
}

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
export function combineRows(rows: readonly Row[], schema: Schema, opts: Pick<CompactOptions, 'groups' | 'measures'>): Row[] {
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
    if (m.content !== 0) throw new FloeError('METADATA_INVALID', 'the table has delete files: a rollup table with row deletes is not compacted');
    const spec = meta.partitionSpecs.find((s) => s.specId === m.partition_spec_id);
    if (!spec) continue;
    for (const e of decodeManifest(await ops.io.read(m.manifest_path), partitionType(spec, schema))) if (e.status !== 2) out.push({ file: e.file, specId: spec.specId });
  }
  return out;
}

/** Compacts one rollup table; tables Floe is writing to at the same time are fine (optimistic commits). */
export async function compactRollup(ops: TableOps, ident: TableIdent, opts: CompactOptions, log: (msg: string) => void = () => undefined): Promise<CompactResult> {
  const minFiles = Math.max(2, opts.minFiles ?? 4);
  const maxRows = opts.maxRows ?? 1_000_000;
  const result: CompactResult = { partitions: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, snapshots: [] };
  let loaded: LoadedTable = await ops.load(ident);
  const spec = defaultSpec(loaded.metadata);
  const byPartition = new Map<string, DataFile[]>();
  for (const { file, specId } of await liveFiles(ops, loaded.metadata)) {
    if (specId !== spec.specId) continue;
    const k = JSON.stringify(file.partition, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
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
    const input: Row[] = [];
    for (const f of picked) input.push(...readRows(await ops.io.read(f.filePath), schema));
    const combined = combineRows(input, schema, opts);
    const w = new TableWriter(loaded.metadata, ops.io);
    for (const r of combined) await w.write(r);
    const written = await w.close();
    try {
      const res = await ops.append(ident, {
        files: written,
        loaded,
        removes: new Set(picked.map((f) => f.filePath)),
        operation: 'replace',
        commitIdKey: 'floe.rewrite-id',
        // The sink's offset maps go forward with the table (DESIGN §2), whatever the parent is.
        prepare: (meta) => Object.fromEntries(Object.entries(branchHead(meta)?.summary ?? {}).filter(([k]) => k.startsWith('floe.offsets.'))),
      });
      loaded = { ...loaded, metadata: res.metadata, ...(res.metadataLocation ? { metadataLocation: res.metadataLocation } : {}) };
      result.snapshots.push(String(res.snapshotId));
    } catch (err) {
      // Refused for good (another rewrite took these files): the new files are nobody's.
      if (isFloeError(err) && !err.retryable) await Promise.all(written.map((f) => ops.io.delete(f.filePath).catch(() => undefined)));
      throw err;
    }
    result.partitions++;
    result.filesIn += picked.length;
    result.filesOut += written.length;
    result.rowsIn += input.length;
    result.rowsOut += combined.length;
    log(`${ident.namespace.join('.')}.${ident.name}: ${picked.length} files, ${input.length} rows → ${written.length} files, ${combined.length} rows`);
  }
  return result;
}
