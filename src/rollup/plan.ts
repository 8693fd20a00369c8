/**
 * Rollup mode (DESIGN §5): a mapping's rollup section checked against the value schema, and
 * the rollup table's schema. Pure: no I/O.
 *
 * The table holds partial aggregates: `window_start`, `window_end`, the group-by columns and one
 * column per measure. A window's true aggregate is the combination of its partial rows (sum of
 * counts and sums, min of mins, max of maxes), which is what makes replays and late events exact.
 */
import { FloeError } from '../errors.js';
import type { RollupConfig, Measure } from '../config/mapping.js';
import type { IcebergType, NestedField, PrimitiveType, Schema } from '../spec/types.js';

/** How a field's values are read and combined. */
export type ValueKind = 'bigint' | 'number' | 'decimal';

export interface MeasurePlan {
  readonly fn: Measure['fn'];
  readonly name: string;
  /** Index path into the converted source row (field names), absent for count. */
  readonly path?: readonly string[];
  readonly kind?: ValueKind;
  /** The measure column's type in the rollup table. */
  readonly type: PrimitiveType;
}

export interface GroupPlan {
  readonly name: string;
  readonly path: readonly string[];
  readonly type: PrimitiveType;
}

export interface RollupPlan {
  /** Window size in µs. */
  readonly windowUs: bigint;
  /** The same as a number (the aggregator's fast path). */
  readonly windowNum: number;
  /** Path of the event-time field, or undefined for the Kafka record timestamp. */
  readonly timePath?: readonly string[];
  /** How the event-time field's values become µs: timestamps are µs, dates are days. */
  readonly timeUnit: 'us' | 'days';
  readonly groups: readonly GroupPlan[];
  readonly measures: readonly MeasurePlan[];
  /** Lateness bound in µs: events older than the record's Kafka timestamp by more go to the dead-letter target. */
  readonly latenessUs?: bigint;
  /** The same as a number; Infinity without a bound. */
  readonly latenessNum: number;
  readonly schema: Schema;
}

const MAX_DECIMAL_PRECISION = 38;
const GROUPABLE = new Set(['boolean', 'int', 'long', 'string', 'date', 'time', 'timestamp', 'timestamptz', 'decimal', 'uuid', 'fixed', 'binary']);
const ORDERED = new Set(['int', 'long', 'float', 'double', 'decimal', 'date', 'time', 'timestamp', 'timestamptz']);

function describe(t: IcebergType): string {
  if (t.type === 'decimal') return `decimal(${t.precision}, ${t.scale})`;
  return t.type;
}

/** Finds a dotted path in the schema; the error names the config key and the fields there are. */
function resolvePath(schema: Schema, path: string, key: string): IcebergType {
  let fields: readonly NestedField[] = schema.fields;
  let t: IcebergType | undefined;
  const parts = path.split('.');
  parts.forEach((p, i) => {
    const f = fields.find((x) => x.name === p);
    if (!f) {
      const at = parts.slice(0, i).join('.');
      throw new FloeError('CONFIG_INVALID', `${key}: '${path}' is not a field of the value schema${at ? ` (${at} has ${fields.map((x) => x.name).join(', ')})` : ` (it has ${fields.map((x) => x.name).join(', ')})`}`);
    }
    t = f.type;
    if (i < parts.length - 1) {
      if (f.type.type !== 'struct') throw new FloeError('CONFIG_INVALID', `${key}: '${parts.slice(0, i + 1).join('.')}' is a ${describe(f.type)}, not a record, so '${path}' cannot be read`);
      fields = f.type.fields;
    }
  });
  return t as IcebergType;
}

function kindOf(t: IcebergType): ValueKind {
  if (t.type === 'decimal') return 'decimal';
  if (t.type === 'long' || t.type === 'timestamp' || t.type === 'timestamptz' || t.type === 'time') return 'bigint';
  return 'number';
}

/**
 * Checks the rollup section against the value schema and plans it. `key` is the config key of
 * the mapping (e.g. `mappings[1]`); every error names the key under it and what is expected.
 */
