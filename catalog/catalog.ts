/**
 * The catalog's operations, independent of HTTP. A commit is: read each table's current
 * metadata, check every requirement and apply every update with src/spec's pure functions
 * (the same the sink's client runs), write each new metadata file through FileIO, then swap
 * all the tables' pointers in one store transaction, compare-and-swap on the metadata
 * location. A refused swap leaves nothing behind but unreferenced files, which are deleted.
 * Views (`catalog.views`, catalog/views.ts) work the same way over the same store rows.
 */
import type { Logger } from 'pino';
import { parseLocation, type FileIO } from '../src/io/index.js';
import { isFloeError } from '../src/errors.js';
import { parseJson } from '../src/spec/json.js';
import { metadataFromJson, metadataText, type TableMetadata } from '../src/spec/metadata.js';
import { checkRequirement, type TableRequirement } from '../src/spec/requirements.js';
import { applyUpdates, type TableUpdate } from '../src/spec/updates.js';
import type { Schema } from '../src/spec/types.js';
import type { PartitionSpec, SortOrder } from '../src/spec/partition.js';
import { CatalogError, badRequest, noSuchNamespace, noSuchTable } from './errors.js';
import { assertComplete, emptyMetadata, newTableMetadata, nextMetadataLocation, refsOnly } from './metadata.js';
import type { CatalogMetrics } from './metrics.js';
import type { CatalogStore, PointerSwap, SwapOutcome } from './store/index.js';
import { ViewCatalog } from './views.js';

export interface TableIdent {
  namespace: string[];
  name: string;
}

export interface TableChange {
  identifier: TableIdent;
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

export interface LoadedTable {
  metadataLocation: string | undefined;
  metadata: TableMetadata;
  /** The metadata as JSON text when it is the file's exact content (answers reuse it). */
  metadataJson?: string;
  config: Record<string, string>;
}

interface Cached {
  meta: TableMetadata;
  text: string;
}

export interface CreateTableInput {
  name: string;
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  location?: string;
  properties: Record<string, string>;
  stageCreate: boolean;
}

export interface CatalogOptions {
  store: CatalogStore;
  io: FileIO;
  /** Root of default table locations: `<warehouse>/<ns levels>/<table>`. */
  warehouse: string;
  /** Storage settings handed to clients with every table (vended S3 endpoint and keys). */
  tableConfig?: (location: string) => Record<string, string>;
  log: Logger;
  metrics?: CatalogMetrics;
}

/** Metadata text the cache may hold (with the parsed form beside it, which shares snapshots across versions). */
const CACHE_BYTES = 64 * 1024 * 1024;

export class Catalog {
  /**
   * Parsed metadata by file location: files never change once written, so an entry never goes
   * stale. Only the newest file of each table is kept (a commit reads the current one only), and
   * at most CACHE_BYTES of text, oldest out first: one table committed every 10 s for a day has
   * ~8 MB of metadata, and the last 512 versions of it (the bound before) were ~4 GB.
   */
  private readonly cache = new Map<string, Cached>();
  /** The cached file of each table, by table location. */
  private readonly cachedFile = new Map<string, string>();
  private cachedBytes = 0;

  /** The view operations (catalog/views.ts), over the same store and warehouse. */
  readonly views: ViewCatalog;

  constructor(private readonly opts: CatalogOptions) {
    this.views = new ViewCatalog({
      store: opts.store,
      io: opts.io,
      log: opts.log,
      config: (location) => opts.tableConfig?.(location) ?? {},
      defaultLocation: (ns, name) => this.defaultLocation(ns, name),
      requireNamespace: (ns) => this.requireNamespace(ns),
    });
  }

  get store(): CatalogStore {
    return this.opts.store;
  }

  private async requireNamespace(ns: readonly string[]): Promise<Record<string, string>> {
    const props = await this.opts.store.getNamespace(ns);
    if (!props) throw noSuchNamespace(ns);
    return props;
  }

  private async read(location: string): Promise<Cached> {
    const hit = this.cache.get(location);
    if (hit) return hit;
    const text = new TextDecoder().decode(await this.opts.io.read(location));
    let meta: TableMetadata;
    try {
      meta = metadataFromJson(parseJson(text));
    } catch (err) {
      throw new CatalogError('InternalServerError', `metadata file ${location} is invalid: ${(err as Error).message}`);
    }
    return this.remember(location, { meta, text });
  }

