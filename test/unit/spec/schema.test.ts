import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assignFreshIds,
  fieldById,
  findField,
  highestFieldId,
  indexById,
  indexByName,
  schemaFromJson,
  schemaToJson,
  typeFromJson,
  typeToJson,
  validateSchema,
} from '../../../src/spec/schema.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import type { IcebergType, NestedField, PrimitiveType, Schema } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';
import { ALL_TYPES } from '../../helpers/all-types.js';

const primitive: fc.Arbitrary<PrimitiveType> = fc.oneof(
  fc.constantFrom(...(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary'] as const)).map((type) => ({ type })),
  fc.integer({ min: 1, max: 38 }).chain((precision) => fc.integer({ min: 0, max: precision }).map((scale) => ({ type: 'decimal' as const, precision, scale }))),
  fc.integer({ min: 1, max: 64 }).map((length) => ({ type: 'fixed' as const, length })),
);

/** Random schemas with arbitrary (not yet unique) ids; fresh ids make them valid. */
const typeArb: fc.Arbitrary<IcebergType> = fc.letrec<{ type: IcebergType; field: NestedField }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    fc.uniqueArray(tie('field'), { minLength: 1, maxLength: 4, selector: (f) => f.name }).map((fields) => ({ type: 'struct' as const, fields })),
    fc.record({ type: fc.constant('list' as const), elementId: fc.nat(), elementRequired: fc.boolean(), element: tie('type') }),
    fc.record({ type: fc.constant('map' as const), keyId: fc.nat(), key: primitive, valueId: fc.nat(), valueRequired: fc.boolean(), value: tie('type') }),
  ),
  field: fc.record(
    { id: fc.nat(), name: fc.string({ minLength: 1, maxLength: 6 }), required: fc.boolean(), type: tie('type'), doc: fc.string() },
    { requiredKeys: ['id', 'name', 'required', 'type'] },
  ),
})).type;

const schemaArb: fc.Arbitrary<Schema> = fc
  .uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), required: fc.boolean(), type: typeArb }), { minLength: 1, maxLength: 5, selector: (f) => f.name })
  .map((fields) => assignFreshIds({ schemaId: 3, fields: fields.map((f) => ({ ...f, id: 0 })) }));

test('schemas round-trip through their JSON text (property)', () => {
  fc.assert(
    fc.property(schemaArb, (s) => {
      const back = schemaFromJson(parseJson(stringifyJson(schemaToJson(s))));
      assert.deepEqual(schemaToJson(back), schemaToJson(s));
      assert.deepEqual(back, JSON.parse(JSON.stringify(s)));
    }),
  );
});

test('fresh ids are unique, dense from 1, and keep the shape', () => {
  fc.assert(
    fc.property(schemaArb, (s) => {
      const ids = [...indexById(s.fields).keys()];
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(highestFieldId(s.fields), ids.length);
      validateSchema(s);
      const again = assignFreshIds({ ...s, fields: s.fields });
      assert.deepEqual(again, s, 'assigning fresh ids to a fresh schema changes nothing');
    }),
  );
});

test('fresh ids go breadth-first per struct as Java does, and move identifier fields along', () => {
  const s = schemaFromJson({
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [50],
    fields: [
      { id: 40, name: 'loc', required: true, type: { type: 'struct', fields: [{ id: 41, name: 'lat', required: true, type: 'double' }] } },
      { id: 42, name: 'tags', required: false, type: { type: 'list', 'element-id': 43, 'element-required': true, element: 'string' } },
      { id: 44, name: 'm', required: false, type: { type: 'map', 'key-id': 45, key: 'string', 'value-id': 46, 'value-required': false, value: 'int' } },
      { id: 50, name: 'id', required: true, type: 'long' },
    ],
  });
  const fresh = assignFreshIds(s);
  assert.deepEqual([...indexById(fresh.fields).entries()].map(([id, f]) => `${id}:${f.path}`), ['1:loc', '5:loc.lat', '2:tags', '6:tags.element', '3:m', '7:m.key', '8:m.value', '4:id']);
  assert.deepEqual(fresh.identifierFieldIds, [4]);
});

test('lookups by id and by dotted name reach nested fields', () => {
  assert.equal(fieldById(ALL_TYPES, 22)?.name, 'c');
  assert.equal(findField(ALL_TYPES, 'st.b.c')?.field.id, 22);
  assert.equal(findField(ALL_TYPES, 'ST.B.C'), undefined);
  assert.equal(findField(ALL_TYPES, 'ST.B.C', false)?.field.id, 22);
  assert.equal(findField(ALL_TYPES, 'tags.element')?.repeated, true);
  assert.equal(findField(ALL_TYPES, 'attrs.value')?.field.id, 25);
  assert.equal(findField(ALL_TYPES, 'points.element.x')?.field.id, 27);
  assert.equal(indexById(ALL_TYPES.fields).get(22)?.parentId, 21);
  assert.equal(indexByName(ALL_TYPES.fields).size, indexById(ALL_TYPES.fields).size);
  assert.equal(highestFieldId(ALL_TYPES.fields), 28);
});

