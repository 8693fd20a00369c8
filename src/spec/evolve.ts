/**
 * Schema evolution from writer schemas (a mapping's `schemaEvolution: add-columns`), the changes
 * Iceberg allows without rewriting a file, as Iceberg's Kafka Connect sink makes them
 * (`iceberg.tables.evolve-schema-enabled`):
 * - a field the writer has and the table lacks, matched by name at the top level and inside
 *   struct columns (structs in lists and map values too), is added as an optional column with
 *   fresh ids from the table's last column id (Java's UpdateSchema.addColumn);
 * - a column whose writer type is a wider one the spec allows is widened in place, its id kept:
 *   int to long, float to double, decimal(P,S) to decimal(P',S) with P' > P (UpdateSchema.updateColumn);
 * - a required column (or list element, or map value) the writer has as optional is made optional,
 *   and so is a required column (top level or in a struct) the writer does not have at all: its
 *   records can only leave it null (identifier fields excepted: those stay required).
 * Nothing else changes: another type (long to int, string to int, a decimal's scale, a map's key)
 * is not an evolution (those records are converted where each value fits, else go to the
 * dead-letter target with the reason), and no column is dropped or made required. Files written
 * before keep their types: readers promote them (the spec's rule for promoted columns).
 */
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.js';

export interface EvolvedSchema {
  /** The table's schema with the changes (schema id: the next free one). */
  schema: Schema;
  /** Dotted paths of the added columns. */
  added: string[];
  /** `path: from -> to` for each widened column. */
  widened: string[];
  /** Dotted paths of the columns (`…element`, `…value` for list elements, map values) made optional. */
  madeOptional: string[];
  lastColumnId: number;
}

/** Whether Iceberg (v2) lets a column of type `from` become `to` in place. */
export function isPromotionAllowed(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from.type === 'int') return to.type === 'long';
  if (from.type === 'float') return to.type === 'double';
  if (from.type === 'decimal' && to.type === 'decimal') return to.scale === from.scale && to.precision > from.precision;
  return false;
}

const nested = (t: IcebergType) => t.type === 'struct' || t.type === 'list' || t.type === 'map';

const shown = (t: IcebergType) => (t.type === 'decimal' ? `decimal(${t.precision},${t.scale})` : t.type);

/** `table` evolved towards `writer` (see the header); undefined when nothing changes. */
export function evolveSchema(table: Schema, writer: Schema, lastColumnId: number, nextSchemaId: number): EvolvedSchema | undefined {
  let last = lastColumnId;
  const next = () => ++last;
  const added: string[] = [];
  const widened: string[] = [];
  const madeOptional: string[] = [];
  const identifiers = new Set(table.identifierFieldIds ?? []);
  // A new column's own nested ids are fresh too; all of it optional at the top.
  const fresh = (t: IcebergType): IcebergType => {
    if (t.type === 'struct') return { type: 'struct', fields: t.fields.map((f) => ({ id: next(), name: f.name, required: false, type: f.type, ...(f.doc ? { doc: f.doc } : {}) })).map((f) => ({ ...f, type: fresh(f.type) })) };
    if (t.type === 'list') return { ...t, elementId: next(), element: fresh(t.element) };
    if (t.type === 'map') {
      const keyId = next();
      const valueId = next();
      return { ...t, keyId, valueId, key: fresh(t.key), value: fresh(t.value) };
    }
    return t;
  };
  /** Made optional when the table has it required and the writer does not. */
  const optional = (tableRequired: boolean, writerRequired: boolean, path: string): boolean => {
    if (!tableRequired || writerRequired) return tableRequired;
    madeOptional.push(path);
    return false;
  };
  const mergeType = (tt: IcebergType, wt: IcebergType, path: string): IcebergType => {
    if (tt.type === 'struct' && wt.type === 'struct') return { type: 'struct', fields: mergeFields(tt.fields, wt.fields, `${path}.`) };
    if (tt.type === 'list' && wt.type === 'list') {
      const p = `${path}.element`;
      return { ...tt, elementRequired: optional(tt.elementRequired, wt.elementRequired, p), element: mergeType(tt.element, wt.element, p) };
    }
    if (tt.type === 'map' && wt.type === 'map') {
      const p = `${path}.value`;
      return { ...tt, valueRequired: optional(tt.valueRequired, wt.valueRequired, p), value: mergeType(tt.value, wt.value, p) };
    }
    if (!nested(tt) && !nested(wt) && isPromotionAllowed(tt as PrimitiveType, wt as PrimitiveType)) {
      widened.push(`${path}: ${shown(tt)} -> ${shown(wt)}`);
      return wt;
    }
    return tt;
  };
  const mergeFields = (tf: readonly NestedField[], wf: readonly NestedField[], prefix: string): NestedField[] => {
    const out = tf.map((f) => {
      const w = wf.find((x) => x.name === f.name);
      const path = `${prefix}${f.name}`;
      if (!w) return f.required && !identifiers.has(f.id) ? { ...f, required: optional(true, false, path) } : f;
      // An identifier field stays required (the spec requires it of identifier fields).
      const required = identifiers.has(f.id) ? f.required : optional(f.required, w.required, path);
      return { ...f, required, type: mergeType(f.type, w.type, path) };
    });
    for (const w of wf) {
      if (tf.some((f) => f.name === w.name)) continue;
      added.push(`${prefix}${w.name}`);
      out.push({ id: next(), name: w.name, required: false, type: w.type, ...(w.doc ? { doc: w.doc } : {}) });
    }
    return out.map((f, i) => (i >= tf.length ? { ...f, type: fresh(f.type) } : f));
  };
  const fields = mergeFields(table.fields, writer.fields, '');
  if (added.length + widened.length + madeOptional.length === 0) return undefined;
  return { schema: { ...table, schemaId: nextSchemaId, fields }, added, widened, madeOptional, lastColumnId: last };
}
