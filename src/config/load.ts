import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { FloeError } from '../errors.js';
import { interpolateEnv } from './env.js';
import { describeIssues } from './messages.js';
import { buildConfigSchema, type FloeConfig } from './schema.js';

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
  /** Where relative file paths in the config (TLS certificates) start; the config file's folder. */
  baseDir?: string;
}

/**
 * Parses and validates config text. Every problem is reported, one line each, naming the file,
 * line, key, value and what is expected; the thrown FloeError (CONFIG_INVALID) carries them all.
 */
export function parseConfig(text: string, sourceName = 'floe.yaml', o: ParseOptions = {}): FloeConfig {
  const interpolated = interpolateEnv(text, o.env ?? process.env, sourceName);
  const lc = new LineCounter();
  const doc = parseDocument(interpolated, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new FloeError('CONFIG_INVALID', doc.errors.map((e) => `${sourceName}:${lc.linePos(e.pos[0]).line}: YAML syntax error: ${e.message.split('\n')[0]}`).join('\n'));
  }
  if (!isMap(doc.contents)) throw new FloeError('CONFIG_INVALID', `${sourceName}: the config must be a YAML mapping with kafka and mappings sections`);
  const raw = doc.toJS() as unknown;
  const baseDir = o.baseDir ?? process.cwd();
  const schema = buildConfigSchema(() => baseDir);
  const res = schema.safeParse(raw);
  if (!res.success) throw new FloeError('CONFIG_INVALID', describeIssues(res.error.issues, schema, { doc, lc, raw, source: sourceName }));
  return res.data;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): FloeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FloeError('CONFIG_INVALID', `cannot read config file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parseConfig(text, path, { env, baseDir: dirname(resolve(path)) });
}
