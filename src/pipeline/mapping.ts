/** A mapping of the config made ready to run: its decoder, targets and dead-letter table. */
import { FloeError } from '../errors.js';
import { deadLetterTable, mappingTables, type FloeConfig, type MappingConfig } from '../config/index.js';
import { Decoder, declaredSchema, type Format } from '../decode/decoder.js';
import type { RegistryClient } from '../decode/registry.js';
import type { NestedField, Schema, Value } from '../spec/types.js';
import { planRollup, type RollupPlan } from '../rollup/index.js';
import { buildSpec } from '../spec/partition.js';
import type { Transform } from '../spec/transforms.js';
import type { RollupConfig } from '../config/mapping.js';
import type { RawRecord } from './dead-letter.js';
import { planUpsert } from '../upsert/index.js';

export interface Mapping {
  readonly cfg: MappingConfig;
  /** The config key of this mapping (`mappings[2]`), for messages. */
  readonly key: string;
  /**
   * A rollup mapping's plan for a writer schema (checked against it once per schema id). Throws
   * CONFIG_INVALID naming the key when the schema does not fit the rollup section.
   */
  rollupPlan?(schemaId: number, value: Schema): RollupPlan;
  /** Whether some value schema (declared, the registry's latest at start, or a record's) has fit the rollup section. */
  rollupFits?(): boolean;
  readonly decoder: Decoder;
  /** The table a decoded value goes to; throws ROUTE_FAILED when it cannot be routed. */
  route(value: unknown): string;
  /** Every table this mapping may write, dead-letter table included. */
  readonly tables: readonly string[];
  /** The dead-letter table, unless dead letters go to a topic. */
  readonly deadLetterTable: string | undefined;
  /** The dead-letter topic, when configured instead of a table. */
  readonly deadLetterTopic: string | undefined;
  matches(topic: string): boolean;
  /** The `_kafka` column's struct fields (empty when no Kafka columns were asked for). */
  readonly kafkaFields: readonly NestedField[];
  kafkaValue(r: RawRecord): Value;
}

const KAFKA_FIELD_TYPES: Record<string, NestedField['type']> = {
  topic: { type: 'string' },
  partition: { type: 'int' },
  offset: { type: 'long' },
  timestamp: { type: 'timestamptz' },
  key: { type: 'binary' },
  headers: { type: 'map', keyId: 0, key: { type: 'string' }, valueId: 0, valueRequired: false, value: { type: 'binary' } },
};

/**
 * Makes a configured mapping ready. `index` names it in messages; mappings with the same format
 * and declared schema share one decoder from `decoders`, so a record that fans out to several
 * tables is decoded once.
 */
export function buildMapping(cfg: MappingConfig, config: FloeConfig, registry: RegistryClient | undefined, index = 0, decoders = new Map<string, Decoder>()): Mapping {
  const key = `mappings[${index}]`;
  if (cfg.mode === 'rollup') {
    if (cfg.route) throw new FloeError('CONFIG_INVALID', `${key}.route: routing by a field's value is not available with mode: rollup; write one rollup mapping per table instead`);
    if (cfg.kafkaColumns.length) throw new FloeError('CONFIG_INVALID', `${key}.kafkaColumns: a rollup table has no per-record columns; remove kafkaColumns (group by a field instead)`);
  }
  const deadLetterTopic = (cfg.deadLetter ?? config.deadLetter).topic;
  const dlqTable = deadLetterTable(cfg, config);
  const declared = cfg.schema ? declaredSchema(cfg.schema) : undefined;
  const decoderKey = `${cfg.format}\u0000${cfg.schema ? JSON.stringify(cfg.schema) : ''}`;
  let decoder = decoders.get(decoderKey);
  if (!decoder) decoders.set(decoderKey, (decoder = new Decoder(cfg.format as Format, registry, declared)));
  const rollup = cfg.mode === 'rollup' ? cfg.rollup : undefined;
  const plans = new Map<number, RollupPlan>();
  // A declared schema is known now: check the rollup against it at start.
  if (rollup && declared) plans.set(0, planRollupTable(cfg, rollup, declared, key));
  // And an upsert key (a registry's schema is checked when the table is created from it).
  if (cfg.mode === 'upsert' && cfg.upsert && declared) planUpsert(cfg.upsert, declared, key);
  const routeCfg = cfg.route;
  const targets = mappingTables(cfg);
  const path = routeCfg?.field.split('.') ?? [];
  let id = 10_000;
  const kafkaFields: NestedField[] = cfg.kafkaColumns.map((c) => {
    const t = KAFKA_FIELD_TYPES[c] as NestedField['type'];
    return { id: id++, name: c, required: false, type: t.type === 'map' ? { ...t, keyId: id++, valueId: id++ } : t };
  });
  return {
    cfg,
    key,
    ...(rollup
      ? {
          rollupPlan: (schemaId: number, value: Schema) => {
            let p = plans.get(schemaId);
            if (!p) plans.set(schemaId, (p = planRollupTable(cfg, rollup, value, key)));
            return p;
          },
          rollupFits: () => plans.size > 0,
        }
      : {}),
    decoder,
    deadLetterTable: dlqTable,
    deadLetterTopic,
    tables: dlqTable ? [...targets, dlqTable] : targets,
    kafkaFields,
    matches: (topic) => (cfg.topics ? cfg.topics.includes(topic) : (cfg.topicPattern as RegExp).test(topic)),
    route: (value) => {
      if (!routeCfg) return cfg.table;
      let v: unknown = value;
      for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
      const key = v === null || v === undefined ? undefined : String(v);
      const t = (key !== undefined ? routeCfg.tables[key] : undefined) ?? routeCfg.default;
      if (!t) throw new FloeError('ROUTE_FAILED', `routing field '${routeCfg.field}' is ${key === undefined ? 'missing' : `'${key}'`}, which no route.tables entry names and there is no route.default`);
      return t;
    },
    kafkaValue: (r) => {
      const o: { [k: string]: Value } = {};
      for (const c of cfg.kafkaColumns) {
        if (c === 'topic') o.topic = r.topic;
        else if (c === 'partition') o.partition = r.partition;
        else if (c === 'offset') o.offset = BigInt(r.offset);
        else if (c === 'timestamp') o.timestamp = r.timestamp === undefined ? null : BigInt(r.timestamp) * 1000n;
        else if (c === 'key') o.key = r.key;
        else o.headers = r.headers.map(([k, v]) => [k, v] as [Value, Value]);
      }
      return o;
    },
  };
}

