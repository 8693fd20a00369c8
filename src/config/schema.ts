/**
 * The config file's schema (zod). Every key is named in errors with its path; unknown keys are
 * refused (a typo must not silently fall back to a default).
 */
import { z } from 'zod';
import { parseTransform } from '../spec/transforms.js';
import { parseDuration, parseSize } from './units.js';

const duration = (min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration; write e.g. 500ms, 10s, 2m or 1h` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is too short; the minimum is ${min >= 1000 ? `${min / 1000}s` : `${min}ms`}` });
      return z.NEVER;
    }
    return ms;
  });

const size = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSize(v);
    if (b === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a size; write e.g. 64MiB, 1GB or a number of bytes` });
      return z.NEVER;
    }
    return b;
  });

const tableIdent = z.string().regex(/^[A-Za-z0-9_][\w-]*(\.[A-Za-z0-9_][\w-]*)+$/, 'must be namespace.table (letters, digits, _ and -), e.g. analytics.orders');

/** `day(ts)`, `bucket(16, id)`, `truncate(4, name)`, `hour(ts)`, `merchant` (identity), `void(x)`. */
export const partitionExpr = z.string().transform((s, ctx) => {
  const m = /^\s*(?:(year|month|day|hour|void|identity)\s*\(\s*([\w.]+)\s*\)|(bucket|truncate)\s*\(\s*(\d+)\s*,\s*([\w.]+)\s*\)|([\w.]+))\s*$/.exec(s);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `'${s}' is not a partition expression; write e.g. day(ts), bucket(16, id), truncate(4, name) or a column name` });
    return z.NEVER;
  }
  if (m[6]) return { column: m[6], transform: parseTransform('identity') };
  if (m[1]) return { column: m[2] as string, transform: parseTransform(m[1]) };
  return { column: m[5] as string, transform: parseTransform(`${m[3]}[${m[4]}]`) };
});

const regex = z.string().transform((s, ctx) => {
  try {
    return new RegExp(`^(?:${s})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `'${s}' is not a valid regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const KAFKA_COLUMNS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'headers'] as const;

const column = z.object({ name: z.string().min(1), type: z.string().min(1), required: z.boolean().default(false) }).strict();

const deadLetter = z
  .object({ table: tableIdent.optional(), topic: z.string().min(1).optional() })
  .strict()
  .refine((d) => !(d.table && d.topic), 'set either table or topic, not both');

const mapping = z
  .object({
    topics: z.array(z.string().min(1)).min(1).optional(),
    topicPattern: regex.optional(),
    table: tableIdent,
    format: z.enum(['avro', 'json-schema', 'json'], { message: "expected 'avro', 'json-schema' or 'json'" }).default('avro'),
    schema: z.array(column).min(1).optional(),
    mode: z.string().default('append'),
    partitionBy: z.array(partitionExpr).default([]),
    kafkaColumns: z.array(z.enum(KAFKA_COLUMNS, { message: `expected one of ${KAFKA_COLUMNS.join(', ')}` })).default([]),
    route: z
      .object({ field: z.string().min(1), tables: z.record(z.string(), tableIdent), default: tableIdent.optional() })
      .strict()
      .optional(),
    autoCreate: z.boolean().default(true),
    schemaEvolution: z.enum(['none', 'add-columns']).default('none'),
    deadLetter: deadLetter.optional(),
    rollup: z.unknown().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (!m.topics && !m.topicPattern) ctx.addIssue({ code: 'custom', message: 'give topics (a list) or topicPattern (a regular expression)', path: ['topics'] });
    if (m.topics && m.topicPattern) ctx.addIssue({ code: 'custom', message: 'give topics or topicPattern, not both', path: ['topicPattern'] });
    if (m.format === 'json' && !m.schema) ctx.addIssue({ code: 'custom', message: "format 'json' needs a declared schema: a list of {name, type} columns", path: ['schema'] });
    if (m.mode === 'upsert') ctx.addIssue({ code: 'custom', message: "'upsert' is not supported yet; use 'append'", path: ['mode'] });
    else if (m.mode === 'rollup') ctx.addIssue({ code: 'custom', message: "'rollup' is not supported yet; use 'append'", path: ['mode'] });
    else if (m.mode !== 'append') ctx.addIssue({ code: 'custom', message: `'${m.mode}' is not a mapping mode; use 'append'`, path: ['mode'] });
  });

export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1),
        clientId: z.string().default('floe'),
        groupId: z.string().min(1).default('floe'),
        sasl: z
          .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() })
          .strict()
          .optional(),
        ssl: z.union([z.boolean(), z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict()]).optional(),
        autoOffsetReset: z.enum(['earliest', 'latest']).default('earliest'),
        sessionTimeout: duration(6000).default(30_000),
      })
      .strict(),
    registry: z
      .object({ url: z.url(), username: z.string().optional(), password: z.string().optional(), token: z.string().optional() })
      .strict()
      .optional(),
    catalog: z
      .object({
        uri: z.url(),
        warehouse: z.string().optional(),
        prefix: z.string().optional(),
        token: z.string().optional(),
        oauth2: z.object({ clientId: z.string(), clientSecret: z.string(), scope: z.string().optional(), serverUri: z.url().optional() }).strict().optional(),
        properties: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .optional(),
    storage: z
      .object({
        s3: z
          .object({
            endpoint: z.url().optional(),
            region: z.string().default('us-east-1'),
            pathStyle: z.boolean().optional(),
            accessKeyId: z.string().optional(),
            secretAccessKey: z.string().optional(),
          })
          .strict()
          .optional(),
        warehouse: z.string().optional(),
      })
      .strict()
      .default({}),
    commit: z
      .object({
        interval: duration(1000).default(10_000),
        maxBytesPerTable: size().default(256 * 1024 * 1024),
        offsetsOnlyInterval: duration(1000).default(300_000),
      })
      .strict()
      .default({ interval: 10_000, maxBytesPerTable: 256 * 1024 * 1024, offsetsOnlyInterval: 300_000 }),
    writer: z
      .object({
        targetFileSize: size().default(128 * 1024 * 1024),
        compression: z.enum(['zstd', 'snappy', 'gzip', 'lz4', 'none']).default('zstd'),
        rowGroupSize: z.number().int().positive().default(100_000),
      })
      .strict()
      .default({ targetFileSize: 128 * 1024 * 1024, compression: 'zstd', rowGroupSize: 100_000 }),
    memoryLimit: size().default(512 * 1024 * 1024),
    http: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).strict().default({ host: '127.0.0.1', port: 9464 }),
    deadLetter: deadLetter.default({}),
    mappings: z.array(mapping).min(1, 'at least one mapping is needed'),
  })
  .strict();

export type FloeConfig = z.output<typeof configSchema>;
export type MappingConfig = FloeConfig['mappings'][number];
