import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evolveSchema, isPromotionAllowed } from '../../../src/spec/evolve.js';
import { indexById, validateSchema } from '../../../src/spec/schema.js';
import type { Schema } from '../../../src/spec/types.js';

const TABLE: Schema = {
  schemaId: 3,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'customer', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'name', required: true, type: { type: 'string' } }] } },
    { id: 3, name: 'items', required: false, type: { type: 'list', elementId: 5, elementRequired: true, element: { type: 'struct', fields: [{ id: 6, name: 'sku', required: true, type: { type: 'string' } }] } } },
  ],
};

// A writer schema (its own ids) with a new top-level column, a new field in a struct column and in
// the list's element struct, a new nested column, and `id` retyped (not an addition).
const WRITER: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'string' } },
    { id: 2, name: 'customer', required: true, type: { type: 'struct', fields: [{ id: 3, name: 'name', required: true, type: { type: 'string' } }, { id: 4, name: 'tier', required: true, type: { type: 'int' } }] } },
    { id: 5, name: 'items', required: false, type: { type: 'list', elementId: 6, elementRequired: true, element: { type: 'struct', fields: [{ id: 7, name: 'sku', required: true, type: { type: 'string' } }, { id: 8, name: 'qty', required: true, type: { type: 'int' } }] } } },
    { id: 9, name: 'note', required: true, type: { type: 'string' }, doc: 'free text' },
    { id: 10, name: 'tags', required: false, type: { type: 'map', keyId: 11, key: { type: 'string' }, valueId: 12, valueRequired: false, value: { type: 'struct', fields: [{ id: 13, name: 'v', required: true, type: { type: 'long' } }] } } },
  ],
};

test('evolveSchema adds what the writer has and the table lacks, optional, with fresh ids after the last one', () => {
  const r = evolveSchema(TABLE, WRITER, 6, 4);
  assert.ok(r);
  assert.deepEqual(r.added, ['customer.tier', 'items.element.qty', 'note', 'tags']);
  assert.equal(r.schema.schemaId, 4);
  validateSchema(r.schema, { formatVersion: 2 });
  const idx = indexById(r.schema.fields);
  const byPath = new Map([...idx].map(([id, f]) => [f.path, { id, ...f }]));
  // Existing columns keep their ids and types (id stays long: a retype is not an addition).
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((id) => idx.get(id)?.path), ['id', 'customer', 'items', 'customer.name', 'items.element', 'items.element.sku']);
  assert.deepEqual(idx.get(1)?.field.type, { type: 'long' });
  // New ones: fresh ids above 6, all optional at their own level, nested ids fresh too.
  const ids = [...idx.keys()].filter((id) => id > 6).sort((a, b) => a - b);
  assert.equal(ids.length, 7, 'tier, qty, note, tags, its key, its value, v');
  assert.equal(r.lastColumnId, 13);
  for (const p of ['customer.tier', 'items.element.qty', 'note', 'tags', 'tags.value.v']) assert.equal(byPath.get(p)?.field.required, false, `${p} optional`);
  assert.equal(byPath.get('note')?.field.doc, 'free text');
  assert.equal(new Set(idx.keys()).size, idx.size);
});

test('evolveSchema: nothing to add is undefined; a table with everything stays as it is', () => {
  assert.equal(evolveSchema(TABLE, TABLE, 6, 4), undefined);
  assert.equal(evolveSchema(TABLE, { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] }, 6, 4), undefined);
});

