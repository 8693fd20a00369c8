/** One topic-to-table mapping of the config file, rollup section included (issue 7's shape). */
import { z } from 'zod';
import { parseColumnType } from './columns.js';
import { duration, fieldPath, partitionExpr, tableIdent, topicRegex } from './fields.js';

export const KAFKA_COLUMNS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'headers'] as const;
export const MAPPING_MODES = ['append', 'rollup', 'upsert'] as const;

export const deadLetterSchema = z
  .object({ table: tableIdent.optional(), topic: z.string().min(1).optional() })
  .strict()
  .refine((d) => !(d.table && d.topic), 'set either table or topic, not both');

const column = z
  .object({
    name: z.string().regex(/^[A-Za-z_][\w-]*$/, 'must be a column name (letters, digits, _ and -)'),
    type: z.string().min(1),
    required: z.boolean().default(false),
    doc: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    try {
      parseColumnType(c.type);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `'${c.type}' is not an Iceberg type: ${(err as Error).message}; write e.g. long, decimal(12, 2), list<string>, struct<a: int>`, path: ['type'] });
    }
  });

/** A JSON Schema given inline: only its outline is checked here; conversion errors name it at start. */
const jsonSchemaDoc = z
  .looseObject({ type: z.literal('object', { message: "a JSON Schema for a table must have type 'object'" }), properties: z.record(z.string(), z.unknown()) })
  .transform((s) => s as Record<string, unknown>);

const declaredSchema = z.union([
  z
    .array(column)
    .min(1, 'declare at least one column')
    .superRefine((cols, ctx) => {
      const seen = new Set<string>();
      cols.forEach((c, i) => {
        if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `column '${c.name}' is declared twice`, path: [i, 'name'] });
        seen.add(c.name);
      });
    }),
  jsonSchemaDoc,
], { message: 'expected a list of {name, type} columns or a JSON Schema object with type: object and properties' });

export type MeasureFn = 'count' | 'sum' | 'min' | 'max';
export interface Measure {
  readonly fn: MeasureFn;
  /** The measured field (dotted path); absent for count. */
  readonly field?: string;
  /** The measure's column in the rollup table. */
  readonly name: string;
}

const measure = z.string().transform((s, ctx): Measure => {
  const m = /^\s*(count|sum|min|max)\s*(?:\(\s*([A-Za-z_*][\w.-]*)?\s*\))?\s*(?:\s+as\s+([A-Za-z_]\w*))?\s*$/i.exec(s);
  const fn = m?.[1]?.toLowerCase() as MeasureFn | undefined;
  const field = m?.[2] === '*' ? undefined : m?.[2];
  if (!m || !fn || (fn !== 'count' && !field) || (fn === 'count' && field)) {
    ctx.addIssue({ code: 'custom', message: `'${s}' is not a measure; write count, sum(field), min(field) or max(field), optionally followed by 'as name'` });
    return z.NEVER;
  }
  return { fn, ...(field ? { field } : {}), name: m[3] ?? (field ? `${fn}_${field.replace(/[.-]/g, '_')}` : 'count') };
});

const rollupSchema = z
  .object({
    timeField: fieldPath.optional(),
    /** Windows by the Kafka record timestamp instead of a field of the value. */
    kafkaTimestamp: z.boolean().optional(),
    window: duration(1000),
    groupBy: z.array(fieldPath).default([]),
    measures: z.array(measure).min(1, 'name at least one measure, e.g. [count, sum(amount)]'),
    lateness: duration(1).optional(),
    /**
     * The view of exact totals, created where the catalog supports views: its name (default
     * <table>_totals) and the engines' name for this catalog, in which they resolve its query.
     * false: no view.
     */
    view: z
      .union([z.literal(false), z.object({ name: tableIdent.optional(), catalog: z.string().min(1).default('iceberg') }).strict()], {
        message: 'expected false or {name, catalog}',
      })
      .default({ catalog: 'iceberg' }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.timeField === !r.kafkaTimestamp) ctx.addIssue({ code: 'custom', message: 'give exactly one of timeField (an event-time field) or kafkaTimestamp: true', path: ['timeField'] });
    const names = new Set(['window_start', 'window_end']);
    r.groupBy.forEach((g, i) => {
      const col = g.split('.').at(-1) as string;
      if (names.has(col)) ctx.addIssue({ code: 'custom', message: `'${g}' gives a column '${col}' that another group-by field or the window already has`, path: ['groupBy', i] });
      names.add(col);
    });
    r.measures.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', message: `measure column '${m.name}' is already used; rename it with 'as', e.g. '${m.fn}${m.field ? `(${m.field})` : ''} as ${m.name}_2'`, path: ['measures', i] });
      names.add(m.name);
    });
  });

export type RollupConfig = z.output<typeof rollupSchema>;

