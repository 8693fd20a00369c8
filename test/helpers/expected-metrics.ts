/**
 * Iceberg metrics recomputed from rows, independently of the writer, with the semantics of
 * Iceberg Java's footer metrics: every leaf has one entry per Parquet level entry (a null or
 * empty list or map adds one null entry to each leaf below it), bounds only for leaves reached
 * through structs alone, NaN never a bound.
 */
import type { IcebergType, NestedField, PrimitiveType, Value } from '../../src/spec/types.js';
import { comparatorFor } from '../../src/spec/values.js';

export interface Expected {
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  nanValueCounts: Map<number, number>;
  min: Map<number, Value>;
  max: Map<number, Value>;
  types: Map<number, PrimitiveType>;
}

export function expectedMetrics(fields: readonly NestedField[], rows: ReadonlyArray<{ [k: string]: Value }>): Expected {
  const e: Expected = { valueCounts: new Map(), nullValueCounts: new Map(), nanValueCounts: new Map(), min: new Map(), max: new Map(), types: new Map() };
  const inc = (m: Map<number, number>, id: number) => m.set(id, (m.get(id) ?? 0) + 1);
  const leaf = (t: PrimitiveType, id: number, v: Value, bounds: boolean) => {
    e.types.set(id, t);
    inc(e.valueCounts, id);
    if (!e.nullValueCounts.has(id)) e.nullValueCounts.set(id, 0);
    const floating = t.type === 'float' || t.type === 'double';
    if (floating && !e.nanValueCounts.has(id)) e.nanValueCounts.set(id, 0);
    if (v === null || v === undefined) return void inc(e.nullValueCounts, id);
    if (floating && Number.isNaN(v)) return void inc(e.nanValueCounts, id);
    if (!bounds) return;
    const cmp = comparatorFor(t);
    const x = t.type === 'uuid' && typeof v === 'string' ? v.toLowerCase() : v;
    if (!e.min.has(id) || cmp(x, e.min.get(id) as Value) < 0) e.min.set(id, x);
    if (!e.max.has(id) || cmp(x, e.max.get(id) as Value) > 0) e.max.set(id, x);
  };
  const visit = (t: IcebergType, id: number, v: Value, bounds: boolean): void => {
    if (t.type === 'struct') {
      const obj = v as { [k: string]: Value } | null;
      for (const f of t.fields) visit(f.type, f.id, obj === null || obj === undefined ? null : (obj[f.name] ?? null), bounds);
    } else if (t.type === 'list') {
      const items = v as Value[] | null;
      if (!items || items.length === 0) visit(t.element, t.elementId, null, false);
      else for (const x of items) visit(t.element, t.elementId, x ?? null, false);
    } else if (t.type === 'map') {
      const pairs = v as Array<[Value, Value]> | null;
      if (!pairs || pairs.length === 0) {
        visit(t.key, t.keyId, null, false);
        visit(t.value, t.valueId, null, false);
      } else {
        for (const [k, x] of pairs) {
          visit(t.key, t.keyId, k, false);
          visit(t.value, t.valueId, x ?? null, false);
        }
      }
    } else leaf(t, id, v, bounds);
  };
  for (const row of rows) for (const f of fields) visit(f.type, f.id, row[f.name] ?? null, true);
  return e;
}