  async readMetadata(location: string): Promise<TableMetadata> {
    return (await this.read(location)).meta;
  }

  private remember(location: string, c: Cached): Cached {
    const older = this.cachedFile.get(c.meta.location);
    if (older !== undefined) this.forget(older);
    this.forget(location);
    this.cache.set(location, c);
    this.cachedFile.set(c.meta.location, location);
    this.cachedBytes += c.text.length;
    for (const oldest of this.cache.keys()) {
      if (this.cachedBytes <= CACHE_BYTES || oldest === location) break;
      this.forget(oldest);
    }
    return c;
  }

  private forget(location: string): void {
    const c = this.cache.get(location);
    if (!c) return;
    this.cache.delete(location);
    this.cachedBytes -= c.text.length;
    if (this.cachedFile.get(c.meta.location) === location) this.cachedFile.delete(c.meta.location);
  }

  /** What the metadata cache holds (for tests). */
  get cacheSize(): { files: number; bytes: number } {
    return { files: this.cache.size, bytes: this.cachedBytes };
  }

  private async writeMetadata(location: string, meta: TableMetadata): Promise<string> {
    try {
      parseLocation(location);
    } catch (err) {
      throw badRequest(`table location ${meta.location}: ${(err as Error).message}`);
    }
    const text = metadataText(meta);
    await this.opts.io.write(location, new TextEncoder().encode(text));
    this.remember(location, { meta, text });
    return text;
  }

  private loaded(metadataLocation: string | undefined, metadata: TableMetadata, metadataJson?: string): LoadedTable {
    return { metadataLocation, metadata, ...(metadataJson === undefined ? {} : { metadataJson }), config: this.opts.tableConfig?.(metadata.location) ?? {} };
  }

  async defaultLocation(ns: readonly string[], name: string): Promise<string> {
    return `${this.namespaceLocation(ns, await this.requireNamespace(ns))}/${name}`;
  }

  // ---- namespaces

  async createNamespace(ns: string[], properties: Record<string, string>): Promise<void> {
    if (ns.length === 0 || ns.some((p) => p.length === 0)) throw badRequest('namespace: every level must be a non-empty string');
    if (!(await this.opts.store.createNamespace(ns, properties))) throw new CatalogError('AlreadyExistsException', `Namespace already exists: ${ns.join('.')}`);
  }

  /**
   * A namespace's properties, with the default `location` its tables get when it has none:
   * Trino creates tables eagerly (and then refuses the now non-empty location) when a
   * namespace has no location, and takes the staged path with unique table locations when it has.
   */
  async loadNamespace(ns: string[]): Promise<Record<string, string>> {
    const props = await this.requireNamespace(ns);
    return props.location ? props : { ...props, location: this.namespaceLocation(ns, props) };
  }

  private namespaceLocation(ns: readonly string[], props: Record<string, string>): string {
    return props.location ? props.location.replace(/\/+$/, '') : `${this.opts.warehouse.replace(/\/+$/, '')}/${ns.join('/')}`;
  }

  async updateNamespace(ns: string[], updates: Record<string, string>, removals: string[]): Promise<{ updated: string[]; removed: string[]; missing: string[] }> {
    const both = removals.filter((k) => k in updates);
    if (both.length) throw new CatalogError('BadRequestException', `properties both set and removed: ${both.join(', ')}`);
    const before = await this.requireNamespace(ns);
    const after = await this.opts.store.updateNamespace(ns, updates, removals);
    if (!after) throw noSuchNamespace(ns);
    return { updated: Object.keys(updates), removed: removals.filter((k) => k in before), missing: removals.filter((k) => !(k in before)) };
  }

  async dropNamespace(ns: string[]): Promise<void> {
    const r = await this.opts.store.dropNamespace(ns);
    if (r === 'missing') throw noSuchNamespace(ns);
    if (r === 'not-empty') throw new CatalogError('NamespaceNotEmptyException', `Namespace ${ns.join('.')} is not empty: drop its tables and namespaces first`);
  }

  async listNamespaces(parent: string[] | undefined, after: string | undefined, limit: number) {
    if (parent?.length) await this.requireNamespace(parent);
    return this.opts.store.listNamespaces(parent, after, limit);
  }

  // ---- tables

