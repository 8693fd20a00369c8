/**
 * Query the stack's engines from tests: Trino (its HTTP protocol, straight from Node), Spark (the
 * long-lived server of scripts/py/spark_server.py, JSON lines over a local socket) and PyIceberg
 * (scripts/py/floe_engines.py, one Python process per call, in the pyiceberg service's venv).
 * Engines start on demand (`ensureEngine`), one at a time: a second start waits for the first,
 * in this process here and across processes through the start lock of scripts/lib/engines.sh.
 *
 * Rows come back "raw": JSON-friendly values close to what the engine gave.
 *   all engines: structs as objects by field name, lists as arrays, binary as lower-case hex,
 *     integers beyond 2^53 as decimal strings (exact), decimals as strings
 *   PyIceberg and Spark (through Arrow): maps as [key, value] pairs; dates "YYYY-MM-DD";
 *     timestamps "YYYY-MM-DDTHH:MM:SS.ffffff", with "+00:00" when zoned; NaN/±Infinity as strings
 *   Trino: maps as objects keyed by the key's text; timestamps "YYYY-MM-DD HH:MM:SS.ffffff[ UTC]"
 *     (full precision: the client announces PARAMETRIC_DATETIME)
 * To compare engines value by value, bring rows to the one canonical form of
 * test/helpers/canonical.ts with the table's Iceberg schema: `canonicalRows(rows, schema)`, or
 * `readCanonical(engine, table)`, which loads the schema from the catalog.
 */
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { schemaFromJson } from '../../src/spec/schema.js';
import type { Schema } from '../../src/spec/types.js';
import { canonicalRows, type Canon } from './canonical.js';
import { ROOT, stack } from './stack.js';

export type Row = Record<string, unknown>;

const run = promisify(execFile);
let starting: Promise<void> = Promise.resolve();
const started = new Set<string>();

/** Starts an engine through scripts/stack if it is not ready; serialised so that two never start at once. */
export function ensureEngine(name: 'trino' | 'spark' | 'pyiceberg'): Promise<void> {
  if (started.has(name)) return Promise.resolve();
  starting = starting.then(async () => {
    if (started.has(name)) return;
    await run(`${ROOT}/scripts/stack`, ['up', name], { maxBuffer: 1 << 24, timeout: 900_000 });
    started.add(name);
  });
  return starting;
}

/** Parses JSON keeping integers beyond 2^53 exact, as strings. */
export function parseJsonExact(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j] as string)) j++;
      const lit = text.slice(i, j);
      out += /^-?\d{16,}$/.test(lit) && !Number.isSafeInteger(Number(lit)) ? `"${lit}"` : lit;
      i = j - 1;
    } else out += c;
  }
  return JSON.parse(out);
}

interface TrinoType {
  rawType: string;
  arguments?: Array<{ kind: string; value: TrinoType | { fieldName?: { name: string }; typeSignature: TrinoType } | number }>;
}

/** Trino's wire values -> the raw conventions: rows by name, maps as pairs, varbinary as hex. */
function trinoRaw(v: unknown, t: TrinoType): unknown {
  if (v === null || v === undefined) return null;
  const args = t.arguments ?? [];
  switch (t.rawType) {
    case 'row':
      return Object.fromEntries(
        args.map((a, i) => {
          const f = a.value as { fieldName?: { name: string }; typeSignature: TrinoType };
          return [f.fieldName?.name ?? `field${i}`, trinoRaw((v as unknown[])[i], f.typeSignature)];
        }),
      );
    case 'array':
      return (v as unknown[]).map((e) => trinoRaw(e, args[0]?.value as TrinoType));
    case 'map':
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, trinoRaw(x, args[1]?.value as TrinoType)]);
    case 'varbinary':
      return Buffer.from(String(v), 'base64').toString('hex');
    default:
      return v;
  }
}

export interface QueryResult {
  columns: string[];
  rows: Row[];
  /** Trino's own figures for the query (its last page's stats), when the engine gives them. */
  stats?: { elapsedTimeMillis?: number; cpuTimeMillis?: number; processedRows?: number; processedBytes?: number };
}

