import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDecimal, valueFromJson, valueToJson } from '../../../src/spec/value-json.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import type { IcebergType, Value } from '../../../src/spec/types.js';
import { isFloeError } from '../../../src/errors.js';

const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

/** Arbitraries for values of each type, in the in-memory representation (types.ts). */
const CASES: Array<[IcebergType, fc.Arbitrary<Value>]> = [
  [{ type: 'boolean' }, fc.boolean()],
  [{ type: 'int' }, fc.integer()],
  [{ type: 'long' }, long],
  // -0 leaves as 0: JSON numbers (JSON.stringify) have no negative zero.
  [{ type: 'float' }, fc.float().filter((x) => !Object.is(x, -0))],
  [{ type: 'double' }, fc.double().filter((x) => !Object.is(x, -0))],
  [{ type: 'decimal', precision: 38, scale: 4 }, fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n })],
  [{ type: 'decimal', precision: 9, scale: 0 }, fc.bigInt({ min: -999_999_999n, max: 999_999_999n })],
  [{ type: 'date' }, fc.integer({ min: -3_000_000, max: 3_000_000 })],
  [{ type: 'time' }, fc.bigInt({ min: 0n, max: 86_400_000_000n - 1n })],
  [{ type: 'timestamp' }, fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n })],
  [{ type: 'timestamptz' }, fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n })],
  [{ type: 'timestamp_ns' }, long],
  [{ type: 'timestamptz_ns' }, long],
  [{ type: 'string' }, fc.string({ unit: 'binary' })],
  [{ type: 'uuid' }, fc.uuid()],
  [{ type: 'fixed', length: 5 }, fc.uint8Array({ minLength: 5, maxLength: 5 })],
  [{ type: 'binary' }, fc.uint8Array()],
];

test('JSON single values round-trip for every primitive type, through text', () => {
  for (const [type, arb] of CASES) {
    fc.assert(
      fc.property(arb, (v) => {
        const back = valueFromJson(type, parseJson(stringifyJson(valueToJson(type, v))));
        assert.deepEqual(back, v, `${type.type}: ${String(v)}`);
      }),
    );
  }
});

test('JSON single values of nested types round-trip (structs keyed by field id)', () => {
  const type: IcebergType = {
    type: 'struct',
    fields: [
      { id: 1, name: 'a', required: false, type: { type: 'int' } },
      { id: 2, name: 'tags', required: false, type: { type: 'list', elementId: 3, elementRequired: false, element: { type: 'string' } } },
      { id: 4, name: 'm', required: false, type: { type: 'map', keyId: 5, key: { type: 'string' }, valueId: 6, valueRequired: false, value: { type: 'long' } } },
    ],
  };
  const arb = fc.record({
    a: fc.option(fc.integer(), { nil: null }),
    tags: fc.option(fc.array(fc.option(fc.string(), { nil: null })), { nil: null }),
    m: fc.option(fc.array(fc.tuple(fc.string(), fc.option(long, { nil: null }))), { nil: null }),
  });
  fc.assert(fc.property(arb, (r) => {
      const v = { ...r };
      assert.deepEqual(valueFromJson(type, parseJson(stringifyJson(valueToJson(type, v as Value)))), v);
    }));
  assert.deepEqual(valueToJson(type, { a: 1, tags: ['x'], m: [['k', 2n]] }), { '1': 1, '2': ['x'], '4': { keys: ['k'], values: [2n] } });
});

test('JSON single values match the spec examples', () => {
  const t = (type: IcebergType, v: Value, json: unknown) => {
    assert.deepEqual(valueToJson(type, v), json);
    assert.deepEqual(valueFromJson(type, json), v);
  };
  const micros = BigInt(Date.parse('2017-11-16T22:31:08Z')) * 1000n + 123456n;
  t({ type: 'boolean' }, true, true);
  t({ type: 'int' }, 34, 34);
  t({ type: 'long' }, 34n, 34n);
  t({ type: 'decimal', precision: 9, scale: 2 }, 1420n, '14.20');
  t({ type: 'decimal', precision: 9, scale: 2 }, -5n, '-0.05');
  t({ type: 'date' }, 17486, '2017-11-16');
  t({ type: 'time' }, 81_068_123_456n, '22:31:08.123456');
  t({ type: 'timestamp' }, micros, '2017-11-16T22:31:08.123456');
  t({ type: 'timestamptz' }, micros, '2017-11-16T22:31:08.123456+00:00');
  t({ type: 'timestamp_ns' }, micros * 1000n + 789n, '2017-11-16T22:31:08.123456789');
  t({ type: 'timestamptz_ns' }, micros * 1000n + 789n, '2017-11-16T22:31:08.123456789+00:00');
  t({ type: 'uuid' }, 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  t({ type: 'binary' }, Uint8Array.of(0, 1, 2, 0xff), '000102ff');
  assert.equal(parseDecimal('2E+20', -20), 2n);
  // Readers accept other spellings of the same instant.
  assert.equal(valueFromJson({ type: 'timestamptz' }, '2017-11-16T14:31:08.123456-08:00'), micros);
  assert.equal(valueFromJson({ type: 'timestamptz' }, '2017-11-16T22:31:08.123456Z'), micros);
  assert.equal(valueFromJson({ type: 'time' }, '22:31'), 81_060_000_000n);
  assert.equal(valueFromJson({ type: 'uuid' }, 'F79C3E09-677C-4BBD-A479-3F349CB785E7'), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
  assert.deepEqual(valueFromJson({ type: 'double' }, 'NaN'), Number.NaN);
});

test('JSON single values of the wrong shape are refused with VALUE_INVALID', () => {
  const refused: Array<[IcebergType, unknown, RegExp]> = [
    [{ type: 'int' }, 2 ** 31, /32-bit/],
    [{ type: 'int' }, 1.5, /32-bit/],
    [{ type: 'long' }, 2n ** 63n, /64-bit/],
    [{ type: 'decimal', precision: 9, scale: 2 }, '14.2', /scale 1/],
    [{ type: 'decimal', precision: 9, scale: 2 }, 14.2, /JSON strings/],
    [{ type: 'timestamp' }, '2017-11-16T22:31:08+00:00', /must not have a zone offset/],
    [{ type: 'timestamptz' }, '2017-11-16T22:31:08', /zone offset is required/],
    [{ type: 'fixed', length: 2 }, '000102', /2 bytes/],
    [{ type: 'binary' }, 'xyz', /hexadecimal/],
    [{ type: 'date' }, '2017-13-01', /ISO-8601 date/],
    [{ type: 'map', keyId: 1, key: { type: 'string' }, valueId: 2, valueRequired: true, value: { type: 'int' } }, { keys: ['a'], values: [] }, /equal length/],
  ];
  for (const [type, j, re] of refused) assert.throws(() => valueFromJson(type, j), (e) => isFloeError(e, 'VALUE_INVALID') && re.test(e.message), `${type.type} ${String(j)}`);
});
