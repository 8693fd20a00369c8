import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addMissingColumns } from '../../../src/spec/evolve.js';
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

test('addMissingColumns adds what the writer has and the table lacks, optional, with fresh ids after the last one', () => {
  const r = addMissingColumns(TABLE, WRITER, 6, 4);
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

test('addMissingColumns: nothing to add is undefined; a table with everything stays as it is', () => {
  assert.equal(addMissingColumns(TABLE, TABLE, 6, 4), undefined);
  assert.equal(addMissingColumns(TABLE, { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] }, 6, 4), undefined);
});
