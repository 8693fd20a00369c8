/**
 * The embedded catalog started in-process for tests: an ephemeral port, a SQLite file in a
 * temporary directory or the stack's PostgreSQL, and a `file://` or S3 warehouse.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openStore, startCatalogServer, s3ClientConfig, type CatalogServer, type CatalogServerOptions } from '../../catalog/index.js';
import { Catalog } from '../../catalog/catalog.js';
import { SqliteStore } from '../../catalog/store/index.js';
import { LocalFileIO, S3FileIO, type FileIO } from '../../src/io/index.js';
import { RestCatalog, TableOps } from '../../src/iceberg/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { stack } from './stack.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface TestCatalog {
  server: CatalogServer;
  url: string;
  client: RestCatalog;
  ops: TableOps;
  io: FileIO;
  warehouse: string;
  close(): Promise<void>;
}

export interface TestCatalogOptions extends Partial<Pick<CatalogServerOptions, 'auth' | 'prefix'>> {
  store?: StoreKind;
  warehouse?: 'file' | 's3';
  vend?: boolean;
}

export const stackS3 = () => ({ endpoint: stack.s3.endpoint, region: stack.s3.region, pathStyle: true, accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey });

export async function startTestCatalog(opts: TestCatalogOptions = {}): Promise<TestCatalog> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-catalog-'));
  const store = await openStore(opts.store === 'postgres' ? stack.postgresUrl : `sqlite:${join(dir, 'catalog.db')}`);
  const s3 = opts.warehouse === 's3';
  const io: FileIO = s3 ? new S3FileIO(stackS3()) : new LocalFileIO();
  const warehouse = s3 ? `s3://${stack.s3.bucket}/floe-catalog-tests` : pathToFileURL(join(dir, 'warehouse')).href;
  const server = await startCatalogServer({
    store,
    io,
    warehouse,
    log: silentLogger(),
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    ...(opts.vend ? { clientConfig: s3ClientConfig(stackS3()) } : {}),
  });
  const client = new RestCatalog({ uri: server.url });
  return {
    server,
    url: server.url,
    client,
    ops: new TableOps(client, io),
    io,
    warehouse,
    async close() {
      await server.close();
      await store.close();
      await io.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CatalogProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM (graceful) or SIGKILL, and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `floe catalog serve` as a child process (through tsx, like `npm run` scripts), on a port of
 * its choosing unless given; answers once the server logged where it listens.
 */
export async function spawnCatalog(args: string[], env: Record<string, string> = {}): Promise<CatalogProcess> {
  const { spawn } = await import('node:child_process');
  const { ROOT } = await import('./stack.js');
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}/src/main.ts`, 'catalog', 'serve', ...(args.includes('--port') ? [] : ['--port', '0']), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`floe catalog serve exited (${code}) before listening: ${err}${out}`)));
  });
  return {
    url,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The catalog without a server: an in-memory SQLite store, a temporary `file://` warehouse, namespace `db`. */
export async function withDirectCatalog<T>(f: (catalog: Catalog, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-meta-'));
  try {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.createNamespace(['db'], {});
    return await f(new Catalog({ store, io: new LocalFileIO(), warehouse: `file://${dir}`, log: silentLogger() }), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