/** The table schema for a mapping: the value's fields, plus `_kafka` when Kafka columns were asked for. */
export function withKafkaColumns(schema: Schema, m: Mapping): Schema {
  if (m.kafkaFields.length === 0) return schema;
  return { ...schema, fields: [...schema.fields, { id: 9_999, name: '_kafka', required: false, type: { type: 'struct', fields: m.kafkaFields } }] };
}

/** The partitioning of a rollup table when the mapping configures none: by day of the window. */
export const ROLLUP_PARTITIONING = [{ column: 'window_start', transform: { kind: 'day' as const } }];

/** The partitioning a mapping's tables are created with: its partitionBy, or a rollup's default. */
export function mappingPartitioning(cfg: Pick<MappingConfig, 'partitionBy' | 'mode'>): ReadonlyArray<{ column: string; transform: Transform }> {
  return cfg.mode === 'rollup' && cfg.partitionBy.length === 0 ? ROLLUP_PARTITIONING : cfg.partitionBy;
}

/**
 * The mapping's `tableProperties` an existing table has with another value (or not at all), as
 * `key=value` of the mapping beside the table's; empty when it has them all.
 */
export function propertyDifferences(table: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): string[] {
  return Object.entries(wanted)
    // format-version is table metadata, not a property: catalogs take it out of the properties.
    .filter(([k, v]) => k !== 'format-version' && table[k] !== v)
    .map(([k, v]) => `${k}=${v} (the table has ${table[k] === undefined ? 'none' : table[k]})`);
}

/**
 * Plans a rollup against a value schema and checks the mapping's partitionBy against the rollup
 * table (which has window_start, window_end, the group columns and the measures, not the
 * value's fields). Errors are CONFIG_INVALID and name the key.
 */
function planRollupTable(cfg: MappingConfig, rollup: RollupConfig, value: Schema, key: string): RollupPlan {
  const plan = planRollup(rollup, value, key);
  cfg.partitionBy.forEach((p, j) => {
    try {
      buildSpec(plan.schema, [p]);
    } catch (err) {
      throw new FloeError('CONFIG_INVALID', `${key}.partitionBy[${j}]: ${(err as Error).message}; a rollup table is partitioned by its own columns (e.g. "day(window_start)" or a group-by column)`);
    }
  });
  return plan;
}

/**
 * Checks a rollup mapping against the registry's latest `<topic>-value` schema of each of its
 * topics (a subject that does not exist yet is checked at the first record instead). Throws
 * CONFIG_INVALID naming the key; returns the subjects and versions that fit.
 */
export async function checkRollupWithRegistry(m: Mapping, registry: RegistryClient | undefined): Promise<string[]> {
  if (!m.rollupPlan || m.cfg.schema || !registry) return [];
  const fits: string[] = [];
  for (const topic of m.cfg.topics ?? []) {
    const latest = await registry.version(`${topic}-value`, 'latest').catch(() => undefined);
    if (!latest) continue;
    let schema: Schema;
    try {
      schema = await m.decoder.tableSchema(latest.id);
    } catch {
      continue; // not a schema this mapping can decode: its records will say so
    }
    m.rollupPlan(latest.id, schema);
    fits.push(`${latest.subject} v${latest.version}`);
  }
  return fits;
}
