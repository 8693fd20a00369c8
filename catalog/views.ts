/**
 * The catalog's view operations, like its table operations: a view's metadata files live in
 * the warehouse (`<location>/metadata/<n>-<uuid>.metadata.json`, written through the same
 * FileIO), the store keeps the pointer and swaps it with compare-and-swap. Tables and views
 * share the store's rows, so a name is taken by one kind or the other in a namespace.
 */
import type { Logger } from 'pino';
import { parseLocation, type FileIO } from '../src/io/index.js';
import { parseJson, stringifyJson } from '../src/spec/json.js';
import type { Schema } from '../src/spec/types.js';
import { CatalogError, badRequest, noSuchNamespace, noSuchView } from './errors.js';
import { nextMetadataLocation } from './metadata.js';
import type { CatalogStore, PointerSwap } from './store/index.js';
import { viewMetadataFromJson, viewMetadataToJson, type ViewMetadata, type ViewVersion } from './view-metadata.js';
import { applyViewUpdates, checkViewRequirement, newViewMetadata, type ViewRequirement, type ViewUpdate } from './view-updates.js';

export interface ViewIdent {
  namespace: string[];
  name: string;
}

export interface LoadedView {
  metadataLocation: string;
  metadata: ViewMetadata;
  /** The metadata file's exact text. */
  metadataJson: string;
  config: Record<string, string>;
}

export interface CreateViewRequestInput {
  name: string;
  schema: Schema;
  viewVersion: ViewVersion;
  location?: string;
  properties: Record<string, string>;
}

export interface ViewChange {
  requirements: ViewRequirement[];
  updates: ViewUpdate[];
}

export interface ViewCatalogOptions {
  store: CatalogStore;
  io: FileIO;
  log: Logger;
  /** Storage settings handed to clients with a loaded view. */
  config: (location: string) => Record<string, string>;
  /** `<namespace location>/<name>`; NoSuchNamespaceException when the namespace is missing. */
  defaultLocation: (ns: readonly string[], name: string) => Promise<string>;
  requireNamespace: (ns: readonly string[]) => Promise<unknown>;
}

interface Cached {
  meta: ViewMetadata;
  text: string;
}

const CACHE_ENTRIES = 256;
const full = (v: { namespace: readonly string[]; name: string }) => [...v.namespace, v.name].join('.');

export class ViewCatalog {
  /** Parsed metadata by file location: files never change once written. */
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly opts: ViewCatalogOptions) {}

  private async read(location: string): Promise<Cached> {
    const hit = this.cache.get(location);
    if (hit) return hit;
    const text = new TextDecoder().decode(await this.opts.io.read(location));
    let meta: ViewMetadata;
    try {
      meta = viewMetadataFromJson(parseJson(text));
    } catch (err) {
      throw new CatalogError('InternalServerError', `view metadata file ${location} is invalid: ${(err as Error).message}`);
    }
    return this.remember(location, { meta, text });
  }

  private remember(location: string, c: Cached): Cached {
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(location, c);
    return c;
  }

  private async write(location: string, meta: ViewMetadata): Promise<string> {
    try {
      parseLocation(location);
    } catch (err) {
      throw badRequest(`view location ${meta.location}: ${(err as Error).message}`);
    }
    const text = stringifyJson(viewMetadataToJson(meta));
    await this.opts.io.write(location, new TextEncoder().encode(text));
    this.remember(location, { meta, text });
    return text;
  }

  private loaded(metadataLocation: string, c: Cached): LoadedView {
    return { metadataLocation, metadata: c.meta, metadataJson: c.text, config: this.opts.config(c.meta.location) };
  }

  async list(ns: string[], after: string | undefined, limit: number) {
    await this.opts.requireNamespace(ns);
    return this.opts.store.listTables(ns, after, limit, 'view');
  }

  async load(v: ViewIdent): Promise<LoadedView> {
    const location = await this.opts.store.getTable(v.namespace, v.name, 'view');
    if (location === undefined) throw noSuchView(v.namespace, v.name);
    return this.loaded(location, await this.read(location));
  }

  async exists(v: ViewIdent): Promise<boolean> {
    return (await this.opts.store.getTable(v.namespace, v.name, 'view')) !== undefined;
  }

  async create(ns: string[], req: CreateViewRequestInput): Promise<LoadedView> {
    const location = req.location ?? (await this.opts.defaultLocation(ns, req.name));
    await this.opts.requireNamespace(ns);
    const meta = newViewMetadata({ schema: req.schema, viewVersion: req.viewVersion, location, properties: req.properties });
    const file = nextMetadataLocation(meta, undefined);
    const text = await this.write(file, meta);
    await this.swapOrThrow({ namespace: ns, name: req.name, kind: 'view', expected: null, next: file }, file);
    this.opts.log.debug({ view: [...ns, req.name].join('.'), location: file }, 'created view');
    return this.loaded(file, { meta, text });
  }

  /** A view commit: requirements checked and updates applied on the current metadata, then a swap. */
  async replace(v: ViewIdent, change: ViewChange): Promise<LoadedView> {
    const previous = await this.opts.store.getTable(v.namespace, v.name, 'view');
    if (previous === undefined) throw noSuchView(v.namespace, v.name);
    const base = (await this.read(previous)).meta;
    for (const r of change.requirements) checkViewRequirement(base, r);
    const meta = applyViewUpdates(base, change.updates);
    const file = nextMetadataLocation(meta, previous);
    const text = await this.write(file, meta);
    await this.swapOrThrow({ namespace: v.namespace, name: v.name, kind: 'view', expected: previous, next: file }, file);
    return this.loaded(file, { meta, text });
  }

  async drop(v: ViewIdent): Promise<void> {
    if ((await this.opts.store.dropTable(v.namespace, v.name, 'view')) === undefined) throw noSuchView(v.namespace, v.name);
  }

  async rename(from: ViewIdent, to: ViewIdent): Promise<void> {
    const r = await this.opts.store.renameTable(from, to, 'view');
    if (r === 'missing-table') throw noSuchView(from.namespace, from.name);
    if (r === 'missing-namespace') throw noSuchNamespace(to.namespace);
    if (r === 'exists') throw new CatalogError('AlreadyExistsException', `Cannot rename ${full(from)} to ${full(to)}: a table or view named ${full(to)} already exists`);
  }

  private async swapOrThrow(swap: PointerSwap, written: string): Promise<void> {
    let outcome;
    try {
      outcome = await this.opts.store.swap([swap]);
    } catch (err) {
      throw new CatalogError('CommitStateUnknownException', `the catalog database failed during the commit: ${(err as Error).message}`, { cause: err });
    }
    if (outcome.ok) return;
    await this.opts.io.delete(written).catch(() => undefined);
    const name = full(swap);
    switch (outcome.reason) {
      case 'conflict':
        throw new CatalogError('CommitFailedException', `Commit failed: view ${name} was changed by a concurrent commit; reload it and retry`);
      case 'exists':
        throw new CatalogError('AlreadyExistsException', `A table or view named ${name} already exists`);
      case 'missing-table':
        throw noSuchView(swap.namespace, swap.name);
      case 'missing-namespace':
        throw noSuchNamespace(swap.namespace);
    }
  }
}