export async function trinoQuery(sql: string, options: { catalog?: string; schema?: string } = {}): Promise<QueryResult> {
  await ensureEngine('trino');
  // PARAMETRIC_DATETIME: without it Trino rounds timestamps to milliseconds for old clients.
  const headers: Record<string, string> = {
    'X-Trino-User': 'floe',
    'X-Trino-Catalog': options.catalog ?? 'iceberg',
    'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME',
  };
  if (options.schema) headers['X-Trino-Schema'] = options.schema;
  const post = (): Promise<Response> => fetch(`${stack.trinoUrl}/v1/statement`, { method: 'POST', headers, body: sql });
  let next: () => Promise<Response> = post;
  let columns: Array<{ name: string; typeSignature: TrinoType }> | undefined;
  const rows: Row[] = [];
  let stats: QueryResult['stats'];
  for (;;) {
    const res = await next();
    // 429/503: the coordinator asks the client to repeat the same request a little later.
    if (res.status === 503 || res.status === 429) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const page = parseJsonExact(await res.text()) as {
      nextUri?: string;
      columns?: Array<{ name: string; typeSignature: TrinoType }>;
      data?: unknown[][];
      error?: { message: string; errorName: string };
      stats?: QueryResult['stats'];
    };
    stats = page.stats ?? stats;
    if (page.error) throw new Error(`trino: ${page.error.errorName}: ${page.error.message}\n  in: ${sql}`);
    columns ??= page.columns;
    for (const d of page.data ?? []) {
      const cols = columns ?? [];
      rows.push(Object.fromEntries(cols.map((c, i) => [c.name, trinoRaw(d[i], c.typeSignature)])));
    }
    const uri = page.nextUri;
    if (!uri) break;
    next = () => fetch(uri, { headers });
  }
  return { columns: (columns ?? []).map((c) => c.name), rows, ...(stats ? { stats } : {}) };
}

export async function sparkQuery(sql: string): Promise<QueryResult> {
  await ensureEngine('spark');
  const port = Number(process.env.FLOE_SPARK_PORT ?? 15002);
  const text = await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ sql }) + '\n'));
    sock.on('data', (chunk: string) => {
      data += chunk;
      if (data.endsWith('\n')) {
        sock.end();
        resolve(data);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => (data.endsWith('\n') ? undefined : reject(new Error('spark server closed the connection'))));
  });
  const out = parseJsonExact(text) as { columns?: string[]; rows?: Row[]; error?: string };
  if (out.error) throw new Error(`spark: ${out.error}\n  in: ${sql}`);
  return { columns: out.columns ?? [], rows: out.rows ?? [] };
}