  async listTables(ns: string[], after: string | undefined, limit: number) {
    await this.requireNamespace(ns);
    return this.opts.store.listTables(ns, after, limit);
  }

  async loadTable(t: TableIdent, snapshots: 'all' | 'refs' = 'all'): Promise<LoadedTable> {
    const location = await this.opts.store.getTable(t.namespace, t.name);
    if (location === undefined) throw noSuchTable(t.namespace, t.name);
    const { meta, text } = await this.read(location);
    return snapshots === 'refs' ? this.loaded(location, refsOnly(meta)) : this.loaded(location, meta, text);
  }

  async tableExists(t: TableIdent): Promise<boolean> {
    return (await this.opts.store.getTable(t.namespace, t.name)) !== undefined;
  }

  async createTable(ns: string[], req: CreateTableInput): Promise<LoadedTable> {
    const location = req.location ?? (await this.defaultLocation(ns, req.name));
    await this.requireNamespace(ns);
    if (await this.tableExists({ namespace: ns, name: req.name })) throw new CatalogError('AlreadyExistsException', `Table already exists: ${[...ns, req.name].join('.')}`);
    // Checked here too, not only by the swap, so that a staged create is refused up front.
    if (await this.views.exists({ namespace: ns, name: req.name })) throw new CatalogError('AlreadyExistsException', `A view named ${[...ns, req.name].join('.')} already exists`);
    const meta = newTableMetadata({ schema: req.schema, ...(req.spec ? { spec: req.spec } : {}), ...(req.sortOrder ? { sortOrder: req.sortOrder } : {}), location, properties: req.properties });
    // A staged table exists only in the client until it commits with assert-create.
    if (req.stageCreate) return this.loaded(undefined, meta);
    const file = nextMetadataLocation(meta, undefined);
    const text = await this.writeMetadata(file, meta);
    await this.swapOrThrow([{ namespace: ns, name: req.name, expected: null, next: file }], [file]);
    return this.loaded(file, meta, text);
  }

  async registerTable(ns: string[], name: string, metadataLocation: string, overwrite: boolean): Promise<LoadedTable> {
    await this.requireNamespace(ns);
    try {
      parseLocation(metadataLocation);
    } catch (err) {
      throw badRequest(`metadata-location: ${(err as Error).message}`);
    }
    let meta: TableMetadata;
    try {
      meta = await this.readMetadata(metadataLocation);
    } catch (err) {
      if (isFloeError(err, 'NOT_FOUND')) throw badRequest(`metadata-location ${metadataLocation} does not exist`);
      // Not a location the catalog can read (TypeError from the location parser), or not table metadata.
      if (err instanceof TypeError || (err instanceof CatalogError && err.type === 'InternalServerError')) throw badRequest(`metadata-location: ${(err as Error).message}`);
      throw err;
    }
    const current = overwrite ? await this.opts.store.getTable(ns, name) : undefined;
    await this.swapOrThrow([{ namespace: ns, name, expected: current ?? null, next: metadataLocation }], []);
    return this.loaded(metadataLocation, meta);
  }

  async dropTable(t: TableIdent, purge: boolean): Promise<void> {
    const location = await this.opts.store.dropTable(t.namespace, t.name);
    if (location === undefined) throw noSuchTable(t.namespace, t.name);
    if (!purge) return;
    // The table is gone from the catalog first; its files go after, best effort.
    try {
      const m = await this.readMetadata(location);
      const files: string[] = [];
      for await (const f of this.opts.io.list(`${m.location}/`)) files.push(f);
      for (const f of files) await this.opts.io.delete(f);
      this.opts.log.info({ table: [...t.namespace, t.name].join('.'), files: files.length }, 'purged dropped table');
    } catch (err) {
      this.opts.log.warn({ err, table: [...t.namespace, t.name].join('.') }, 'purging a dropped table failed; its files remain');
    }
  }

  async renameTable(from: TableIdent, to: TableIdent): Promise<void> {
    const r = await this.opts.store.renameTable(from, to);
    if (r === 'missing-table') throw noSuchTable(from.namespace, from.name);
    if (r === 'missing-namespace') throw noSuchNamespace(to.namespace);
    if (r === 'exists') throw new CatalogError('AlreadyExistsException', `Table already exists: ${[...to.namespace, to.name].join('.')}`);
  }

