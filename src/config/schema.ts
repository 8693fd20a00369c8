/**
 * The config file's schema (zod). Every key is named in errors with its path; unknown keys are
 * refused, since a typo must not silently fall back to a default.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { duration, pemFile, size } from './fields.js';
import { deadLetterSchema, mappingSchema } from './mapping.js';

const MiB = 1024 * 1024;

const saslPassword = z
  .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string().min(1), password: z.string() })
  .strict();
const saslOauth = z
  .object({
    mechanism: z.literal('oauthbearer'),
    /** OAuth2 client-credentials token endpoint. */
    tokenEndpoint: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scope: z.string().optional(),
  })
  .strict();

type PasswordSasl = z.output<typeof saslPassword>;
/** OAuth2 client credentials for SASL/OAUTHBEARER: the consumer fetches and refreshes the token. */
export type OAuthBearer = Omit<z.output<typeof saslOauth>, 'mechanism'>;

function kafkaSchema(baseDir: () => string) {
  return z
    .object({
      brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1, 'list at least one broker as host:port'),
      clientId: z.string().min(1).default('floe'),
      groupId: z.string().min(1).default('floe'),
      sasl: z.discriminatedUnion('mechanism', [saslPassword, saslOauth], { message: "expected mechanism 'plain', 'scram-sha-256', 'scram-sha-512' or 'oauthbearer'" }).optional(),
      ssl: z
        .union([
          z.boolean(),
          z
            .object({
              ca: pemFile(baseDir).optional(),
              cert: pemFile(baseDir).optional(),
              key: pemFile(baseDir).optional(),
              rejectUnauthorized: z.boolean().optional(),
            })
            .strict(),
        ])
        .optional(),
      fetch: z
        .object({
          minBytes: size(1).default(1),
          maxBytes: size(1024).default(50 * MiB),
          maxBytesPerPartition: size(1024).default(10 * MiB),
          maxWait: duration(0).default(500),
        })
        .strict()
        .optional(),
      autoOffsetReset: z.enum(['earliest', 'latest']).default('earliest'),
      sessionTimeout: duration(6000).default(30_000),
    })
    .strict()
    .superRefine((k, ctx) => {
      if (k.sasl?.mechanism === 'oauthbearer' && !k.ssl) ctx.addIssue({ code: 'custom', message: 'oauthbearer sends a bearer token: enable ssl as well', path: ['ssl'] });
    })
    .transform(({ sasl, ...k }): typeof k & { sasl?: PasswordSasl; oauthbearer?: OAuthBearer } => {
      // The Kafka client takes password SASL as is; OAuth needs a token provider built from these.
      if (sasl?.mechanism === 'oauthbearer') {
        const { mechanism: _m, ...oauthbearer } = sasl;
        return { ...k, oauthbearer };
      }
      return sasl ? { ...k, sasl } : k;
    });
}

const registrySchema = z
  .object({
    url: z.url(),
    username: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
    cacheSize: z.number().int().min(1).default(1000),
    timeout: duration(100).default(10_000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.token && r.username) ctx.addIssue({ code: 'custom', message: 'give token (bearer) or username/password (basic), not both', path: ['token'] });
    if (r.password !== undefined && !r.username) ctx.addIssue({ code: 'custom', message: 'password needs a username', path: ['username'] });
  })
  .transform(({ timeout, ...r }) => ({ ...r, timeoutMs: timeout }));

const catalogSchema = z
  .object({
    uri: z.url(),
    warehouse: z.string().optional(),
    prefix: z.string().optional(),
    token: z.string().optional(),
    oauth2: z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1), scope: z.string().optional(), serverUri: z.url().optional() }).strict().optional(),
    properties: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .refine((c) => !(c.token && c.oauth2), { message: 'give token or oauth2, not both', path: ['oauth2'] });

/**
 * The embedded catalog Floe starts in-process when the config has no catalog section: an Iceberg
 * REST catalog on 127.0.0.1 that engines can use too. Its store is a SQLite file in dataDir
 * unless a store is given; its tables go under storage.warehouse (or dataDir/warehouse).
 */
