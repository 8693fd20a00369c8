/**
 * The view over a rollup table that answers with exact totals (DESIGN §5: "where the catalog
 * supports views, creates one"): the combination of a window's partial rows, one row per
 * (window, group). Pure: builds the REST create-view request with a SQL representation for Trino
 * and one for Spark. Both engines resolve the view's query in `default-catalog`, their own name
 * for the catalog (Trino does not fall back to the catalog the view lives in), hence the key.
 */
import { schemaToJson } from '../spec/schema.js';
import type { Schema } from '../spec/types.js';
import type { RollupPlan } from './plan.js';

export interface ViewRequest {
  name: string;
  schema: unknown;
  'view-version': {
    'version-id': number;
    'timestamp-ms': number;
    'schema-id': number;
    summary: Record<string, string>;
    representations: Array<{ type: 'sql'; sql: string; dialect: string }>;
    'default-catalog': string;
    'default-namespace': string[];
  };
  properties: Record<string, string>;
}

const COMBINE = { count: 'sum', sum: 'sum', min: 'min', max: 'max' } as const;

/** The SELECT that combines partial rows, with identifiers quoted by `q`. */
export function totalsQuery(plan: RollupPlan, table: { namespace: readonly string[]; name: string }, q: (id: string) => string): string {
  const keys = ['window_start', 'window_end', ...plan.groups.map((g) => g.name)].map(q);
  const measures = plan.measures.map((m) => `${COMBINE[m.fn]}(${q(m.name)}) AS ${q(m.name)}`);
  const from = [...table.namespace, table.name].map(q).join('.');
  return `SELECT ${[...keys, ...measures].join(', ')} FROM ${from} GROUP BY ${keys.join(', ')}`;
}

const trinoQuote = (id: string) => `"${id.replace(/"/g, '""')}"`;
const sparkQuote = (id: string) => `\`${id.replace(/`/g, '``')}\``;

export function rollupViewRequest(plan: RollupPlan, table: { namespace: readonly string[]; name: string }, view: { name: string; catalog: string }, now = Date.now()): ViewRequest {
  // The view's columns are the table's: sums of counts and longs stay long, of decimal(38, s)
  // stay decimal(38, s), of doubles double; min and max keep the type.
  const schema: Schema = { schemaId: 0, fields: plan.schema.fields.map((f, i) => ({ ...f, id: i + 1, required: false })) };
  return {
    name: view.name,
    schema: schemaToJson(schema),
    'view-version': {
      'version-id': 1,
      'timestamp-ms': now,
      'schema-id': 0,
      summary: { 'engine-name': 'floe' },
      representations: [
        { type: 'sql', dialect: 'trino', sql: totalsQuery(plan, table, trinoQuote) },
        { type: 'sql', dialect: 'spark', sql: totalsQuery(plan, table, sparkQuote) },
      ],
      'default-catalog': view.catalog,
      'default-namespace': [...table.namespace],
    },
    properties: { 'floe.rollup-of': [...table.namespace, table.name].join('.') },
  };
}
