/**
 * Iceberg data file metrics of a written Parquet file, the way Iceberg's Java writers and
 * PyIceberg compute them:
 * - column sizes, value counts and null counts per leaf field id from the footer (sums over
 *   row groups). For leaves inside lists and maps the counts are Parquet's level entries, so an
 *   empty or null list counts one null value, as in Java's `footerMetrics` and PyIceberg.
 * - NaN counts (float, double) and lower/upper bounds from the statistics gathered while the
 *   rows were appended (exact, in Iceberg's order: strings by code point, binary unsigned), so
 *   no Parquet min/max has to be re-interpreted. Bounds only for leaves reached through structs
 *   alone (Java's `shouldStoreBounds`), strings and binary truncated as truncate(N) says.
 * - split offsets: where each row group starts.
 */
import type { FileMetaData } from 'hyparquet';
import type { LeafStats } from '../batch/stats.js';
import type { Value } from '../spec/types.js';
import { bytesToUuid, serializeValue, truncateBytesLower, truncateBytesUpper, truncateStringLower, truncateStringUpper } from '../spec/values.js';

export interface FileMetrics {
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  nanValueCounts: Map<number, number>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  splitOffsets: number[];
}

/** Bounds as Iceberg's metrics mode truncate(n) keeps them, single-value serialized. */
export function boundsOf(s: LeafStats, n: number): { lower?: Uint8Array; upper?: Uint8Array } {
  if (s.min === null || s.max === null) return {};
  let lo: Value | undefined = s.min;
  let hi: Value | undefined = s.max;
  if (s.type.type === 'uuid') {
    lo = bytesToUuid(lo as Uint8Array);
    hi = bytesToUuid(hi as Uint8Array);
  } else if (s.type.type === 'string') {
    lo = truncateStringLower(lo as string, n);
    hi = truncateStringUpper(hi as string, n);
  } else if (s.type.type === 'binary' || s.type.type === 'fixed') {
    lo = truncateBytesLower(lo as Uint8Array, n);
    hi = truncateBytesUpper(hi as Uint8Array, n);
  }
  // An upper bound that cannot be truncated (all code points maximal) is left out, as in Java.
  return { lower: serializeValue(s.type, lo), upper: hi === undefined ? undefined : serializeValue(s.type, hi) };
}

/** Leaf column path (names joined by '.') -> field id, from the footer's schema elements. */
function leafIds(meta: FileMetaData): Map<string, number> {
  const ids = new Map<string, number>();
  const walk = (i: number, prefix: readonly string[]): number => {
    const el = meta.schema[i];
    if (!el) return i + 1;
    const path = i === 0 ? [] : [...prefix, el.name];
    let next = i + 1;
    for (let c = 0; c < (el.num_children ?? 0); c++) next = walk(next, path);
    if (!el.num_children && el.field_id !== undefined) ids.set(path.join('.'), el.field_id);
    return next;
  };
  walk(0, []);
  return ids;
}

const add = (m: Map<number, number>, k: number, v: number) => m.set(k, (m.get(k) ?? 0) + v);

export function fileMetrics(meta: FileMetaData, size: number, stats: ReadonlyMap<number, LeafStats>, truncate: number): FileMetrics {
  const ids = leafIds(meta);
  const columnSizes = new Map<number, number>();
  const valueCounts = new Map<number, number>();
  const nullValueCounts = new Map<number, number>();
  const splitOffsets: number[] = [];
  const missingNulls = new Set<number>();
  for (const rg of meta.row_groups) {
    let start = Infinity;
    for (const col of rg.columns) {
      const md = col.meta_data;
      if (!md) continue;
      const first = Number(md.dictionary_page_offset ?? md.data_page_offset);
      if (first < start) start = first;
      const id = ids.get(md.path_in_schema.join('.'));
      if (id === undefined) continue;
      add(columnSizes, id, Number(md.total_compressed_size));
      add(valueCounts, id, Number(md.num_values));
      const nulls = md.statistics?.null_count;
      if (nulls !== undefined) add(nullValueCounts, id, Number(nulls));
      else missingNulls.add(id);
    }
    if (start !== Infinity) splitOffsets.push(start);
  }
  // A partial null count would be wrong, not just imprecise: leave it out (as Java does).
  for (const id of missingNulls) nullValueCounts.delete(id);
  const nanValueCounts = new Map<number, number>();
  const lowerBounds = new Map<number, Uint8Array>();
  const upperBounds = new Map<number, Uint8Array>();
  for (const [id, s] of stats) {
    if (s.type.type === 'float' || s.type.type === 'double') nanValueCounts.set(id, s.nanCount);
    const { lower, upper } = boundsOf(s, truncate);
    if (lower) lowerBounds.set(id, lower);
    if (upper) upperBounds.set(id, upper);
  }
  return {
    recordCount: Number(meta.num_rows),
    fileSizeInBytes: size,
    columnSizes,
    valueCounts,
    nullValueCounts,
    nanValueCounts,
    lowerBounds,
    upperBounds,
    splitOffsets,
  };
}
