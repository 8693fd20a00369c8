/**
 * Iceberg REST catalog client: config, namespaces, tables, commits and multi-table
 * transactions. Errors map to FloeError codes (rest-http.ts): 409 COMMIT_CONFLICT (or
 * ALREADY_EXISTS on a create), and for a commit whose outcome cannot be known (5xx, timeout,
 * dropped connection) COMMIT_STATE_UNKNOWN (DESIGN §2 rule 5).
 */
import { FloeError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { metadataFromJson, type TableMetadata } from '../spec/metadata.js';
import { requirementToJson, type TableRequirement } from '../spec/requirements.js';
import { updateToJson, type TableUpdate } from '../spec/updates.js';
import { RestHttp, type HttpConfig, type RequestOptions } from './rest-http.js';

export interface RestCatalogConfig extends HttpConfig {
  uri: string;
  warehouse?: string;
  /** Overrides the prefix the server's config endpoint returns. */
  prefix?: string;
  /** Extra properties sent as defaults (e.g. S3 settings) and merged with the server's. */
  properties?: Record<string, string>;
  /** `X-Iceberg-Access-Delegation` on table loads and creates, e.g. `vended-credentials`. */
  accessDelegation?: string;
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

export interface StorageCredential {
  prefix: string;
  config: Record<string, string>;
}

export interface LoadedTable {
  metadataLocation: string | undefined;
  metadata: TableMetadata;
  /** Table-level config from the server (storage settings, vended credentials). */
  config: Record<string, string>;
  storageCredentials: StorageCredential[];
}

export interface CatalogNamespace {
  namespace: string[];
  properties: Record<string, string>;
}

/**
 * Storage properties for a location of a loaded table: the table config, overlaid by the
 * vended credential with the longest prefix of the location (REST spec: storage-credentials).
 */
export function storageConfigFor(t: Pick<LoadedTable, 'config' | 'storageCredentials'>, location: string): Record<string, string> {
  const best = t.storageCredentials.filter((c) => location.startsWith(c.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  return { ...t.config, ...best?.config };
}

/**
 * Hands a loaded table's storage properties to the FileIO, so that its files are read and written
 * with what the catalog vended: the table `config` for everything under the table's location (and
 * its data and metadata paths when set elsewhere), each storage credential for its own prefix
 * (overlaying the config). A table without vended settings clears its prefixes: the FileIO's
 * own settings apply.
 */
export function useTableStorage(io: FileIO, t: Pick<LoadedTable, 'metadata' | 'config' | 'storageCredentials'>): void {
  if (!io.useStorageProperties) return;
  const props = t.metadata.properties;
  const roots = new Set([t.metadata.location, props['write.data.path'], props['write.metadata.path']].filter((l): l is string => !!l).map((l) => `${l.replace(/\/+$/, '')}/`));
  for (const root of roots) io.useStorageProperties(root, t.config);
  for (const c of t.storageCredentials) io.useStorageProperties(c.prefix, { ...t.config, ...c.config });
}

/** The REST spec's namespace separator in paths (unit separator, percent-encoded). */
const NS_SEP = '\u001f';

interface Page<T> {
  items: T[];
  next: string | undefined;
}

export class RestCatalog {
  private base: string;
  private prefix = '';
  private initialized: Promise<void> | undefined;
  private readonly http: RestHttp;
  /** Merged catalog properties (server defaults < client < server overrides). */
  properties: Record<string, string> = {};
  /** Endpoints the server announced (`GET /v1/config`), undefined when it announced none. */
  endpoints: Set<string> | undefined;

  constructor(private readonly cfg: RestCatalogConfig) {
    this.base = cfg.uri.replace(/\/+$/, '');
    this.http = new RestHttp(cfg, () => this.base);
  }

  /** Fetches `GET /v1/config` once: prefix, endpoints and merged properties. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      const q = this.cfg.warehouse ? `?warehouse=${encodeURIComponent(this.cfg.warehouse)}` : '';
      const c = (await this.http.request('GET', `${this.base}/v1/config${q}`)) as { defaults?: Record<string, string>; overrides?: Record<string, string>; endpoints?: string[] };
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

  /** Whether the server offers an endpoint (servers that list none are assumed to offer the basics). */
  async supports(endpoint: string, assumed = false): Promise<boolean> {
    await this.init();
    return this.endpoints ? this.endpoints.has(endpoint) : assumed;
  }

  private async call(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<unknown> {
    await this.init();
    return this.http.request(method, `${this.base}/v1${this.prefix}${path}`, body, opts);
  }

  private ns(ns: readonly string[]): string {
    return encodeURIComponent(ns.join(NS_SEP));
  }

  private tablePath(t: TableIdent): string {
    return `/namespaces/${this.ns(t.namespace)}/tables/${encodeURIComponent(t.name)}`;
  }

  private delegation(): Record<string, string> {
    return this.cfg.accessDelegation ? { 'x-iceberg-access-delegation': this.cfg.accessDelegation } : {};
  }

  private async paginate<T>(fetchPage: (q: URLSearchParams) => Promise<Page<T>>, pageSize?: number): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined = pageSize ? '' : undefined;
    do {
      const q = new URLSearchParams();
      if (token !== undefined) q.set('pageToken', token);
      if (pageSize) q.set('pageSize', String(pageSize));
      const page = await fetchPage(q);
      out.push(...page.items);
      token = page.next;
    } while (token);
    return out;
  }

  /** Namespaces under a parent (top level by default), every page. */
  listNamespaces(parent?: string[], pageSize?: number): Promise<string[][]> {
    return this.paginate(async (q) => {
      if (parent) q.set('parent', parent.join(NS_SEP));
      const r = (await this.call('GET', `/namespaces${q.size ? `?${q}` : ''}`)) as { namespaces: string[][]; 'next-page-token'?: string | null };
      return { items: r.namespaces, next: r['next-page-token'] ?? undefined };
    }, pageSize);
  }

  async loadNamespace(ns: string[]): Promise<CatalogNamespace> {
    const r = (await this.call('GET', `/namespaces/${this.ns(ns)}`)) as { namespace: string[]; properties?: Record<string, string> | null };
    return { namespace: r.namespace, properties: r.properties ?? {} };
  }

  async namespaceExists(ns: string[]): Promise<boolean> {
    const head = await this.supports('HEAD /v1/{prefix}/namespaces/{namespace}');
    return (await this.call(head ? 'HEAD' : 'GET', `/namespaces/${this.ns(ns)}`, undefined, { allow404: true })) !== undefined;
  }

  async createNamespace(ns: string[], properties: Record<string, string> = {}): Promise<CatalogNamespace> {
    const r = (await this.call('POST', '/namespaces', { namespace: ns, properties }, { kind: 'create' })) as { namespace: string[]; properties?: Record<string, string> };
    return { namespace: r.namespace, properties: r.properties ?? {} };
  }

  /** Creates the namespace unless it exists (racing creators are fine). */
  async ensureNamespace(ns: string[]): Promise<void> {
    if (await this.namespaceExists(ns)) return;
    try {
      await this.createNamespace(ns);
    } catch (err) {
      if (!(err instanceof FloeError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }

  async updateNamespaceProperties(ns: string[], updates: Record<string, string>, removals: string[] = []): Promise<{ updated: string[]; removed: string[]; missing: string[] }> {
    const r = (await this.call('POST', `/namespaces/${this.ns(ns)}/properties`, { updates, removals })) as { updated?: string[]; removed?: string[]; missing?: string[] | null };
    return { updated: r.updated ?? [], removed: r.removed ?? [], missing: r.missing ?? [] };
  }

  async dropNamespace(ns: string[]): Promise<void> {
    await this.call('DELETE', `/namespaces/${this.ns(ns)}`);
  }

  listTables(ns: string[], pageSize?: number): Promise<TableIdent[]> {
    return this.paginate(async (q) => {
      const r = (await this.call('GET', `/namespaces/${this.ns(ns)}/tables${q.size ? `?${q}` : ''}`)) as { identifiers: TableIdent[]; 'next-page-token'?: string | null };
      return { items: r.identifiers, next: r['next-page-token'] ?? undefined };
    }, pageSize);
  }

  private readonly loadListeners: Array<(t: LoadedTable) => void> = [];

  /** Called with every table this client loads or creates (e.g. to apply vended storage settings). */
  onTableLoaded(listener: (t: LoadedTable) => void): void {
    this.loadListeners.push(listener);
  }

  private loaded(r: Record<string, unknown>): LoadedTable {
    const t: LoadedTable = {
      metadataLocation: r['metadata-location'] as string | undefined,
      metadata: metadataFromJson(r.metadata),
      config: (r.config as Record<string, string> | undefined) ?? {},
      storageCredentials: (r['storage-credentials'] as StorageCredential[] | undefined) ?? [],
    };
    for (const l of this.loadListeners) l(t);
    return t;
  }

  /** Loads a table; `refs` asks for only the snapshots that refs point at (servers may ignore it). */
  async loadTable(t: TableIdent, snapshots: 'all' | 'refs' = 'all'): Promise<LoadedTable> {
    const r = (await this.call('GET', `${this.tablePath(t)}${snapshots === 'refs' ? '?snapshots=refs' : ''}`, undefined, { headers: this.delegation() })) as Record<string, unknown>;
    return this.loaded(r);
  }

  async tableExists(t: TableIdent): Promise<boolean> {
    const head = await this.supports('HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}');
    return (await this.call(head ? 'HEAD' : 'GET', this.tablePath(t), undefined, { allow404: true })) !== undefined;
  }

  /** Creates a table (format v2 unless the properties say otherwise); `stageCreate` only stages it. */
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
    const r = (await this.call('POST', `/namespaces/${this.ns(t.namespace)}/tables`, body, { kind: 'create', headers: this.delegation() })) as Record<string, unknown>;
    return this.loaded(r);
  }

  /** Whether the server offers views (servers that list no endpoints are assumed not to). */
  supportsViews(): Promise<boolean> {
    return this.supports('POST /v1/{prefix}/namespaces/{namespace}/views');
  }

  async viewExists(v: TableIdent): Promise<boolean> {
    return (await this.call('GET', `/namespaces/${this.ns(v.namespace)}/views/${encodeURIComponent(v.name)}`, undefined, { allow404: true })) !== undefined;
  }

  /** Creates a view from a REST CreateViewRequest body (its name is the ident's). */
  async createView(v: TableIdent, body: Record<string, unknown>): Promise<void> {
    await this.call('POST', `/namespaces/${this.ns(v.namespace)}/views`, { ...body, name: v.name }, { kind: 'create' });
  }

  /** Registers an existing metadata file as a table. */
  async registerTable(t: TableIdent, metadataLocation: string, overwrite = false): Promise<LoadedTable> {
    const body = { name: t.name, 'metadata-location': metadataLocation, ...(overwrite ? { overwrite: true } : {}) };
    const r = (await this.call('POST', `/namespaces/${this.ns(t.namespace)}/register`, body, { kind: 'create' })) as Record<string, unknown>;
    return this.loaded(r);
  }

  async renameTable(from: TableIdent, to: TableIdent): Promise<void> {
    await this.call('POST', '/tables/rename', { source: from, destination: to }, { kind: 'create' });
  }

  async dropTable(t: TableIdent, purge = false): Promise<void> {
    await this.call('DELETE', `${this.tablePath(t)}${purge ? '?purgeRequested=true' : ''}`);
  }

  async commitTable(t: TableIdent, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]): Promise<LoadedTable> {
    const body = { identifier: t, requirements: requirements.map(requirementToJson), updates: updates.map(updateToJson) };
    const r = (await this.call('POST', this.tablePath(t), body, { kind: 'commit' })) as Record<string, unknown>;
    return { metadataLocation: r['metadata-location'] as string, metadata: metadataFromJson(r.metadata), config: {}, storageCredentials: [] };
  }

  /** Atomic commit across tables, where the server offers `POST /v1/{prefix}/transactions/commit`. */
  async commitTransaction(changes: ReadonlyArray<{ table: TableIdent; requirements: readonly TableRequirement[]; updates: readonly TableUpdate[] }>): Promise<void> {
    const body = { 'table-changes': changes.map((c) => ({ identifier: c.table, requirements: c.requirements.map(requirementToJson), updates: c.updates.map(updateToJson) })) };
    await this.call('POST', '/transactions/commit', body, { kind: 'commit' });
  }

  supportsTransactions(): Promise<boolean> {
    return this.supports('POST /v1/{prefix}/transactions/commit');
  }
}
