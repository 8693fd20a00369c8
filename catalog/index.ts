/**
 * The embedded Iceberg REST catalog: the server (`startCatalogServer`), its stores
 * (`openStore`: SQLite or PostgreSQL), and the `floe catalog serve` command.
 */
export { startCatalogServer, s3ClientConfig, type CatalogServer, type CatalogServerOptions } from './server.js';
export { Catalog, type TableChange, type TableIdent, type LoadedTable } from './catalog.js';
export { ViewCatalog, type LoadedView, type ViewIdent, type ViewChange } from './views.js';
export { viewMetadataFromJson, viewMetadataToJson, type ViewMetadata, type ViewVersion } from './view-metadata.js';
export { applyViewUpdates, checkViewRequirement, newViewMetadata, type ViewRequirement, type ViewUpdate } from './view-updates.js';
export { openStore, SqliteStore, PostgresStore, type CatalogStore, type ObjectKind } from './store/index.js';
export { CatalogError, toErrorModel, type ErrorType } from './errors.js';
export { CatalogMetrics } from './metrics.js';
export { Auth, type AuthOptions } from './auth.js';
export { registerCatalogCommand } from './cli.js';
