/** The catalog's stores behind one interface, and `openStore` for a `--store` argument. */
import { resolve } from 'node:path';
import { FloeError } from '../../src/errors.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { CatalogStore } from './types.js';

export { SqliteStore } from './sqlite.js';
export { PostgresStore } from './postgres.js';
export { NS_SEP, nsKey, nsFromKey, type CatalogStore, type PointerSwap, type SwapOutcome, type Page, type DropNamespaceOutcome, type RenameOutcome, type ObjectKind } from './types.js';

/** `sqlite:PATH` (or a path ending in .db / .sqlite), `postgres://...` / `postgresql://...`; migrated. */
export async function openStore(spec: string): Promise<CatalogStore> {
  let store: CatalogStore;
  if (/^postgres(ql)?:\/\//.test(spec)) store = new PostgresStore(spec);
  else if (spec.startsWith('sqlite:')) store = new SqliteStore(spec === 'sqlite::memory:' ? ':memory:' : resolve(spec.slice('sqlite:'.length)));
  else if (/\.(db|sqlite3?)$/.test(spec)) store = new SqliteStore(resolve(spec));
  else throw new FloeError('CONFIG_INVALID', `catalog store '${spec}': expected sqlite:PATH or postgres://user:password@host:port/db`);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new FloeError('CATALOG_ERROR', `catalog store ${store.kind}: cannot prepare its tables: ${(err as Error).message}`, { cause: err, retryable: true });
  }
  return store;
}
