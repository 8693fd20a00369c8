/**
 * Upsert mode (D28): a table that keeps the newest row per key. Each batch is reduced in memory
 * to its last record per key; the commit adds those rows as a data file and the batch's keys as
 * an equality delete file in one snapshot. A delete file of sequence number n applies to the data
 * files of sequence numbers below n (Iceberg's rule), so it removes every older row of its keys
 * and none of the rows committed with it. A record whose `deleteWhen` field matches removes its
 * key and adds no row. Pure: no I/O.
 */
import { FloeError } from '../errors.js';
import type { UpsertConfig } from '../config/mapping.js';
import type { NestedField, Schema, Value } from '../spec/types.js';
import { keyPart, read } from '../rollup/aggregate.js';

type Row = { [name: string]: Value };

/** Types a key field may have: Iceberg's identifier fields exclude floating point and nested types. */
const KEY_TYPES = new Set(['boolean', 'int', 'long', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'fixed', 'binary', 'decimal']);

export interface UpsertPlan {
  /** The key columns of the table, in the order of the config. */
  readonly keyFields: readonly NestedField[];
  /** The equality delete files' schema: the key columns only, with the table's field ids. */
  readonly deleteSchema: Schema;
  readonly equalityIds: readonly number[];
  readonly deleteWhen: { readonly path: readonly string[]; readonly equals: string } | undefined;
}

/**
 * Checks the key against a table (or value) schema: each key field must be a top-level column
 * of a primitive type other than float and double. Throws CONFIG_INVALID naming `key`.
 */
export function planUpsert(cfg: UpsertConfig, schema: Schema, key: string): UpsertPlan {
  const keyFields = cfg.key.map((name, i) => {
    const f = schema.fields.find((x) => x.name === name);
    if (!f) throw new FloeError('CONFIG_INVALID', `${key}.upsert.key[${i}]: '${name}' is not a field of the table (its fields: ${schema.fields.map((x) => x.name).join(', ')})`);
    if (!KEY_TYPES.has(f.type.type)) throw new FloeError('CONFIG_INVALID', `${key}.upsert.key[${i}]: '${name}' is a ${f.type.type}; a key field must be a primitive other than float and double`);
    return f;
  });
  const deleteWhen = cfg.deleteWhen ? { path: cfg.deleteWhen.field.split('.'), equals: cfg.deleteWhen.equals } : undefined;
  if (deleteWhen && !hasPath(schema, deleteWhen.path)) {
    throw new FloeError('CONFIG_INVALID', `${key}.upsert.deleteWhen.field: '${cfg.deleteWhen?.field}' is not a field of the table`);
  }
  const ids = keyFields.map((f) => f.id);
  return { keyFields, equalityIds: ids, deleteSchema: { schemaId: schema.schemaId, fields: keyFields.map((f) => ({ ...f, required: true })), identifierFieldIds: ids }, deleteWhen };
}

function hasPath(schema: Schema, path: readonly string[]): boolean {
  let fields: readonly NestedField[] | undefined = schema.fields;
  for (const p of path) {
    const f: NestedField | undefined = fields?.find((x) => x.name === p);
    if (!f) return false;
    fields = f.type.type === 'struct' ? f.type.fields : undefined;
  }
  return true;
}

/**
 * The schema an upsert table is created with: the value's, with the key fields required and
 * named as the table's identifier fields (engines show them as the row identity).
 */
export function upsertTableSchema(value: Schema, cfg: UpsertConfig, key: string): Schema {
  const plan = planUpsert(cfg, value, key);
  const ids = new Set(plan.equalityIds);
  return { ...value, fields: value.fields.map((f) => (ids.has(f.id) ? { ...f, required: true } : f)), identifierFieldIds: [...plan.equalityIds] };
}

interface Entry {
  /** The newest row of the key in this batch; null when the newest record deleted the key. */
  row: Row | null;
  keyRow: Row;
  size: number;
}

/** What a batch commits: the newest row of each key it saw, and every key it saw (to delete). */
export interface UpsertDrain {
  rows: Row[];
  keys: Row[];
}

/** Estimated bytes of one entry beyond the record, for the memory limit. */
const ENTRY_BYTES = 120;

/** One batch of an upsert table: the newest row per key, in memory until the batch is cut. */
export class UpsertBuffer {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(readonly plan: UpsertPlan) {}

  /**
   * Adds a record's row (converted to the table's schema). A key field that is null throws
   * CONVERT_FAILED and nothing is added. Returns whether the row deletes its key.
   */
  add(row: Row, size: number): boolean {
    const keyRow: Row = {};
    let k = '';
    for (const f of this.plan.keyFields) {
      const v = row[f.name];
      if (v === null || v === undefined) throw new FloeError('CONVERT_FAILED', `upsert key field '${f.name}' is ${v === null ? 'null' : 'missing'}: a row without its key cannot replace or be replaced`);
      keyRow[f.name] = v;
      k += keyPart(v);
      k += '\u0001';
    }
    const del = this.plan.deleteWhen ? String(read(row, this.plan.deleteWhen.path)) === this.plan.deleteWhen.equals : false;
    const before = this.entries.get(k);
    this.bytes += size + (before ? -before.size : ENTRY_BYTES + k.length);
    this.entries.set(k, { row: del ? null : row, keyRow, size });
    return del;
  }

  get size(): number {
    return this.entries.size;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Empties the buffer into what the batch commits. */
  drain(): UpsertDrain {
    const rows: Row[] = [];
    const keys: Row[] = [];
    for (const e of this.entries.values()) {
      keys.push(e.keyRow);
      if (e.row) rows.push(e.row);
    }
    this.clear();
    return { rows, keys };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
