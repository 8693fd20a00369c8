/**
 * JSON with exact 64-bit integers. Iceberg snapshot ids are longs that usually exceed 2^53
 * (Java derives them from UUIDs): plain JSON.parse would silently change them, and a commit
 * would then assert the wrong parent. Integers beyond the safe range parse to bigint, and
 * bigints stringify as plain JSON numbers.
 */
const MARK = '\u0000N';

export function parseJson(text: string): unknown {
  const marked = markLongs(text);
  return marked === text ? JSON.parse(text) : unmark(JSON.parse(marked));
}

/**
 * The text with every integer literal beyond the safe range (outside strings) turned into a
 * marked string. Strings are skipped with indexOf rather than char by char: metadata is mostly
 * strings (paths, summaries), so this is what keeps parsing near JSON.parse's own speed.
 */
function markLongs(text: string): string {
  let out = '';
  let last = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // The closing quote: the next '"' not escaped by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      while (j !== -1) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (j === -1) break; // unterminated: JSON.parse says so
      i = j;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      if (j - i >= 16) {
        const lit = text.slice(i, j);
        if (/^-?\d+$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
          out += text.slice(last, i) + `"\\u0000N${lit}"`;
          last = j;
        }
      }
      i = j - 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Marked strings back to bigints, in place (a walk: JSON.parse's reviver is ~3x slower). */
function unmark(v: unknown): unknown {
  if (typeof v === 'string') return isMarked(v) ? BigInt(v.slice(2)) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null) unmark(x);
      else if (typeof x === 'string' && isMarked(x)) v[i] = BigInt(x.slice(2));
    }
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const x = o[k];
      if (typeof x === 'object' && x !== null) unmark(x);
      else if (typeof x === 'string' && isMarked(x)) {
        // '__proto__' is an own property after JSON.parse; assigning to it would call the setter.
        if (k === '__proto__') Object.defineProperty(o, k, { value: BigInt(x.slice(2)), writable: true, enumerable: true, configurable: true });
        else o[k] = BigInt(x.slice(2));
      }
    }
  }
  return v;
}

const isMarked = (s: string): boolean => s.charCodeAt(0) === 0 && s.startsWith(MARK);

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function stringifyJson(value: unknown, indent?: number): string {
  let big = false;
  const s = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      if (v >= MIN_SAFE && v <= MAX_SAFE) return Number(v);
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
