/**
 * What the catalog keeps in its database: namespaces with their properties, and for each
 * table or view only its kind and the location of its current metadata file. Everything else lives in the
 * metadata files in the warehouse. Commits swap that one pointer with compare-and-swap.
 */

/** A namespace as one string: levels joined by the unit separator (the REST path encoding). */
export const NS_SEP = '\u001f';
export const nsKey = (ns: readonly string[]): string => ns.join(NS_SEP);
export const nsFromKey = (key: string): string[] => key.split(NS_SEP);

/**
 * Tables and views share one name space per namespace (one row per name): a name taken by
 * either kind is taken for both. Rows from before views existed are tables.
 */
export type ObjectKind = 'table' | 'view';

export interface PointerSwap {
  namespace: readonly string[];
  name: string;
  /** Default 'table'. An update swaps only a row of this kind; a create fails on any kind. */
  kind?: ObjectKind;
  /** The metadata location the commit was built on; null creates the table. */
  expected: string | null;
  next: string;
}

/** Why a swap was refused: the first change that failed and how. */
export type SwapOutcome =
  | { ok: true }
  | { ok: false; index: number; reason: 'conflict' | 'exists' | 'missing-table' | 'missing-namespace' };

export type DropNamespaceOutcome = 'dropped' | 'missing' | 'not-empty';
export type RenameOutcome = 'renamed' | 'missing-table' | 'missing-namespace' | 'exists';

export interface Page<T> {
  items: T[];
  /** Key to pass as `after` for the next page; undefined on the last page. */
  next: string | undefined;
}

export interface CatalogStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates the tables if they are missing (idempotent). */
  migrate(): Promise<void>;
  createNamespace(ns: readonly string[], properties: Record<string, string>): Promise<boolean>;
  getNamespace(ns: readonly string[]): Promise<Record<string, string> | undefined>;
  /** Direct children of `parent` (top level when undefined), ordered, after a key. */
  listNamespaces(parent: readonly string[] | undefined, after: string | undefined, limit: number): Promise<Page<string[]>>;
  /** Sets and removes properties atomically; undefined when the namespace is missing. */
  updateNamespace(ns: readonly string[], updates: Record<string, string>, removals: readonly string[]): Promise<Record<string, string> | undefined>;
  dropNamespace(ns: readonly string[]): Promise<DropNamespaceOutcome>;
  /** Names of the tables (or views) of a namespace. */
  listTables(ns: readonly string[], after: string | undefined, limit: number, kind?: ObjectKind): Promise<Page<string>>;
  /** The metadata location of a table (or view); undefined when missing or of the other kind. */
  getTable(ns: readonly string[], name: string, kind?: ObjectKind): Promise<string | undefined>;
  /** All swaps or none, in one database transaction. */
  swap(changes: readonly PointerSwap[]): Promise<SwapOutcome>;
  /** Removes the table; answers the metadata location it had. */
  dropTable(ns: readonly string[], name: string, kind?: ObjectKind): Promise<string | undefined>;
  /** 'exists' when the destination name is taken by a table or a view. */
  renameTable(from: { namespace: readonly string[]; name: string }, to: { namespace: readonly string[]; name: string }, kind?: ObjectKind): Promise<RenameOutcome>;
  close(): Promise<void>;
}