/**
 * An upsert mapping's key and deletes: the table keeps the newest row per key (equality deletes,
 * D28). `deleteWhen`: a record whose field has this value deletes its key (e.g. Debezium's
 * `__deleted: "true"` from ExtractNewRecordState with delete.handling.mode=rewrite).
 */
const upsertSchema = z
  .object({
    key: z
      .array(z.string().regex(/^[A-Za-z_][\w-]*$/, 'must be a top-level field name (nested keys are not supported yet)'))
      .min(1, 'name at least one key field, e.g. [id]')
      .refine((k) => new Set(k).size === k.length, 'a key field is listed twice'),
    deleteWhen: z
      .object({ field: fieldPath, equals: z.union([z.string(), z.number(), z.boolean()], { message: 'expected a string, number or boolean value' }).transform(String) })
      .strict()
      .optional(),
  })
  .strict();

export type UpsertConfig = z.output<typeof upsertSchema>;

/** What an upsert mapping cannot have yet, and a partitioning that would leave old rows undeleted. */
function checkUpsert(m: { route?: unknown; compact?: unknown; schemaEvolution?: unknown; partitionBy?: unknown; upsert?: { key?: unknown } }, ctx: z.RefinementCtx): void {
  if (m.route !== undefined) ctx.addIssue({ code: 'custom', message: 'routing by a field is not available with mode: upsert (a key must always reach the same table); write one upsert mapping per table', path: ['route'] });
  if (m.compact !== undefined) ctx.addIssue({ code: 'custom', message: "Floe does not compact tables with deletes yet: remove compact and compact the table with Spark's rewrite_data_files (README, Upserts)", path: ['compact'] });
  if (m.schemaEvolution === 'add-columns') ctx.addIssue({ code: 'custom', message: 'schema evolution is not available with mode: upsert yet: remove schemaEvolution (or set it to none)', path: ['schemaEvolution'] });
  const key = Array.isArray(m.upsert?.key) ? (m.upsert.key as string[]) : [];
  (Array.isArray(m.partitionBy) ? m.partitionBy : []).forEach((p: { column?: string; text?: string } | null, i: number) => {
    if (typeof p !== 'object' || p === null || typeof p.column !== 'string') return;
    if (key.length > 0 && !key.includes(p.column)) {
      ctx.addIssue({ code: 'custom', message: `'${p.text ?? p.column}' partitions by '${p.column}', which is not a key field: a row whose '${p.column}' changed would land in another partition than its older version's delete; partition by key fields only (or not at all)`, path: ['partitionBy', i] });
    }
  });
}

