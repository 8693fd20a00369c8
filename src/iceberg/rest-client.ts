/**
 * Iceberg REST catalog client: config, namespaces, tables, commits and multi-table
 * transactions, with bearer or OAuth2 client-credentials auth. Errors map to FloeError codes
 * the commit logic branches on: 409 COMMIT_CONFLICT, and for a commit whose outcome cannot be
 * known (5xx, timeout, dropped connection) COMMIT_STATE_UNKNOWN (DESIGN §2 rule 5).
 */
import { FloeError, type FloeErrorCode } from '../errors.js';
import { parseJson, stringifyJson } from '../spec/json.js';
import { metadataFromJson, type TableMetadata } from '../spec/metadata.js';
import { requirementToJson, type TableRequirement } from '../spec/requirements.js';
import { updateToJson, type TableUpdate } from '../spec/updates.js';

export interface RestCatalogConfig {
  uri: string;
  warehouse?: string;
  /** Overrides the prefix the server's config endpoint returns. */
  prefix?: string;
  token?: string;
  oauth2?: { clientId: string; clientSecret: string; scope?: string; serverUri?: string };
  /** Extra properties sent as defaults (e.g. S3 settings) and merged with the server's. */
  properties?: Record<string, string>;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface TableIdent {
  namespace: string[];
  name: string;
}

export function parseIdent(s: string): TableIdent {
  const parts = s.split('.');
  if (parts.length < 2 || parts.some((p) => p.length === 0)) {
    throw new FloeError('CONFIG_INVALID', `table identifier '${s}' must be namespace.table (e.g. analytics.orders)`);
  }
  return { namespace: parts.slice(0, -1), name: parts.at(-1) as string };
}

export const identToString = (t: TableIdent) => [...t.namespace, t.name].join('.');

export interface LoadedTable {
  metadataLocation: string | undefined;
  metadata: TableMetadata;
  /** Table-level config from the server (storage settings, vended credentials). */
  config: Record<string, string>;
  storageCredentials: Array<{ prefix: string; config: Record<string, string> }>;
}

const NS_SEP = '\u001f';

function codeFor(status: number, type: string | undefined, commit: boolean): { code: FloeErrorCode; retryable: boolean } {
  if (status === 409) return { code: type === 'AlreadyExistsException' ? 'ALREADY_EXISTS' : 'COMMIT_CONFLICT', retryable: type !== 'AlreadyExistsException' };
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  if (status === 401 || status === 403 || status === 419) return { code: 'UNAUTHORIZED', retryable: status === 419 };
  if (status >= 500 || status === 429 || status === 408) return { code: commit ? 'COMMIT_STATE_UNKNOWN' : 'CATALOG_ERROR', retryable: true };
  return { code: 'CATALOG_ERROR', retryable: false };
}

export class RestCatalog {
  private base: string;
  private prefix = '';
  private token: string | undefined;
  private tokenExpiresAt = Infinity;
  private initialized: Promise<void> | undefined;
  /** Merged catalog properties (server defaults < client < server overrides). */
  properties: Record<string, string> = {};
  endpoints: Set<string> | undefined;

  constructor(private readonly cfg: RestCatalogConfig) {
    this.base = cfg.uri.replace(/\/+$/, '');
    this.token = cfg.token;
  }

  private init(): Promise<void> {
    this.initialized ??= (async () => {
      const q = this.cfg.warehouse ? `?warehouse=${encodeURIComponent(this.cfg.warehouse)}` : '';
      const c = (await this.request('GET', `/v1/config${q}`, undefined, { noPrefix: true })) as {
        defaults?: Record<string, string>;
        overrides?: Record<string, string>;
        endpoints?: string[];
      };
      this.properties = { ...c.defaults, ...this.cfg.properties, ...c.overrides };
      if (c.endpoints) this.endpoints = new Set(c.endpoints);
      const prefix = this.cfg.prefix ?? this.properties.prefix;
      this.prefix = prefix ? `/${prefix.replace(/^\/+|\/+$/g, '')}` : '';
      if (this.properties.uri && this.properties.uri !== this.cfg.uri) this.base = this.properties.uri.replace(/\/+$/, '');
    })().catch((err: unknown) => {
      this.initialized = undefined;
      throw err;
    });
    return this.initialized;
  }

