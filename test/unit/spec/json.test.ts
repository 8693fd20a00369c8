/** JSON with exact 64-bit integers: what parseJson and stringifyJson must keep. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';

const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
// Strings that look like the scanner's business: quotes, runs of backslashes, digit runs, the mark.
// (Not a string that starts with the mark itself, "\u0000N": that one reads as a long, see below.)
const tricky = fc.array(fc.constantFrom('"', '\\', '\\\\', '1', '12345678901234567890', '-', 'e', '.', ':', ',', '{', '[', 'x', '\u0000', 'é'), { maxLength: 12 }).map((parts) => parts.join(''));
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    long,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.string(),
    tricky,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), tricky), tie('v'), { maxKeys: 4 }),
  ),
})).v;

// What the value must parse back to: safe bigints come back as numbers, -0 as 0, and a double
// written as an integer literal beyond the safe range (2^53) as a bigint.
function expected(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'number') {
    const lit = JSON.stringify(v);
    return /^-?\d+$/.test(lit) && !Number.isSafeInteger(v) ? BigInt(lit) : Object.is(v, -0) ? 0 : v;
  }
  if (Array.isArray(v)) return v.map(expected);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expected(x)]));
  return v;
}

test('any value with longs round-trips exactly, strings untouched', () => {
  fc.assert(
    fc.property(value, fc.constantFrom(undefined, 2), (v, indent) => {
      const text = stringifyJson(v, indent);
      assert.deepEqual(parseJson(text), expected(v));
    }),
    { numRuns: 2000 },
  );
});

test('without longs beyond the safe range it is JSON.parse', () => {
  fc.assert(
    fc.property(fc.json(), (text) => {
      fc.pre(!/\d{16}/.test(text));
      assert.deepEqual(parseJson(text), JSON.parse(text));
    }),
    { numRuns: 2000 },
  );
});

test('longs next to strings that end in backslashes, and digits inside strings', () => {
  const text = '{"a\\\\":9223372036854775807,"b":"x\\"12345678901234567890\\\\","c":[-9223372036854775808, 1.5e300, 12345678901234567890.5],"d":"\\u0000N1"}';
  const v = parseJson(text) as Record<string, unknown>;
  assert.equal(v['a\\'], 9223372036854775807n);
  assert.equal(v.b, 'x"12345678901234567890\\');
  assert.deepEqual(v.c, [-9223372036854775808n, 1.5e300, Number('12345678901234567890.5')]);
  assert.deepEqual(parseJson('[9007199254740993,-9007199254740993,9007199254740991,1000000000000000]'), [9007199254740993n, -9007199254740993n, 9007199254740991, 1000000000000000], 'the shortest longs beyond the safe range, 16 digits');
  assert.equal(v.d, 1n, 'a string that starts with the mark is read as one (as before; nothing sends it)');
});

test('an own "__proto__" key keeps its long and does not become the prototype', () => {
  const v = parseJson('{"__proto__":9223372036854775807,"x":{"__proto__":{"y":12345678901234567890}}}') as Record<string, unknown>;
  assert.equal(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, 9223372036854775807n);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  const x = v.x as Record<string, unknown>;
  assert.deepEqual(Object.getOwnPropertyDescriptor(x, '__proto__')?.value, { y: 12345678901234567890n });
});

test('malformed text is refused as JSON.parse refuses it', () => {
  for (const bad of ['{"a":12345678901234567890', '{"a":"unterminated', '[1,]', '{"a":-}']) assert.throws(() => parseJson(bad), SyntaxError, bad);
});
