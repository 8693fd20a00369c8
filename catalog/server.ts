/**
 * The catalog's HTTP server (fastify): `/v1/config`, the OAuth2 token endpoint, the REST
 * routes, `/healthz` and Prometheus `/metrics`. Every error leaves as the REST ErrorModel;
 * JSON keeps 64-bit snapshot ids exact both ways (src/spec/json.ts).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createFileIO, type FileIO, type S3Config } from '../src/io/index.js';
import { parseJson } from '../src/spec/json.js';
import { Auth, type AuthOptions } from './auth.js';
import { Catalog } from './catalog.js';
import { CatalogError, toErrorModel } from './errors.js';
import { CatalogMetrics } from './metrics.js';
import { ENDPOINTS, json, registerRoutes } from './routes.js';
import type { CatalogStore } from './store/index.js';

export interface CatalogServerOptions {
  store: CatalogStore;
  /** Root location of new tables: `file:///...` or `s3://bucket/prefix`. */
  warehouse: string;
  /** Storage for metadata files; built from `s3` when absent. */
  io?: FileIO;
  s3?: S3Config;
  /** Default 127.0.0.1: the catalog is not exposed unless asked. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Optional path prefix announced in `/v1/config` (`/v1/<prefix>/namespaces`). */
  prefix?: string;
  auth?: AuthOptions;
  /**
   * Storage properties handed to clients in `/v1/config` defaults and with every loaded table
   * (`s3.endpoint`, `s3.access-key-id`, `s3.secret-access-key`, `s3.path-style-access`,
   * `client.region`): how engines reach the warehouse without their own settings.
   */
  clientConfig?: Record<string, string>;
  log: Logger;
  metrics?: CatalogMetrics;
}

export interface CatalogServer {
  readonly url: string;
  readonly port: number;
  readonly catalog: Catalog;
  readonly metrics: CatalogMetrics;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** `s3.*` and `client.region` table config from an S3 setup, for clients of the catalog. */
export function s3ClientConfig(s3: S3Config): Record<string, string> {
  const out: Record<string, string> = {};
  if (s3.endpoint) out['s3.endpoint'] = s3.endpoint;
  if (s3.accessKeyId) out['s3.access-key-id'] = s3.accessKeyId;
  if (s3.secretAccessKey) out['s3.secret-access-key'] = s3.secretAccessKey;
  if (s3.sessionToken) out['s3.session-token'] = s3.sessionToken;
  if (s3.pathStyle) out['s3.path-style-access'] = 'true';
  if (s3.region) out['client.region'] = s3.region;
  return out;
}

export async function startCatalogServer(opts: CatalogServerOptions): Promise<CatalogServer> {
  const log = opts.log;
  const metrics = opts.metrics ?? new CatalogMetrics();
  const ownIO = opts.io === undefined;
  const io = opts.io ?? createFileIO(opts.s3 ?? {});
  const clientConfig = opts.clientConfig ?? {};
  const catalog = new Catalog({
    store: opts.store,
    io,
    warehouse: opts.warehouse,
    tableConfig: (location) => (/^s3[an]?:\/\//.test(location) ? clientConfig : {}),
    log,
    metrics,
  });
  const auth = new Auth(opts.auth);
  const prefix = opts.prefix?.replace(/^\/+|\/+$/g, '');
  const base = prefix ? `/v1/${prefix}` : '/v1';

  const app = Fastify({ logger: false, exposeHeadRoutes: false, bodyLimit: 64 * 1024 * 1024, routerOptions: { maxParamLength: 2048 } });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    // Java's client sends DELETE with a JSON content type and no body.
    if ((body as string).trim() === '') return done(null, undefined);
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      done(new CatalogError('BadRequestException', `malformed JSON body: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!auth.enabled || path === '/v1/oauth/tokens' || path === '/healthz' || path === '/metrics') return;
    if (!auth.allows(req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      json(reply, 401, toErrorModel(new CatalogError('NotAuthorizedException', 'a valid bearer token is required (Authorization: Bearer ...; OAuth2 clients get one from /v1/oauth/tokens)')));
      return reply;
    }
  });
  // Every query parameter of the spec is a single value: a repeated one is refused, not guessed.
  app.addHook('preValidation', async (req) => {
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(v)) throw new CatalogError('BadRequestException', `query parameter ${k} is given ${v.length} times: give it once`);
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let model;
    if (err instanceof CatalogError || !err.statusCode || err.statusCode >= 500) model = toErrorModel(err);
    else model = { error: { message: err.message, type: err.statusCode === 415 ? 'BadRequestException' : 'BadRequestException', code: err.statusCode === 413 ? 413 : 400 } };
    if (model.error.code >= 500) log.error({ err, method: req.method, url: req.url }, 'catalog request failed');
    else log.debug({ method: req.method, url: req.url, status: model.error.code, type: model.error.type, message: model.error.message }, 'catalog request refused');
    return json(reply, model.error.code, model);
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new CatalogError('NotFoundException', `no such endpoint: ${req.method} ${req.url.split('?')[0]}`);
    return json(reply, err.status, toErrorModel(err));
  });

  app.get('/healthz', async (_req, reply) => json(reply, 200, { status: 'ok' }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.get('/v1/config', async (_req, reply) =>
    json(reply, 200, {
      defaults: { ...clientConfig },
      overrides: prefix ? { prefix } : {},
      endpoints: ENDPOINTS,
    }),
  );

  app.post('/v1/oauth/tokens', async (req, reply) => {
    const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, string>;
    if (!auth.enabled) {
      // No auth configured: any client gets a token it may send (and that is never checked).
      return json(reply, 200, { access_token: 'floe-no-auth', token_type: 'bearer', expires_in: 86_400, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    }
    const r = auth.token(form, req.headers.authorization);
    return json(reply, r.ok ? 200 : r.status, r.body);
  });

  registerRoutes(app, catalog, base);

  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  log.info({ address, store: opts.store.kind, warehouse: opts.warehouse, auth: auth.enabled }, 'catalog listening');
  return {
    url: `http://${(opts.host ?? '127.0.0.1').includes(':') ? `[${opts.host}]` : (opts.host ?? '127.0.0.1')}:${port}`,
    port,
    catalog,
    metrics,
    app,
    async close() {
      await app.close();
      if (ownIO) await io.close();
    },
  };
}
