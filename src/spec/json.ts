/**
 * JSON with exact 64-bit integers. Iceberg snapshot ids are longs that usually exceed 2^53
 * (Java derives them from UUIDs): plain JSON.parse would silently change them, and a commit
 * would then assert the wrong parent. Integers beyond the safe range parse to bigint, and
 * bigints stringify as plain JSON numbers.
 */
const MARK = '\u0000N';

export function parseJson(text: string): unknown {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      const lit = text.slice(i, j);
      if (lit.length >= 16 && /^-?\d+$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
        out += text.slice(last, i) + `"\\u0000N${lit}"`;
        last = j;
      }
      i = j - 1;
    }
  }
  if (last === 0) return JSON.parse(text);
  out += text.slice(last);
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(2)) : v));
}

export function stringifyJson(value: unknown, indent?: number): string {
  let big = false;
  const s = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
      big = true;
      return MARK + v.toString();
    },
    indent,
  );
  return big ? s.replace(/"\\u0000N(-?\d+)"/g, '$1') : s;
}

/** A long from JSON (number or bigint) as bigint. */
export function toLong(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`not a long: ${String(v)}`);
}
