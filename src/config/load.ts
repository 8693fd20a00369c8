import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { FloeError } from '../errors.js';
import { interpolateEnv } from './env.js';
import { configSchema, type FloeConfig } from './schema.js';

/** Keys of each section, for did-you-mean hints on unknown keys. */
const KNOWN_KEYS: Record<string, string[]> = {
  '': ['kafka', 'registry', 'catalog', 'storage', 'commit', 'writer', 'memoryLimit', 'http', 'deadLetter', 'mappings'],
  kafka: ['brokers', 'clientId', 'groupId', 'sasl', 'ssl', 'autoOffsetReset', 'sessionTimeout'],
  registry: ['url', 'username', 'password', 'token'],
  catalog: ['uri', 'warehouse', 'prefix', 'token', 'oauth2', 'properties'],
  storage: ['s3', 'warehouse'],
  s3: ['endpoint', 'region', 'pathStyle', 'accessKeyId', 'secretAccessKey'],
  commit: ['interval', 'maxBytesPerTable', 'offsetsOnlyInterval'],
  writer: ['targetFileSize', 'compression', 'rowGroupSize'],
  http: ['host', 'port'],
  deadLetter: ['table', 'topic'],
  mappings: ['topics', 'topicPattern', 'table', 'format', 'schema', 'mode', 'partitionBy', 'kafkaColumns', 'route', 'autoCreate', 'schemaEvolution', 'deadLetter', 'rollup'],
  route: ['field', 'tables', 'default'],
};

function pathString(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

function valueAt(obj: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = obj;
  for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<PropertyKey, unknown>)[p];
  return v;
}

function closest(word: string, options: string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        (d[i] as number[])[j] = Math.min((d[i - 1] as number[])[j]! + 1, (d[i] as number[])[j - 1]! + 1, (d[i - 1] as number[])[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return (d[a.length] as number[])[b.length] as number;
  };
  const best = options.map((o) => [o, dist(word.toLowerCase(), o.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, word.length / 3) ? best[0] : undefined;
}

/** One line per problem: `source: key.path: what is wrong (got value)`. */
function describe(issues: ReadonlyArray<z.core.$ZodIssue>, raw: unknown, source: string): string {
  return issues
    .map((i) => {
      const key = pathString(i.path);
      if (i.code === 'unrecognized_keys') {
        const section = [...i.path].reverse().find((p) => typeof p === 'string') as string | undefined;
        const known = KNOWN_KEYS[section ?? ''] ?? [];
        return i.keys
          .map((k) => {
            const hint = closest(k, known);
            return `${source}: ${key ? `${key}.` : ''}${k}: unknown key${hint && hint !== k ? `; did you mean '${hint}'?` : ''}`;
          })
          .join('\n');
      }
      const got = valueAt(raw, i.path);
      const shown = got === undefined ? 'missing' : JSON.stringify(got);
      const msg = i.code === 'invalid_type' && got === undefined ? `required key is missing (expected ${i.expected})` : i.message;
      return `${source}: ${key || '<root>'}: ${msg}${got === undefined || msg.includes(String(got)) ? '' : ` (got ${shown})`}`;
    })
    .join('\n');
}

/** Parses and validates config text; errors name each key, the value and what is expected. */
export function parseConfig(text: string, source = 'floe.yaml', env: NodeJS.ProcessEnv = process.env): FloeConfig {
  const interpolated = interpolateEnv(text, env, source);
  const lc = new LineCounter();
  const doc = parseDocument(interpolated, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    throw new FloeError('CONFIG_INVALID', doc.errors.map((e) => `${source}:${lc.linePos(e.pos[0]).line}: YAML syntax error: ${e.message.split('\n')[0]}`).join('\n'));
  }
  if (!isMap(doc.contents) && !isSeq(doc.contents)) throw new FloeError('CONFIG_INVALID', `${source}: the config must be a YAML mapping with kafka and mappings sections`);
  const raw = doc.toJS() as unknown;
  const res = configSchema.safeParse(raw);
  if (!res.success) throw new FloeError('CONFIG_INVALID', describe(res.error.issues, raw, source));
  return res.data;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): FloeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FloeError('CONFIG_INVALID', `cannot read config file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parseConfig(text, path, env);
}
