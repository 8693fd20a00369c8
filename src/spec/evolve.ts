/**
 * Schema evolution by adding columns (a mapping's `schemaEvolution: add-columns`): the fields a
 * writer schema has and the table lacks, matched by name, at the top level and inside struct
 * columns (structs in lists and map values too), added as optional columns with fresh ids from
 * the table's last column id, as Java's UpdateSchema.addColumn does. Nothing else changes: a
 * field the table has with another type is not an addition (its records do not convert and go to
 * the dead-letter target), and no column is dropped or made optional.
 */
import type { IcebergType, NestedField, Schema } from './types.js';

export interface AddedColumns {
  /** The table's schema with the additions (schema id: the next free one). */
  schema: Schema;
  /** Dotted paths of the added columns. */
  added: string[];
  lastColumnId: number;
}

/** The columns `writer` has that `table` lacks, added to `table`; undefined when there are none. */
export function addMissingColumns(table: Schema, writer: Schema, lastColumnId: number, nextSchemaId: number): AddedColumns | undefined {
  let last = lastColumnId;
  const next = () => ++last;
  const added: string[] = [];
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
  const mergeType = (tt: IcebergType, wt: IcebergType, path: string): IcebergType => {
    if (tt.type === 'struct' && wt.type === 'struct') return { type: 'struct', fields: mergeFields(tt.fields, wt.fields, `${path}.`) };
    if (tt.type === 'list' && wt.type === 'list') return { ...tt, element: mergeType(tt.element, wt.element, `${path}.element`) };
    if (tt.type === 'map' && wt.type === 'map') return { ...tt, value: mergeType(tt.value, wt.value, `${path}.value`) };
    return tt;
  };
  const mergeFields = (tf: readonly NestedField[], wf: readonly NestedField[], prefix: string): NestedField[] => {
    const out = tf.map((f) => {
      const w = wf.find((x) => x.name === f.name);
      return w ? { ...f, type: mergeType(f.type, w.type, `${prefix}${f.name}`) } : f;
    });
    for (const w of wf) {
      if (tf.some((f) => f.name === w.name)) continue;
      added.push(`${prefix}${w.name}`);
      out.push({ id: next(), name: w.name, required: false, type: w.type, ...(w.doc ? { doc: w.doc } : {}) });
    }
    return out.map((f, i) => (i >= tf.length ? { ...f, type: fresh(f.type) } : f));
  };
  const fields = mergeFields(table.fields, writer.fields, '');
  if (added.length === 0) return undefined;
  return { schema: { ...table, schemaId: nextSchemaId, fields }, added, lastColumnId: last };
}