export const mappingSchema = z
  .object({
    topics: z.array(z.string().min(1)).min(1, 'list at least one topic').optional(),
    topicPattern: topicRegex.optional(),
    table: tableIdent,
    format: z.enum(['avro', 'json-schema', 'json']).default('avro'),
    schema: declaredSchema.optional(),
    mode: z.string().default('append'),
    partitionBy: z.array(partitionExpr).default([]),
    kafkaColumns: z.array(z.enum(KAFKA_COLUMNS)).default([]),
    route: z
      .object({
        field: fieldPath,
        tables: z.record(z.string(), tableIdent).refine((t) => Object.keys(t).length > 0, 'map at least one field value to a table'),
        default: tableIdent.optional(),
      })
      .strict()
      .optional(),
    autoCreate: z.boolean().default(true),
    /**
     * Compaction in the service (as `floe compact`): every `every` (with jitter), partitions with
     * at least minFiles small files are rewritten (a rollup's partial rows combined). Off when absent.
     */
    compact: z
      .object({
        every: duration(1000),
        minFiles: z.number().int().min(2).default(8),
        maxRows: z.number().int().min(1).default(1_000_000),
      })
      .strict()
      .optional(),
    /**
     * Snapshot expiry in the service (as `floe expire`), on by default: every `every` (with
     * jitter), snapshots older than `olderThan` beyond the newest `retainLast` of each branch are
     * removed with the files only they reached; offset maps are kept. `olderThan`/`retainLast`
     * default to the table's history.expire.max-snapshot-age-ms / min-snapshots-to-keep, else
     * 1 day / 100. `maxSnapshots` (default 10,000) bounds what the age keeps on each branch: a
     * day of 1 s commits would otherwise be ~80 MB of metadata. `false` turns it off.
     */
    expire: z
      .union([
        z.literal(false),
        z
          .object({
            every: duration(60_000).default(3_600_000),
            // At least a minute: a sink looks for its own commit among recent snapshots (DESIGN §2 rule 5).
            olderThan: duration(60_000).optional(),
            retainLast: z.number().int().min(1).optional(),
            maxSnapshots: z.number().int().min(1).optional(),
          })
          .strict(),
      ])
      .default({ every: 3_600_000 }),
    /**
     * Orphan file removal in the service (as `floe orphans`), on by default: every `every` (the
     * first run within 10 minutes of start), files under the table's data and metadata
     * directories that nothing in the table reaches and that were last written longer than
     * `olderThan` ago are deleted: what a sink or a compaction killed before its commit left.
     * `olderThan` must outlast any commit held up by an outage (a sink commits its files after
     * one). `false` turns it off.
     */
    orphans: z
      .union([
        z.literal(false),
        z
          .object({
            every: duration(60_000).default(86_400_000),
            olderThan: duration(3_600_000).default(3 * 86_400_000),
          })
          .strict(),
      ])
      .default({ every: 86_400_000, olderThan: 3 * 86_400_000 }),
    /** Iceberg table properties set when Floe creates the table (e.g. commit.manifest.min-count-to-merge). */
    tableProperties: z
      .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()], { message: 'expected a string, number or boolean value' }).transform(String))
      .default({})
      .superRefine((p, ctx) => {
        if (p['format-version'] !== undefined && p['format-version'] !== '2') ctx.addIssue({ code: 'custom', message: 'Floe writes format v2 tables: remove format-version or set it to 2', path: ['format-version'] });
        if (p['write.format.default'] !== undefined && p['write.format.default'].toLowerCase() !== 'parquet') ctx.addIssue({ code: 'custom', message: 'Floe writes Parquet: remove write.format.default or set it to parquet', path: ['write.format.default'] });
      }),
    schemaEvolution: z.enum(['none', 'add-columns']).default('none'),
    deadLetter: deadLetterSchema.optional(),
    rollup: rollupSchema.optional(),
    upsert: upsertSchema.optional(),
  })
  .strict()
  // Runs even when a key above is invalid, so that every problem is reported at once: hence
  // the defensive reads.
  .superRefine(
    (m, ctx) => {
      if (typeof m !== 'object' || m === null) return;
      if (m.topics === undefined && m.topicPattern === undefined) ctx.addIssue({ code: 'custom', message: 'required key is missing: give topics (a list) or topicPattern (a regular expression)', path: ['topics'] });
      if (m.topics !== undefined && m.topicPattern !== undefined) ctx.addIssue({ code: 'custom', message: 'give topics or topicPattern, not both', path: ['topicPattern'] });
      if (m.format === 'json' && m.schema === undefined) ctx.addIssue({ code: 'custom', message: "format 'json' needs a declared schema: a list of {name, type} columns or a JSON Schema", path: ['schema'] });
      if (typeof m.mode === 'string') {
        if (!(MAPPING_MODES as readonly string[]).includes(m.mode)) ctx.addIssue({ code: 'custom', message: `'${m.mode}' is not a mapping mode; use 'append', 'rollup' or 'upsert'`, path: ['mode'] });
        else if (m.mode === 'rollup' && m.rollup === undefined) ctx.addIssue({ code: 'custom', message: "mode 'rollup' needs a rollup section: {timeField, window, groupBy, measures}", path: ['rollup'] });
        else if (m.mode !== 'rollup' && m.rollup !== undefined) ctx.addIssue({ code: 'custom', message: 'a rollup section needs mode: rollup', path: ['mode'] });
        else if (m.mode === 'rollup' && m.schemaEvolution === 'add-columns') ctx.addIssue({ code: 'custom', message: "a rollup table's columns come from its rollup section: remove schemaEvolution (or set it to none)", path: ['schemaEvolution'] });
        else if (m.mode === 'upsert' && m.upsert === undefined) ctx.addIssue({ code: 'custom', message: 'mode \'upsert\' needs an upsert section: {key: [field, ...]}', path: ['upsert'] });
        else if (m.mode !== 'upsert' && m.upsert !== undefined) ctx.addIssue({ code: 'custom', message: 'an upsert section needs mode: upsert', path: ['mode'] });
        else if (m.mode === 'upsert') checkUpsert(m, ctx);
      }
      const seen = new Set<string>();
      (Array.isArray(m.partitionBy) ? m.partitionBy : []).forEach((p, i) => {
        if (typeof p !== 'object' || p === null || !p.transform) return;
        const k = `${p.column}\u0000${p.transform.kind}`;
        if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `'${p.text}' repeats a partition field; each column and transform may appear once`, path: ['partitionBy', i] });
        seen.add(k);
      });
      if (Array.isArray(m.kafkaColumns) && new Set(m.kafkaColumns).size !== m.kafkaColumns.length) ctx.addIssue({ code: 'custom', message: 'a Kafka column is listed twice', path: ['kafkaColumns'] });
    },
    { when: () => true },
  )
  .transform((m) => ({ ...m, mode: m.mode as (typeof MAPPING_MODES)[number] }));