  /** Commits changes to one or more tables: all of them or none. */
  async commit(changes: readonly TableChange[]): Promise<LoadedTable[]> {
    const started = performance.now();
    const seen = new Set<string>();
    for (const c of changes) {
      const key = JSON.stringify([c.identifier.namespace, c.identifier.name]);
      if (seen.has(key)) throw badRequest(`table ${[...c.identifier.namespace, c.identifier.name].join('.')} appears twice in one commit`);
      seen.add(key);
    }
    let outcome = 'ok';
    try {
      const prepared = await Promise.all(changes.map((c) => this.prepare(c)));
      const texts = await Promise.all(prepared.map((p) => this.writeMetadata(p.next, p.meta)));
      await this.swapOrThrow(
        prepared.map((p) => ({ namespace: p.ident.namespace, name: p.ident.name, expected: p.previous ?? null, next: p.next })),
        prepared.map((p) => p.next),
      );
      // write.metadata.delete-after-commit.enabled (as Java's catalogs): the metadata files that
      // fell off the metadata log are deleted once the commit stands. Best effort: a file left
      // behind is garbage, never a broken table.
      await Promise.all(prepared.flatMap((p) => p.dropped.map((f) => this.opts.io.delete(f).catch(() => undefined))));
      return prepared.map((p, i) => this.loaded(p.next, p.meta, texts[i]));
    } catch (err) {
      outcome = err instanceof CatalogError && err.type === 'CommitFailedException' ? 'conflict' : isFloeError(err, 'REQUIREMENT_FAILED') ? 'conflict' : 'error';
      if (outcome === 'conflict') this.opts.metrics?.conflicts.inc();
      throw err;
    } finally {
      this.opts.metrics?.commitSeconds.observe({ tables: changes.length > 1 ? 'many' : 'one', outcome }, (performance.now() - started) / 1000);
    }
  }

  private async prepare(c: TableChange): Promise<{ ident: TableIdent; previous: string | undefined; meta: TableMetadata; next: string; dropped: string[] }> {
    const { namespace, name } = c.identifier;
    const previous = await this.opts.store.getTable(namespace, name);
    let meta: TableMetadata;
    let dropped: string[] = [];
    if (previous === undefined) {
      if (!c.requirements.some((r) => r.type === 'assert-create')) throw noSuchTable(namespace, name);
      for (const r of c.requirements) checkRequirement(undefined, r);
      const { base, updates } = emptyMetadata(c.updates, await this.defaultLocation(namespace, name));
      meta = applyUpdates(base, updates);
      assertComplete(meta);
    } else {
      const base = await this.readMetadata(previous);
      for (const r of c.requirements) checkRequirement(base, r);
      meta = applyUpdates(base, c.updates, { previousMetadataFile: previous });
      if (meta.properties['write.metadata.delete-after-commit.enabled']?.toLowerCase() === 'true') {
        const kept = new Set(meta.metadataLog.map((e) => e.metadataFile));
        dropped = [...base.metadataLog.map((e) => e.metadataFile), previous].filter((f) => !kept.has(f));
      }
    }
    return { ident: c.identifier, previous, meta, next: nextMetadataLocation(meta, previous), dropped };
  }

  private async swapOrThrow(swaps: PointerSwap[], written: string[]): Promise<void> {
    let outcome: SwapOutcome;
    try {
      outcome = await this.opts.store.swap(swaps);
    } catch (err) {
      // The database may or may not have committed: keep the files, the client must reload.
      throw new CatalogError('CommitStateUnknownException', `the catalog database failed during the commit: ${(err as Error).message}`, { cause: err });
    }
    if (outcome.ok) return;
    await Promise.all(written.map((f) => this.opts.io.delete(f).catch(() => undefined)));
    const s = swaps[outcome.index] as PointerSwap;
    const name = [...s.namespace, s.name].join('.');
    switch (outcome.reason) {
      case 'conflict':
        throw new CatalogError('CommitFailedException', `Commit failed: table ${name} was changed by a concurrent commit; reload it and retry`);
      case 'exists':
        throw new CatalogError('AlreadyExistsException', `A table or view named ${name} already exists`);
      case 'missing-table':
        throw noSuchTable(s.namespace, s.name);
      case 'missing-namespace':
        throw noSuchNamespace(s.namespace);
    }
  }
}