export function planRollup(cfg: RollupConfig, value: Schema, key: string): RollupPlan {
  const windowUs = BigInt(cfg.window) * 1000n;
  if (windowUs <= 0n) throw new FloeError('CONFIG_INVALID', `${key}.rollup.window: must be at least 1s`);
  let timePath: string[] | undefined;
  let timeUnit: 'us' | 'days' = 'us';
  if (cfg.timeField) {
    const t = resolvePath(value, cfg.timeField, `${key}.rollup.timeField`);
    if (t.type === 'date') timeUnit = 'days';
    else if (t.type !== 'timestamp' && t.type !== 'timestamptz') {
      throw new FloeError('CONFIG_INVALID', `${key}.rollup.timeField: '${cfg.timeField}' is a ${describe(t)}; the event time must be a timestamp, timestamptz or date field (or set kafkaTimestamp: true)`);
    }
    timePath = cfg.timeField.split('.');
  }
  const groups = cfg.groupBy.map((g, i): GroupPlan => {
    const t = resolvePath(value, g, `${key}.rollup.groupBy[${i}]`);
    if (!GROUPABLE.has(t.type)) throw new FloeError('CONFIG_INVALID', `${key}.rollup.groupBy[${i}]: '${g}' is a ${describe(t)}; group by a primitive field (string, int, long, boolean, date, timestamp, decimal, ...)`);
    return { name: g.split('.').at(-1) as string, path: g.split('.'), type: t as PrimitiveType };
  });
  const measures = cfg.measures.map((m, i): MeasurePlan => {
    const k = `${key}.rollup.measures[${i}]`;
    if (m.fn === 'count') return { fn: 'count', name: m.name, type: { type: 'long' } };
    const field = m.field as string;
    const t = resolvePath(value, field, k);
    if (m.fn === 'sum') {
      if (t.type === 'int' || t.type === 'long') return { fn: 'sum', name: m.name, path: field.split('.'), kind: 'bigint', type: { type: 'long' } };
      if (t.type === 'float' || t.type === 'double') return { fn: 'sum', name: m.name, path: field.split('.'), kind: 'number', type: { type: 'double' } };
      if (t.type === 'decimal') return { fn: 'sum', name: m.name, path: field.split('.'), kind: 'decimal', type: { type: 'decimal', precision: MAX_DECIMAL_PRECISION, scale: t.scale } };
      throw new FloeError('CONFIG_INVALID', `${k}: sum(${field}) needs a numeric field (int, long, float, double or decimal), but '${field}' is a ${describe(t)}`);
    }
    if (!ORDERED.has(t.type)) throw new FloeError('CONFIG_INVALID', `${k}: ${m.fn}(${field}) needs a numeric, decimal, date, time or timestamp field, but '${field}' is a ${describe(t)}`);
    return { fn: m.fn, name: m.name, path: field.split('.'), kind: kindOf(t), type: t as PrimitiveType };
  });
  let id = 1;
  const fields: NestedField[] = [
    { id: id++, name: 'window_start', required: true, type: { type: 'timestamptz' }, doc: 'start of the tumbling window (inclusive)' },
    { id: id++, name: 'window_end', required: true, type: { type: 'timestamptz' }, doc: 'end of the tumbling window (exclusive)' },
    ...groups.map((g): NestedField => ({ id: id++, name: g.name, required: false, type: g.type, doc: `group-by ${g.path.join('.')}` })),
    ...measures.map((m): NestedField => ({
      id: id++,
      name: m.name,
      required: m.fn === 'count',
      type: m.type,
      doc: m.fn === 'count' ? 'records in this partial row; sum it for the window' : `${m.fn}(${(m.path ?? []).join('.')}) of this partial row; ${m.fn === 'sum' ? 'sum' : m.fn} it for the window`,
    })),
  ];
  return {
    windowUs,
    windowNum: Number(windowUs),
    latenessNum: cfg.lateness !== undefined ? cfg.lateness * 1000 : Infinity,
    ...(timePath ? { timePath } : {}),
    timeUnit,
    groups,
    measures,
    ...(cfg.lateness !== undefined ? { latenessUs: BigInt(cfg.lateness) * 1000n } : {}),
    schema: { schemaId: 0, fields },
  };
}