  private async authHeader(): Promise<Record<string, string>> {
    if (this.cfg.oauth2 && (this.token === undefined || Date.now() > this.tokenExpiresAt - 60_000)) await this.fetchToken();
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async fetchToken(): Promise<void> {
    const o = this.cfg.oauth2 as NonNullable<RestCatalogConfig['oauth2']>;
    const url = o.serverUri ?? `${this.base}/v1/oauth/tokens`;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: o.clientId, client_secret: o.clientSecret, scope: o.scope ?? 'catalog' });
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new FloeError('CATALOG_ERROR', `OAuth2 token request to ${url} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    const j = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string; error?: string };
    if (!res.ok || !j.access_token) {
      throw new FloeError('UNAUTHORIZED', `OAuth2 token request to ${url} was refused (${res.status} ${j.error ?? ''} ${j.error_description ?? ''}); check catalog.oauth2 clientId/clientSecret`.trim(), { retryable: res.status >= 500 });
    }
    this.token = j.access_token;
    this.tokenExpiresAt = j.expires_in ? Date.now() + j.expires_in * 1000 : Infinity;
  }

  private async request(method: string, path: string, body?: unknown, opts: { noPrefix?: boolean; commit?: boolean; allow404?: boolean } = {}): Promise<unknown> {
    if (!opts.noPrefix) await this.init();
    const url = `${this.base}${opts.noPrefix ? '' : ''}${path.startsWith('/v1/') && !opts.noPrefix ? path.replace('/v1/', `/v1${this.prefix}/`) : path}`;
    const attempts = method === 'GET' || method === 'HEAD' ? 4 : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { 'content-type': 'application/json', ...this.cfg.headers, ...(await this.authHeader()) },
          body: body === undefined ? undefined : stringifyJson(body),
          signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000),
        });
      } catch (err) {
        if (err instanceof FloeError) throw err;
        if (attempt < attempts) {
          await sleep(100 * 2 ** attempt);
          continue;
        }
        const what = (err as Error).name === 'TimeoutError' ? 'timed out' : `failed: ${(err as Error).message}`;
        throw new FloeError(opts.commit ? 'COMMIT_STATE_UNKNOWN' : 'CATALOG_ERROR', `${method} ${url} ${what}`, { cause: err, retryable: true });
      }
      if (res.status === 401 && this.cfg.oauth2 && attempt === 1) {
        this.token = undefined; // expired early: fetch a new token once
        continue;
      }
      const text = await res.text();
      if (res.ok) return text ? parseJson(text) : undefined;
      if (res.status === 404 && opts.allow404) return undefined;
      if ((res.status >= 500 || res.status === 429) && attempt < attempts) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      let err: { message?: string; type?: string } = {};
      try {
        err = (JSON.parse(text) as { error?: typeof err }).error ?? {};
      } catch {
        // not an ErrorModel
      }
      const { code, retryable } = codeFor(res.status, err.type, opts.commit ?? false);
      throw new FloeError(code, `${method} ${url}: ${res.status} ${err.type ?? ''} ${err.message ?? text.slice(0, 300)}`.replace(/\s+/g, ' ').trim(), { retryable, details: { status: res.status, type: err.type } });
    }
  }

  private nsPath(ns: string[]): string {
    return encodeURIComponent(ns.join(NS_SEP));
  }

  private tablePath(t: TableIdent): string {
    return `/v1/namespaces/${this.nsPath(t.namespace)}/tables/${encodeURIComponent(t.name)}`;
  }

  async listNamespaces(parent?: string[]): Promise<string[][]> {
    const out: string[][] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams();
      if (parent) q.set('parent', parent.join(NS_SEP));
      if (token) q.set('pageToken', token);
      const r = (await this.request('GET', `/v1/namespaces${q.size ? `?${q}` : ''}`)) as { namespaces: string[][]; 'next-page-token'?: string | null };
      out.push(...r.namespaces);
      token = r['next-page-token'] ?? undefined;
    } while (token);
    return out;
  }

  async namespaceExists(ns: string[]): Promise<boolean> {
    return (await this.request('GET', `/v1/namespaces/${this.nsPath(ns)}`, undefined, { allow404: true })) !== undefined;
  }

  async createNamespace(ns: string[], properties: Record<string, string> = {}): Promise<void> {
    await this.request('POST', '/v1/namespaces', { namespace: ns, properties });
  }

  /** Creates the namespace unless it exists (racing creators are fine). */
  async ensureNamespace(ns: string[]): Promise<void> {
    if (await this.namespaceExists(ns)) return;
    try {
      await this.createNamespace(ns);
    } catch (err) {
      if (!(err instanceof FloeError && (err.code === 'ALREADY_EXISTS' || err.code === 'COMMIT_CONFLICT'))) throw err;
    }
  }

  async dropNamespace(ns: string[]): Promise<void> {
    await this.request('DELETE', `/v1/namespaces/${this.nsPath(ns)}`);
  }

  async listTables(ns: string[]): Promise<TableIdent[]> {
    const out: TableIdent[] = [];
    let token: string | undefined;
    do {
      const r = (await this.request('GET', `/v1/namespaces/${this.nsPath(ns)}/tables${token ? `?pageToken=${encodeURIComponent(token)}` : ''}`)) as {
        identifiers: TableIdent[];
        'next-page-token'?: string | null;
      };
      out.push(...r.identifiers);
      token = r['next-page-token'] ?? undefined;
    } while (token);
    return out;
  }

  private loaded(r: Record<string, unknown>): LoadedTable {
    return {
      metadataLocation: r['metadata-location'] as string | undefined,
      metadata: metadataFromJson(r.metadata),
      config: (r.config as Record<string, string>) ?? {},
      storageCredentials: (r['storage-credentials'] as LoadedTable['storageCredentials']) ?? [],
    };
  }

  async loadTable(t: TableIdent, snapshots: 'all' | 'refs' = 'all'): Promise<LoadedTable> {
    const r = (await this.request('GET', `${this.tablePath(t)}${snapshots === 'refs' ? '?snapshots=refs' : ''}`)) as Record<string, unknown>;
    return this.loaded(r);
  }

  async tableExists(t: TableIdent): Promise<boolean> {
    return (await this.request('GET', this.tablePath(t), undefined, { allow404: true })) !== undefined;
  }

  async createTable(
    t: TableIdent,
    req: { schema: unknown; partitionSpec?: unknown; writeOrder?: unknown; properties?: Record<string, string>; location?: string; stageCreate?: boolean },
  ): Promise<LoadedTable> {
    const body: Record<string, unknown> = { name: t.name, schema: req.schema };
    if (req.partitionSpec) body['partition-spec'] = req.partitionSpec;
    if (req.writeOrder) body['write-order'] = req.writeOrder;
    if (req.location) body.location = req.location;
    if (req.stageCreate) body['stage-create'] = true;
    body.properties = { 'format-version': '2', ...req.properties };
    const r = (await this.request('POST', `/v1/namespaces/${this.nsPath(t.namespace)}/tables`, body)) as Record<string, unknown>;
    return this.loaded(r);
  }

  async dropTable(t: TableIdent, purge = false): Promise<void> {
    await this.request('DELETE', `${this.tablePath(t)}${purge ? '?purgeRequested=true' : ''}`);
  }

  async commitTable(t: TableIdent, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]): Promise<LoadedTable> {
    const body = { identifier: t, requirements: requirements.map(requirementToJson), updates: updates.map(updateToJson) };
    const r = (await this.request('POST', this.tablePath(t), body, { commit: true })) as Record<string, unknown>;
    return { metadataLocation: r['metadata-location'] as string, metadata: metadataFromJson(r.metadata), config: {}, storageCredentials: [] };
  }

  /** Atomic commit across tables, where the server offers `POST /v1/{prefix}/transactions/commit`. */
  async commitTransaction(changes: ReadonlyArray<{ table: TableIdent; requirements: readonly TableRequirement[]; updates: readonly TableUpdate[] }>): Promise<void> {
    await this.request(
      'POST',
      '/v1/transactions/commit',
      { 'table-changes': changes.map((c) => ({ identifier: c.table, requirements: c.requirements.map(requirementToJson), updates: c.updates.map(updateToJson) })) },
      { commit: true },
    );
  }

  async supportsTransactions(): Promise<boolean> {
    await this.init();
    return this.endpoints?.has('POST /v1/{prefix}/transactions/commit') ?? false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