function python(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(stack.python, [`${ROOT}/scripts/py/floe_engines.py`, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pyiceberg exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`))));
    child.stdin.end(stdin ?? '');
  });
}

export interface PyOptions {
  /** Catalog URI other than the stack's REST server (e.g. Floe's embedded catalog). */
  catalogUri?: string;
}

export interface ScanOptions extends PyOptions {
  /** A PyIceberg row filter expression, e.g. "id < 10 and name is not null". */
  filter?: string;
  /** Columns to read (PyIceberg's selected_fields); all when absent. */
  selectedFields?: string[];
  /** A snapshot id (as a decimal string: ids exceed 2^53) to time-travel to. */
  snapshotId?: string;
}

/** Scans a table with PyIceberg; rows in the raw conventions. */
export async function pyicebergScan(ident: string, opts: ScanOptions = {}): Promise<Row[]> {
  await ensureEngine('pyiceberg');
  const args = ['scan', ident];
  if (opts.filter) args.push('--filter', opts.filter);
  if (opts.selectedFields) args.push('--fields', opts.selectedFields.join(','));
  if (opts.snapshotId) args.push('--snapshot', opts.snapshotId);
  return parseJsonExact(await python(args, undefined, opts.catalogUri ? { FLOE_CATALOG_URI: opts.catalogUri } : {})) as Row[];
}

/** Reads a table's current snapshot with DuckDB (its iceberg extension's iceberg_scan); rows in the raw conventions. */
export async function duckdbScan(ident: string, opts: Pick<ScanOptions, 'selectedFields' | 'catalogUri'> = {}): Promise<Row[]> {
  await ensureEngine('pyiceberg');
  const args = ['duckdb', ident];
  if (opts.selectedFields) args.push('--fields', opts.selectedFields.join(','));
  return parseJsonExact(await python(args, undefined, opts.catalogUri ? { FLOE_CATALOG_URI: opts.catalogUri } : {})) as Row[];
}

/**
 * Runs a Python snippet with `catalog()` (PyIceberg on the stack's catalog), `scan`, `raw` and
 * `arrow_rows` in scope; returns the JSON of the variable `result`.
 */
export async function pyiceberg(snippet: string, opts: PyOptions = {}): Promise<unknown> {
  await ensureEngine('pyiceberg');
  return parseJsonExact(await python(['run'], snippet, opts.catalogUri ? { FLOE_CATALOG_URI: opts.catalogUri } : {}));
}

export type Engine = 'pyiceberg' | 'duckdb' | 'spark' | 'trino';

/** The current schema of a table, loaded from a REST catalog (the stack's by default). */
export async function tableSchema(ident: string, opts: PyOptions = {}): Promise<Schema> {
  const uri = (opts.catalogUri ?? stack.restUrl).replace(/\/$/, '');
  const config = (await (await fetch(`${uri}/v1/config`)).json()) as { defaults?: Record<string, string>; overrides?: Record<string, string> };
  const prefix = config.overrides?.prefix ?? config.defaults?.prefix;
  const parts = ident.split('.');
  const table = parts.pop() ?? '';
  const ns = parts.map(encodeURIComponent).join('%1F');
  const res = await fetch(`${uri}/v1/${prefix ? `${encodeURIComponent(prefix)}/` : ''}namespaces/${ns}/tables/${encodeURIComponent(table)}`);
  if (!res.ok) throw new Error(`loading ${ident} from ${uri}: HTTP ${res.status} ${await res.text()}`);
  const { metadata } = parseJsonExact(await res.text()) as { metadata: { 'current-schema-id': number; schemas: Array<{ 'schema-id': number }> } };
  const current = metadata.schemas.find((x) => x['schema-id'] === metadata['current-schema-id']);
  if (!current) throw new Error(`${ident}: no current schema in its metadata`);
  return schemaFromJson(current);
}

/**
 * Every row of a table (single-level namespace) as one engine reads it, in the canonical form of
 * test/helpers/canonical.ts, sorted by their JSON: equal data gives deep-equal results whichever
 * engine read it. Trino and Spark read through the stack's REST catalog only.
 */
export async function readCanonical(engine: Engine, ident: string, opts: PyOptions = {}): Promise<Array<Record<string, Canon>>> {
  if ((engine === 'trino' || engine === 'spark') && opts.catalogUri) throw new Error(`${engine} reads through the stack's REST catalog only`);
  const schema = await tableSchema(ident, opts);
  const [ns, table] = [ident.slice(0, ident.lastIndexOf('.')), ident.slice(ident.lastIndexOf('.') + 1)];
  const cols = schema.fields.map((f) => f.name);
  let rows: Row[];
  if (engine === 'pyiceberg') rows = await pyicebergScan(ident, opts);
  else if (engine === 'duckdb') rows = await duckdbScan(ident, opts);
  else if (engine === 'trino') rows = (await trinoQuery(`SELECT ${cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ')} FROM iceberg."${ns}"."${table}"`)).rows;
  else rows = (await sparkQuery(`SELECT ${cols.map((c) => `\`${c.replace(/`/g, '``')}\``).join(', ')} FROM iceberg.\`${ns}\`.\`${table}\``)).rows;
  return canonicalRows(rows, schema);
}

/**
 * Registers an Iceberg catalog in Trino at run time (the stack's Trino runs with dynamic catalog
 * management), on a REST catalog such as Floe's embedded one, with the stack's S3 store. Any
 * catalog of that name is replaced. `properties` adds or overrides connector properties
 * (e.g. `iceberg.rest-catalog.security`/`iceberg.rest-catalog.oauth2.credential`).
 */
export async function trinoCatalog(name: string, restUri: string, properties: Record<string, string> = {}): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`trinoCatalog: '${name}' is not a plain lower-case catalog name`);
  const props: Record<string, string> = {
    'iceberg.catalog.type': 'rest',
    'iceberg.rest-catalog.uri': restUri,
    'fs.native-s3.enabled': 'true',
    's3.endpoint': stack.s3.endpoint,
    's3.path-style-access': 'true',
    's3.region': stack.s3.region,
    's3.aws-access-key': stack.s3.accessKeyId,
    's3.aws-secret-key': stack.s3.secretAccessKey,
    ...properties,
  };
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  await trinoQuery(`DROP CATALOG IF EXISTS ${name}`);
  await trinoQuery(`CREATE CATALOG ${name} USING iceberg WITH (${Object.entries(props).map(([k, v]) => `"${k}" = ${q(v)}`).join(', ')})`);
}
