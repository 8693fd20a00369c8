/**
 * zod issues as one line each: `floe.yaml:12: mappings[0].mode: <what is wrong> (got <value>)`.
 * Line numbers come from the YAML document; did-you-mean hints from the schema itself, so they
 * never go stale when a key is added.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = ReadonlyArray<PropertyKey>;

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a path can lead to (several under a union). */
function objectsAt(s: z.ZodType, path: Path): Def[] {
  const d = defOf(s);
  if (d.innerType) return objectsAt(d.innerType, path);
  if (d.type === 'pipe' && d.in) return objectsAt(d.in, path);
  if (d.options) return d.options.flatMap((o) => objectsAt(o, path));
  if (path.length === 0) return d.type === 'object' ? [d] : [];
  const [head, ...rest] = path;
  if (d.type === 'array' && typeof head === 'number' && d.element) return objectsAt(d.element, rest);
  if (d.type === 'object' && typeof head === 'string' && d.shape?.[head]) return objectsAt(d.shape[head], rest);
  if (d.type === 'record' && d.valueType) return objectsAt(d.valueType, rest);
  return [];
}

export function knownKeys(schema: z.ZodType, path: Path): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((o) => Object.keys(o.shape ?? {})))];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] as number;
}

export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function pathString(path: Path): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

function valueAt(obj: unknown, path: Path): unknown {
  let v = obj;
  for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<PropertyKey, unknown>)[p];
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The line of the deepest node the path reaches (the key's line for a map entry). */
function lineOf(doc: Document, lc: LineCounter, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === p);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof p === 'number') {
      const item = node.items[p] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lc.linePos(offset).line;
}

const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

function explain(i: Issue, got: unknown): string {
  const custom = !ZOD_DEFAULT.test(i.message);
  switch (i.code) {
    case 'invalid_type':
      return got === undefined ? `required key is missing (expected ${i.expected})` : `expected ${i.expected}`;
    case 'invalid_value':
      return custom ? i.message : `expected ${i.values.map((v) => show(v)).join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
    case 'too_small':
      if (custom) return i.message;
      if (i.origin === 'array') return `needs at least ${i.minimum} entr${Number(i.minimum) === 1 ? 'y' : 'ies'}`;
      if (i.origin === 'string') return 'must not be empty';
      return `must be at least ${i.minimum}`;
    case 'too_big':
      return custom ? i.message : `must be at most ${i.maximum}`;
    case 'invalid_format':
      if (custom) return i.message;
      return i.format === 'url' ? 'expected a URL, e.g. http://127.0.0.1:8081' : `expected a ${i.format}`;
    case 'invalid_union':
      return custom ? i.message : 'does not match any of the accepted forms';
    default:
      return i.message;
  }
}

/**
 * For a union, the issues of the branch that got furthest into the value (e.g. `ssl: {ca: 1}`
 * is an object with a bad `ca`, not a bad boolean), else the union's own message.
 */
function flatten(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || ZOD_DEFAULT.test(i.message) === false || i.errors.length === 0) return [i];
    const deepest = [...i.errors].sort((a, b) => Math.max(0, ...b.map((x) => x.path.length)) - Math.max(0, ...a.map((x) => x.path.length)))[0] ?? [];
    if (!deepest.some((x) => x.path.length > 0)) return [i];
    return flatten(deepest.map((x) => ({ ...x, path: [...i.path, ...x.path] }) as Issue));
  });
}

export interface Located {
  doc: Document;
  lc: LineCounter;
  raw: unknown;
  source: string;
}

/** One line per problem, in file order. */
export function describeIssues(issues: readonly Issue[], schema: z.ZodType, at: Located): string {
  const lines: Array<{ line: number; text: string }> = [];
  const emit = (path: Path, text: string) => {
    const line = lineOf(at.doc, at.lc, path);
    lines.push({ line: line ?? 0, text: `${at.source}${line ? `:${line}` : ''}: ${pathString(path) || '<root>'}: ${text}` });
  };
  for (const i of flatten(issues)) {
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(schema, i.path);
      for (const k of i.keys) {
        const hint = closest(k, known);
        emit([...i.path, k], `unknown key${hint ? `; did you mean '${hint}'?` : known.length ? `; expected one of ${known.join(', ')}` : ''}`);
      }
      continue;
    }
    const got = valueAt(at.raw, i.path);
    const msg = explain(i, got);
    const shown = got === undefined ? '' : show(got);
    const already = got === undefined || msg.includes(shown);
    emit(i.path, `${msg}${already ? '' : ` (got ${shown})`}`);
  }
  return lines
    .sort((a, b) => a.line - b.line)
    .map((l) => l.text)
    .join('\n');
}