test('evolveSchema widens what Iceberg allows in place (ids kept), at every depth, and nothing else', () => {
  const dec = (precision: number, scale: number) => ({ type: 'decimal' as const, precision, scale });
  const table: Schema = {
    schemaId: 1,
    fields: [
      { id: 1, name: 'n', required: true, type: { type: 'int' } },
      { id: 2, name: 'score', required: false, type: { type: 'float' } },
      { id: 3, name: 'amount', required: true, type: dec(9, 2) },
      { id: 4, name: 'big', required: false, type: { type: 'long' } },
      { id: 5, name: 'price', required: false, type: dec(10, 2) },
      { id: 6, name: 'wide', required: false, type: dec(12, 2) },
      { id: 7, name: 'tags', required: false, type: { type: 'map', keyId: 8, key: { type: 'int' }, valueId: 9, valueRequired: true, value: { type: 'int' } } },
      { id: 10, name: 'xs', required: false, type: { type: 'list', elementId: 11, elementRequired: true, element: { type: 'struct', fields: [{ id: 12, name: 'q', required: true, type: { type: 'float' } }] } } },
      { id: 13, name: 's', required: false, type: { type: 'string' } },
    ],
  };
  const writer: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: 'n', required: true, type: { type: 'long' } },
      { id: 2, name: 'score', required: false, type: { type: 'double' } },
      { id: 3, name: 'amount', required: true, type: dec(18, 2) },
      // Not allowed: narrowing, another scale, a narrower decimal, a map key, int to string.
      { id: 4, name: 'big', required: false, type: { type: 'int' } },
      { id: 5, name: 'price', required: false, type: dec(12, 3) },
      { id: 6, name: 'wide', required: false, type: dec(10, 2) },
      { id: 7, name: 'tags', required: false, type: { type: 'map', keyId: 8, key: { type: 'long' }, valueId: 9, valueRequired: true, value: { type: 'long' } } },
      { id: 10, name: 'xs', required: false, type: { type: 'list', elementId: 11, elementRequired: true, element: { type: 'struct', fields: [{ id: 12, name: 'q', required: true, type: { type: 'double' } }] } } },
      { id: 13, name: 's', required: false, type: { type: 'int' } },
    ],
  };
  const r = evolveSchema(table, writer, 13, 2);
  assert.ok(r);
  assert.deepEqual(r.widened, ['n: int -> long', 'score: float -> double', 'amount: decimal(9,2) -> decimal(18,2)', 'tags.value: int -> long', 'xs.element.q: float -> double']);
  assert.deepEqual([r.added, r.madeOptional, r.lastColumnId, r.schema.schemaId], [[], [], 13, 2]);
  validateSchema(r.schema, { formatVersion: 2 });
  const idx = indexById(r.schema.fields);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 8, 9, 12, 13].map((id) => idx.get(id)?.field.type),
    [{ type: 'long' }, { type: 'double' }, dec(18, 2), { type: 'long' }, dec(10, 2), dec(12, 2), { type: 'int' }, { type: 'long' }, { type: 'double' }, { type: 'string' }],
  );
  assert.equal(idx.size, indexById(table.fields).size, 'no column added or dropped');
  assert.equal(evolveSchema(r.schema, writer, 13, 3), undefined, 'evolving again changes nothing');
});

test('isPromotionAllowed is the spec table: int to long, float to double, decimal(P,S) to decimal(P2>P,S)', () => {
  const t = (type: string) => ({ type }) as never;
  assert.equal(isPromotionAllowed(t('int'), t('long')), true);
  assert.equal(isPromotionAllowed(t('float'), t('double')), true);
  assert.equal(isPromotionAllowed({ type: 'decimal', precision: 9, scale: 2 }, { type: 'decimal', precision: 38, scale: 2 }), true);
  for (const [a, b] of [['long', 'int'], ['double', 'float'], ['int', 'double'], ['int', 'string'], ['date', 'timestamp'], ['int', 'int'], ['string', 'binary']]) assert.equal(isPromotionAllowed(t(a as string), t(b as string)), false, `${a} -> ${b}`);
  assert.equal(isPromotionAllowed({ type: 'decimal', precision: 9, scale: 2 }, { type: 'decimal', precision: 9, scale: 2 }), false);
  assert.equal(isPromotionAllowed({ type: 'decimal', precision: 9, scale: 2 }, { type: 'decimal', precision: 10, scale: 3 }), false);
});

