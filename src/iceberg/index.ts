export { RestCatalog, parseIdent, identToString, type RestCatalogConfig, type TableIdent, type LoadedTable } from './rest-client.js';
export { TableOps, appendSummary, newSnapshotId, dataDir, metadataDir, COMMIT_ID_PROPERTY, type AppendOptions, type AppendResult } from './table.js';
export { TableWriter, type TableWriterOptions } from './table-writer.js';
export { encodeManifest, decodeManifest, encodeManifestList, decodeManifestList, type ManifestFile } from './manifest.js';
export { PartitionedWriter, RollingWriter } from './writers/index.js';
