/** `floe catalog serve`: the embedded REST catalog as a process of its own. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { createLogger } from '../src/observability/index.js';
import type { S3Config } from '../src/io/index.js';
import { startCatalogServer, s3ClientConfig } from './server.js';
import { openStore } from './store/index.js';

interface ServeOptions {
  port: string;
  host: string;
  store: string;
  warehouse: string;
  prefix?: string;
  token: string[];
  client: string[];
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  vendCredentials?: boolean;
  logLevel?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** A warehouse argument as a location: `s3://...` and `file://...` as given, a path made absolute. */
export function warehouseLocation(arg: string): string {
  if (/^(s3[an]?|file):\/\//.test(arg)) return arg.replace(/\/+$/, '');
  return pathToFileURL(resolve(arg)).href.replace(/\/+$/, '');
}

export function registerCatalogCommand(program: Command): Command {
  const catalog = program.command('catalog').description('the embedded Iceberg REST catalog');
  catalog
    .command('serve')
    .description('serve the Iceberg REST catalog (SQLite or PostgreSQL store; warehouse on the local disk or S3)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8181')
    .option('--host <host>', 'address to bind (0.0.0.0 exposes the catalog to the network)', '127.0.0.1')
    .option('--store <store>', 'sqlite:PATH or postgres://user:password@host:port/db', 'sqlite:floe-data/catalog.db')
    .option('--warehouse <uri>', 'root of new tables: s3://bucket/prefix, file:///path or a path', 'floe-data/warehouse')
    .option('--prefix <prefix>', 'path prefix announced in /v1/config')
    .option('--token <token>', 'accept this bearer token (repeatable; also FLOE_CATALOG_TOKENS, comma separated)', collect, [])
    .option('--client <id:secret>', 'an OAuth2 client for /v1/oauth/tokens (repeatable; also FLOE_CATALOG_CLIENTS)', collect, [])
    .option('--s3-endpoint <url>', 'S3 endpoint for a non-AWS store (keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)')
    .option('--s3-region <region>', 'S3 region', process.env.AWS_REGION)
    .option('--s3-path-style', 'path-style S3 addressing (MinIO, versitygw)')
    .option('--vend-credentials', 'hand the S3 endpoint and keys to clients in /v1/config and with every table')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (opts: ServeOptions) => {
      const log = createLogger({ level: opts.logLevel }).child({ component: 'catalog' });
      const s3: S3Config = {
        ...(opts.s3Endpoint ? { endpoint: opts.s3Endpoint } : {}),
        ...(opts.s3Region ? { region: opts.s3Region } : {}),
        ...(opts.s3PathStyle ? { pathStyle: true } : {}),
        ...(process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: process.env.AWS_ACCESS_KEY_ID } : {}),
        ...(process.env.AWS_SECRET_ACCESS_KEY ? { secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } : {}),
      };
      const clients = [...opts.client, ...list(process.env.FLOE_CATALOG_CLIENTS)].map((c) => {
        const i = c.indexOf(':');
        if (i <= 0) throw new Error(`--client '${c}': expected id:secret`);
        return { id: c.slice(0, i), secret: c.slice(i + 1) };
      });
      const store = await openStore(opts.store);
      const server = await startCatalogServer({
        store,
        warehouse: warehouseLocation(opts.warehouse),
        s3,
        host: opts.host,
        port: Number(opts.port),
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
        auth: { tokens: [...opts.token, ...list(process.env.FLOE_CATALOG_TOKENS)], clients },
        ...(opts.vendCredentials ? { clientConfig: s3ClientConfig(s3) } : {}),
        log,
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'catalog stopping');
        server
          .close()
          .then(() => store.close())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              log.error({ err }, 'error while stopping');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
  return catalog;
}
