/** A schema with every Iceberg type of DESIGN §3 and rows that hit their edges, for write/read tests. */
import type { Schema, Value } from '../../src/spec/types.js';

export const ALL_TYPES: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'flag', required: false, type: { type: 'boolean' } },
    { id: 3, name: 'i32', required: false, type: { type: 'int' } },
    { id: 4, name: 'f32', required: false, type: { type: 'float' } },
    { id: 5, name: 'f64', required: false, type: { type: 'double' } },
    { id: 6, name: 'dec9', required: false, type: { type: 'decimal', precision: 9, scale: 2 } },
    { id: 7, name: 'dec38', required: false, type: { type: 'decimal', precision: 38, scale: 10 } },
    { id: 8, name: 'day', required: false, type: { type: 'date' } },
    { id: 9, name: 'tod', required: false, type: { type: 'time' } },
    { id: 10, name: 'ts', required: false, type: { type: 'timestamp' } },
    { id: 11, name: 'tstz', required: false, type: { type: 'timestamptz' } },
    { id: 12, name: 'name', required: false, type: { type: 'string' } },
    { id: 13, name: 'uid', required: false, type: { type: 'uuid' } },
    { id: 14, name: 'fix', required: false, type: { type: 'fixed', length: 4 } },
    { id: 15, name: 'bin', required: false, type: { type: 'binary' } },
    {
      id: 16,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 20, name: 'a', required: false, type: { type: 'int' } },
          { id: 21, name: 'b', required: false, type: { type: 'struct', fields: [{ id: 22, name: 'c', required: false, type: { type: 'string' } }] } },
        ],
      },
    },
    { id: 17, name: 'tags', required: false, type: { type: 'list', elementId: 23, elementRequired: false, element: { type: 'string' } } },
    {
      id: 18,
      name: 'attrs',
      required: false,
      type: { type: 'map', keyId: 24, key: { type: 'string' }, valueId: 25, valueRequired: false, value: { type: 'long' } },
    },
    {
      id: 19,
      name: 'points',
      required: false,
      type: {
        type: 'list',
        elementId: 26,
        elementRequired: false,
        element: { type: 'struct', fields: [{ id: 27, name: 'x', required: false, type: { type: 'double' } }, { id: 28, name: 'y', required: false, type: { type: 'double' } }] },
      },
    },
  ],
};

const u8 = (...b: number[]) => Uint8Array.from(b);

export const ALL_TYPES_ROWS: Array<{ [k: string]: Value }> = [
  {
    id: 1n, flag: true, i32: -2147483648, f32: Math.fround(1.5), f64: Number.NaN, dec9: -1234567n, dec38: -(10n ** 37n) - 12345n,
    day: -719162, tod: 0n, ts: -62135596800000000n, tstz: -1n, name: 'Zoë 日本 🎉', uid: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
    fix: u8(0, 1, 2, 3), bin: u8(), st: { a: 1, b: { c: 'deep' } }, tags: ['a', null, ''], attrs: [['k1', 1n], ['k2', null]],
    points: [{ x: 1, y: 2 }, null, { x: null, y: Number.POSITIVE_INFINITY }],
  },
  {
    id: 2n, flag: false, i32: 2147483647, f32: Number.NEGATIVE_INFINITY, f64: Number.POSITIVE_INFINITY, dec9: 9999999n, dec38: 10n ** 38n - 1n,
    day: 2932896, tod: 86399999999n, ts: 253402300799999999n, tstz: 4102444800000000n, name: '', uid: '00000000-0000-0000-0000-000000000000',
    fix: u8(255, 255, 255, 255), bin: u8(0, 255), st: { a: null, b: null }, tags: [], attrs: [],
    points: [],
  },
  {
    id: 3n, flag: null, i32: null, f32: null, f64: null, dec9: null, dec38: null, day: null, tod: null, ts: null, tstz: null,
    name: null, uid: null, fix: null, bin: null, st: null, tags: null, attrs: null, points: null,
  },
  {
    id: 4n, flag: true, i32: 0, f32: Math.fround(-0.1), f64: -0.0, dec9: 0n, dec38: 1n, day: 0, tod: 45296789012n,
    ts: 0n, tstz: 1700000000123456n, name: 'a'.repeat(40), uid: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'.toLowerCase(),
    fix: u8(1, 2, 3, 4), bin: u8(1, 2, 3), st: { a: 5, b: { c: null } }, tags: ['z'], attrs: [['only', -5n]],
    points: [{ x: Number.NaN, y: -1 }],
  },
];
