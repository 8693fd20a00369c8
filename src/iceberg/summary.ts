/**
 * Snapshot summaries and manifest-list partition summaries of an append.
 * Local to the commit path until src/spec/summary.ts exists; replace these then.
 */
import type { DataFile } from '../spec/data-file.js';
import type { Snapshot } from '../spec/metadata.js';
import type { NestedField, PrimitiveType } from '../spec/types.js';
import { comparatorFor, serializeValue } from '../spec/values.js';
import type { ManifestFile } from './manifest.js';

/** Totals engines read from the newest snapshot (Java's SnapshotSummary keeps the same set). */
export const TOTALS = ['total-records', 'total-files-size', 'total-data-files', 'total-delete-files', 'total-position-deletes', 'total-equality-deletes'] as const;

function partitionKey(f: DataFile): string {
  return JSON.stringify(f.partition, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

/**
 * The standard summary of an append, totals carried from the parent. A total the parent lacks
 * (a writer that did not keep it) stays absent rather than restarting from zero.
 */
export function appendSummary(files: readonly DataFile[], parent: Snapshot | undefined, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const records = files.reduce((n, f) => n + f.recordCount, 0);
  const bytes = files.reduce((n, f) => n + f.fileSizeInBytes, 0);
  const s: Record<string, string> = { operation: 'append' };
  if (files.length) {
    s['added-data-files'] = String(files.length);
    s['added-records'] = String(records);
    s['added-files-size'] = String(bytes);
  }
  s['changed-partition-count'] = String(new Set(files.map(partitionKey)).size);
  const delta: Record<(typeof TOTALS)[number], number> = {
    'total-records': records,
    'total-files-size': bytes,
    'total-data-files': files.length,
    'total-delete-files': 0,
    'total-position-deletes': 0,
    'total-equality-deletes': 0,
  };
  for (const key of TOTALS) {
    const prev = parent === undefined ? 0 : Number(parent.summary[key]);
    if (Number.isFinite(prev)) s[key] = String(prev + delta[key]);
  }
  return { ...s, ...extra };
}

/** Per partition field: null/NaN presence and value bounds over the files (manifest list `partitions`). */
export function partitionSummaries(partType: readonly NestedField[], files: readonly DataFile[]): NonNullable<ManifestFile['partitions']> {
  return partType.map((f, i) => {
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