test('evolveSchema makes optional what the writer has optional (fields, list elements, map values), never an identifier field', () => {
  const table: Schema = {
    schemaId: 0,
    identifierFieldIds: [1],
    fields: [
      { id: 1, name: 'id', required: true, type: { type: 'long' } },
      { id: 2, name: 'name', required: true, type: { type: 'string' } },
      { id: 3, name: 'c', required: true, type: { type: 'struct', fields: [{ id: 4, name: 'tier', required: true, type: { type: 'int' } }] } },
      { id: 5, name: 'xs', required: true, type: { type: 'list', elementId: 6, elementRequired: true, element: { type: 'string' } } },
      { id: 7, name: 'm', required: true, type: { type: 'map', keyId: 8, key: { type: 'string' }, valueId: 9, valueRequired: true, value: { type: 'int' } } },
      { id: 10, name: 'kept', required: true, type: { type: 'string' } },
    ],
  };
  const writer: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: 'id', required: false, type: { type: 'long' } },
      { id: 2, name: 'name', required: false, type: { type: 'string' } },
      { id: 3, name: 'c', required: true, type: { type: 'struct', fields: [{ id: 4, name: 'tier', required: false, type: { type: 'long' } }] } },
      { id: 5, name: 'xs', required: true, type: { type: 'list', elementId: 6, elementRequired: false, element: { type: 'string' } } },
      { id: 7, name: 'm', required: false, type: { type: 'map', keyId: 8, key: { type: 'string' }, valueId: 9, valueRequired: false, value: { type: 'int' } } },
      { id: 10, name: 'kept', required: true, type: { type: 'string' } },
    ],
  };
  const r = evolveSchema(table, writer, 10, 1);
  assert.ok(r);
  assert.deepEqual(r.madeOptional, ['name', 'c.tier', 'xs.element', 'm', 'm.value']);
  assert.deepEqual(r.widened, ['c.tier: int -> long']);
  const idx = indexById(r.schema.fields);
  assert.deepEqual([1, 2, 3, 4, 10].map((id) => idx.get(id)?.field.required), [true, false, true, false, true]);
  const xs = r.schema.fields[3]?.type;
  const m = r.schema.fields[4]?.type;
  assert.deepEqual([xs?.type === 'list' && xs.elementRequired, m?.type === 'map' && m.valueRequired], [false, false]);
  assert.deepEqual(r.schema.identifierFieldIds, [1]);
  validateSchema(r.schema, { formatVersion: 2 });
});

test('evolveSchema makes optional a required column the writer does not have (top level, in a struct), never an identifier field', () => {
  const table: Schema = {
    schemaId: 0,
    identifierFieldIds: [1],
    fields: [
      { id: 1, name: 'id', required: true, type: { type: 'long' } },
      { id: 2, name: 'a', required: true, type: { type: 'string' } },
      { id: 3, name: 'c', required: true, type: { type: 'struct', fields: [{ id: 4, name: 'x', required: true, type: { type: 'int' } }, { id: 5, name: 'y', required: true, type: { type: 'int' } }] } },
      { id: 6, name: 'b', required: false, type: { type: 'string' } },
    ],
  };
  const writer: Schema = { schemaId: 0, fields: [{ id: 1, name: 'c', required: true, type: { type: 'struct', fields: [{ id: 2, name: 'x', required: true, type: { type: 'int' } }] } }] };
  const r = evolveSchema(table, writer, 6, 1);
  assert.ok(r);
  assert.deepEqual([r.madeOptional, r.added, r.widened], [['a', 'c.y'], [], []]);
  const idx = indexById(r.schema.fields);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((id) => idx.get(id)?.field.required), [true, false, true, true, false, false]);
  assert.equal(evolveSchema(r.schema, writer, 6, 2), undefined, 'once optional, nothing more to do');
});
