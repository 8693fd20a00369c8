/** Deterministic random rows for a schema, with nulls at every level, in Floe's value representation. */
import type { IcebergType, NestedField, Value } from '../../src/spec/types.js';

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'Zoë', '日本', '🎉', '', 'merchant-42', 'a'.repeat(30), 'NULL', 'x y'];

export function genValue(t: IcebergType, r: () => number, nullRate = 0.1): Value {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const big = (lo: bigint, hi: bigint) => lo + (BigInt(Math.floor(r() * 2 ** 52)) * (hi - lo)) / 2n ** 52n;
  switch (t.type) {
    case 'boolean':
      return r() < 0.5;
    case 'int':
      return int(-2147483648, 2147483647);
    case 'long':
      return big(-(2n ** 62n), 2n ** 62n);
    case 'float':
      return r() < 0.05 ? Number.NaN : Math.fround((r() - 0.5) * 1e6);
    case 'double':
      return r() < 0.05 ? [Number.NaN, Infinity, -Infinity][int(0, 2)] as number : (r() - 0.5) * 1e12;
    case 'decimal':
      return big(-(10n ** BigInt(t.precision)) + 1n, 10n ** BigInt(t.precision) - 1n);
    case 'date':
      return int(-719162, 2932896); // 0001-01-01 .. 9999-12-31
    case 'time':
      return big(0n, 86_399_999_999n);
    case 'timestamp':
    case 'timestamptz':
      return big(-62135596800000000n, 253402300799999999n);
    case 'string':
      return WORDS[int(0, WORDS.length - 1)] + (r() < 0.5 ? String(int(0, 99)) : '');
    case 'uuid': {
      const h = Array.from({ length: 32 }, () => int(0, 15).toString(16)).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'fixed':
      return Uint8Array.from({ length: t.length }, () => int(0, 255));
    case 'binary':
      return Uint8Array.from({ length: int(0, 12) }, () => int(0, 255));
    case 'struct':
      return genRow(t.fields, r, nullRate);
    case 'list':
      return Array.from({ length: int(0, 3) }, () => (!t.elementRequired && r() < nullRate ? null : genValue(t.element, r, nullRate)));
    case 'map': {
      const keys = new Set<string>();
      const out: Array<[Value, Value]> = [];
      for (let i = int(0, 3); i > 0; i--) {
        const k = genValue(t.key, r, 0);
        const ks = String(k);
        if (keys.has(ks)) continue;
        keys.add(ks);
        out.push([k, !t.valueRequired && r() < nullRate ? null : genValue(t.value, r, nullRate)]);
      }
      return out;
    }
    default:
      return null;
  }
}

export function genRow(fields: readonly NestedField[], r: () => number, nullRate = 0.1): { [k: string]: Value } {
  const row: { [k: string]: Value } = {};
  for (const f of fields) row[f.name] = !f.required && r() < nullRate ? null : genValue(f.type, r, nullRate);
  return row;
}