const embeddedCatalogSchema = (baseDir: () => string) =>
  z
    .object({
      dataDir: z
        .string()
        .min(1)
        .default('floe-data')
        .transform((p) => (isAbsolute(p) ? p : resolve(baseDir(), p))),
      store: z
        .string()
        .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH or postgres://user:password@host:port/db')
        .optional(),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9181),
      /** Hand storage.s3's keys to the catalog's clients (engines) with every table. */
      vendCredentials: z.boolean().default(false),
    })
    .strict();

const storageSchema = z
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
      .refine((s) => !s.accessKeyId === !s.secretAccessKey, { message: 'give accessKeyId and secretAccessKey together (or neither, for the default credential chain)', path: ['secretAccessKey'] })
      .optional(),
    warehouse: z.string().regex(/^(file|s3a?):\/\/./, "must be a URI: file:///path/to/warehouse or s3://bucket/prefix").optional(),
  })
  .strict();

export function buildConfigSchema(baseDir: () => string = () => process.cwd()) {
  return z
    .object({
      kafka: kafkaSchema(baseDir),
      registry: registrySchema.optional(),
      catalog: catalogSchema.optional(),
      embeddedCatalog: embeddedCatalogSchema(baseDir).prefault({}),
      storage: storageSchema.default({}),
      commit: z
        .object({
          interval: duration(1000).default(10_000),
          maxBytesPerTable: size(1024).default(256 * MiB),
          offsetsOnlyInterval: duration(1000).default(300_000),
        })
        .strict()
        .default({ interval: 10_000, maxBytesPerTable: 256 * MiB, offsetsOnlyInterval: 300_000 }),
      writer: z
        .object({
          targetFileSize: size(MiB).default(128 * MiB),
          compression: z.enum(['zstd', 'snappy', 'gzip', 'lz4', 'none']).default('zstd'),
          rowGroupSize: z.number().int().positive().default(100_000),
        })
        .strict()
        .default({ targetFileSize: 128 * MiB, compression: 'zstd', rowGroupSize: 100_000 }),
      memoryLimit: size(16 * MiB).default(512 * MiB),
      http: z
        .object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) })
        .strict()
        .default({ host: '127.0.0.1', port: 9464 }),
      deadLetter: deadLetterSchema.default({}),
      mappings: z.array(mappingSchema).min(1, 'at least one mapping is needed'),
    })
    .strict()
    .superRefine((c, ctx) => {
      if (!c.catalog && c.storage.s3 && !c.storage.warehouse) {
        ctx.addIssue({ code: 'custom', message: 'the embedded catalog (no catalog section) keeps its tables under storage.warehouse: set it to s3://bucket/prefix, or add a catalog section', path: ['storage', 'warehouse'] });
      }
      if (c.mappings.some((m) => m.format !== 'json') && !c.registry) {
        const i = c.mappings.findIndex((m) => m.format !== 'json');
        ctx.addIssue({ code: 'custom', message: `format '${c.mappings[i]?.format}' reads schemas from a registry: add a registry section with its url`, path: ['registry'] });
      }
    });
}

export const configSchema = buildConfigSchema();
export type FloeConfig = z.output<typeof configSchema>;
export type MappingConfig = FloeConfig['mappings'][number];

/** `db.orders` -> `db.orders_dlq`: the default dead-letter table of a mapping. */
export function defaultDeadLetterTable(table: string): string {
  return `${table}_dlq`;
}

/** The tables a mapping writes records to: its table, or its routes' tables and default. */
export function mappingTables(m: MappingConfig): string[] {
  return m.route ? [...new Set([...Object.values(m.route.tables), ...(m.route.default ? [m.route.default] : [])])] : [m.table];
}

/** A mapping's dead-letter table (its own setting, else the config's), or undefined when its dead letters go to a topic. */
export function deadLetterTable(m: MappingConfig, config: Pick<FloeConfig, 'deadLetter'>): string | undefined {
  const dl = m.deadLetter ?? config.deadLetter;
  return dl.topic ? undefined : (dl.table ?? defaultDeadLetterTable(m.table));
}
