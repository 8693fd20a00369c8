/**
 * The embedded Iceberg REST catalog: the server (`startCatalogServer`), its stores
 * (`openStore`: SQLite or PostgreSQL), and the `floe catalog serve` command.
 */
export { startCatalogServer, s3ClientConfig, type CatalogServer, type CatalogServerOptions } from './server.js';
export { Catalog, type TableChange, type TableIdent, type LoadedTable } from './catalog.js';
export { openStore, SqliteStore, PostgresStore, type CatalogStore } from './store/index.js';
export { CatalogError, toErrorModel, type ErrorType } from './errors.js';
export { CatalogMetrics } from './metrics.js';
export { Auth, type AuthOptions } from './auth.js';
export { registerCatalogCommand } from './cli.js';