test('type strings parse with the spacing variants the spec allows', () => {
  assert.deepEqual(typeFromJson('decimal(9, 2)'), { type: 'decimal', precision: 9, scale: 2 });
  assert.deepEqual(typeFromJson('fixed[16]'), { type: 'fixed', length: 16 });
  assert.equal(typeToJson({ type: 'decimal', precision: 9, scale: 2 }), 'decimal(9,2)');
  assert.equal(typeToJson({ type: 'timestamptz_ns' }), 'timestamptz_ns');
  const withDefaults = schemaFromJson({ type: 'struct', fields: [{ id: 1, name: 'a', required: true, type: 'int', 'initial-default': 5, 'write-default': 7, doc: 'why' }] });
  assert.deepEqual(withDefaults.fields[0], { id: 1, name: 'a', required: true, type: { type: 'int' }, doc: 'why', initialDefault: 5, writeDefault: 7 });
  assert.deepEqual(schemaToJson(withDefaults).fields, [{ id: 1, name: 'a', required: true, type: 'int', doc: 'why', 'initial-default': 5, 'write-default': 7 }]);
});

test('malformed schema JSON is refused with the path and the problem', () => {
  const refused: Array<[unknown, RegExp]> = [
    [{ type: 'struct', fields: [{ id: 1, name: 'a', required: true, type: 'varchar' }] }, /schema.fields\[0\] 'a': unknown type 'varchar'/],
    [{ type: 'struct', fields: [{ name: 'a', required: true, type: 'int' }] }, /needs an integer id and a name/],
    [{ type: 'struct', fields: [{ id: 1, name: 'a', required: 'yes', type: 'int' }] }, /'required' must be true or false/],
    [{ type: 'struct', fields: [{ id: 1, name: 'l', required: true, type: { type: 'list', element: 'int', 'element-required': true } }] }, /'element-id' must be an integer/],
    [{ type: 'struct', fields: [{ id: 1, name: 's', required: true, type: { type: 'struct' } }] }, /needs a 'fields' list/],
    [{ type: 'struct', fields: [], 'identifier-field-ids': 'x' }, /identifier-field-ids/],
  ];
  for (const [j, re] of refused) assert.throws(() => schemaFromJson(j), (e) => isFloeError(e, 'SCHEMA_INVALID') && re.test(e.message), re.source);
});

test('validation names the rule that a schema breaks', () => {
  const f = (id: number, name: string, type: IcebergType, required = false): NestedField => ({ id, name, required, type });
  const bad: Array<[Schema, RegExp, number?]> = [
    [{ schemaId: 0, fields: [f(1, 'a', { type: 'int' }), f(1, 'b', { type: 'int' })] }, /field id 1 is used twice, by 'a' and 'b'/],
    [{ schemaId: 0, fields: [f(1, 'a', { type: 'int' }), f(2, 'a', { type: 'int' })] }, /'a' appears twice/],
    [{ schemaId: 0, fields: [f(1, 'l', { type: 'list', elementId: 1, elementRequired: true, element: { type: 'int' } })] }, /used twice, by 'l' and 'l.element'/],
    [{ schemaId: 0, fields: [f(1, 'd', { type: 'decimal', precision: 39, scale: 0 })] }, /decimal\(39,0\) is out of range/],
    [{ schemaId: 0, fields: [f(1, 'd', { type: 'decimal', precision: 5, scale: 6 })] }, /out of range/],
    [{ schemaId: 0, fields: [f(1, 'x', { type: 'fixed', length: 0 })] }, /positive length/],
    [{ schemaId: 0, fields: [f(1, 'u', { type: 'unknown' }, true)] }, /must be optional/],
    [{ schemaId: 0, fields: [f(1, 't', { type: 'timestamp_ns' })] }, /needs format version 3/, 2],
    [{ schemaId: 0, fields: [{ ...f(1, 't', { type: 'int' }), initialDefault: 1 }] }, /default values need format version 3/, 2],
    [{ schemaId: 0, fields: [f(1, 'a', { type: 'int' })], identifierFieldIds: [9] }, /identifier field 9 is not in the schema/],
    [{ schemaId: 0, fields: [f(1, 'a', { type: 'int' })], identifierFieldIds: [1] }, /'a' must be required/],
    [{ schemaId: 0, fields: [f(1, 'a', { type: 'double' }, true)], identifierFieldIds: [1] }, /must not be double/],
    [{ schemaId: 0, fields: [f(1, 's', { type: 'struct', fields: [f(2, 'a', { type: 'int' }, true)] })], identifierFieldIds: [2] }, /optional struct 's'/],
    [{ schemaId: 0, fields: [f(1, 'l', { type: 'list', elementId: 2, elementRequired: true, element: { type: 'int' } }, true)], identifierFieldIds: [2] }, /nested in a list or map/],
  ];
  for (const [s, re, v] of bad) assert.throws(() => validateSchema(s, v ? { formatVersion: v } : {}), (e) => isFloeError(e, 'SCHEMA_INVALID') && re.test(e.message), re.source);
  validateSchema(ALL_TYPES, { formatVersion: 2 });
  validateSchema({ schemaId: 0, fields: [f(1, 's', { type: 'struct', fields: [f(2, 'a', { type: 'int' }, true)] }, true)], identifierFieldIds: [2] });
});
