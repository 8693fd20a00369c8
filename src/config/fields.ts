/** Value kinds of the config file as zod schemas: durations, sizes, identifiers, regexes, partition expressions. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { isFloeError } from '../errors.js';
import { parseTransform, type Transform } from '../spec/transforms.js';
import { formatDuration, parseDuration, parseSize } from './units.js';

export const duration = (min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration; write e.g. 500ms, 10s, 2m or 1h` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is too short; the minimum is ${formatDuration(min)}` });
      return z.NEVER;
    }
    return ms;
  });

export const size = (min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSize(v);
    if (b === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a size; write e.g. 64MiB, 1GB or a number of bytes` });
      return z.NEVER;
    }
    if (b < min) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is too small; the minimum is ${min} bytes` });
      return z.NEVER;
    }
    return b;
  });

const IDENT_PART = '[A-Za-z0-9_][\\w-]*';
export const tableIdent = z
  .string()
  .regex(new RegExp(`^${IDENT_PART}(\\.${IDENT_PART})+$`), 'must be namespace.table (letters, digits, _ and -), e.g. analytics.orders');

/** A field path in a record: `amount`, `customer.country`. */
export const fieldPath = z.string().regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/, 'must be a field name or a dotted path, e.g. customer.country');

/** Anchored, so that `orders` does not also match `orders-dlq`. */
export const topicRegex = z.string().transform((s, ctx) => {
  try {
    return new RegExp(`^(?:${s})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `'${s}' is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
    return z.NEVER;
  }
});

export interface PartitionField {
  /** The source column, a dotted path for nested fields. */
  readonly column: string;
  readonly transform: Transform;
  /** As written in the config, for messages. */
  readonly text: string;
}

const UNARY: Record<string, string> = { identity: 'identity', year: 'year', years: 'year', month: 'month', months: 'month', day: 'day', days: 'day', date: 'day', hour: 'hour', hours: 'hour', void: 'void' };
const COL = '([A-Za-z_][\\w.-]*)';

/**
 * Iceberg's transform syntax as Spark and Trino write it: `day(ts)` (also `days`), `hour(ts)`,
 * `bucket(16, id)`, `truncate(4, name)` (either argument order), `void(x)`, or a bare column
 * for identity.
 */
export function parsePartitionExpr(s: string): PartitionField {
  const text = s.trim();
  let m = new RegExp(`^${COL}$`).exec(text);
  if (m) return { column: m[1] as string, transform: { kind: 'identity' }, text };
  m = new RegExp(`^(\\w+)\\s*\\(\\s*${COL}\\s*\\)$`).exec(text);
  if (m) {
    const kind = UNARY[(m[1] as string).toLowerCase()];
    if (kind) return { column: m[2] as string, transform: parseTransform(kind), text };
    if (/^(bucket|truncate)$/i.test(m[1] as string)) throw new Error(`${(m[1] as string).toLowerCase()} needs a width: write e.g. ${(m[1] as string).toLowerCase()}(16, ${m[2]})`);
    throw new Error(`unknown transform '${m[1]}'; use identity, year, month, day, hour, bucket(N, col), truncate(W, col) or void`);
  }
  m = new RegExp(`^(bucket|truncate)\\s*\\(\\s*(?:(-?\\d+)\\s*,\\s*${COL}|${COL}\\s*,\\s*(-?\\d+))\\s*\\)$`, 'i').exec(text);
  if (m) {
    const n = m[2] ?? m[5];
    const column = (m[3] ?? m[4]) as string;
    try {
      return { column, transform: parseTransform(`${(m[1] as string).toLowerCase()}[${n}]`), text };
    } catch (err) {
      if (isFloeError(err)) throw new Error(`the width ${n} must be a positive integer up to 2147483647`);
      throw err;
    }
  }
  throw new Error('not a partition expression; write e.g. day(ts), bucket(16, id), truncate(4, name) or a column name');
}

export const partitionExpr = z.string().transform((s, ctx) => {
  try {
    return parsePartitionExpr(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `'${s}': ${(err as Error).message}` });
    return z.NEVER;
  }
});

/**
 * A PEM file named in the config, read at load time so that a missing file is reported with
 * its key before anything connects. Relative paths are relative to the config file.
 */
export const pemFile = (baseDir: () => string) =>
  z.string().min(1).transform((p, ctx) => {
    if (p.includes('-----BEGIN')) return p;
    const full = isAbsolute(p) ? p : resolve(baseDir(), p);
    try {
      return readFileSync(full, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot read '${p}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a PEM file` });
      return z.NEVER;
    }
  });
