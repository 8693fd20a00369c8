export { RestCatalog, parseIdent, identToString, storageConfigFor, useTableStorage, type RestCatalogConfig, type TableIdent, type LoadedTable, type CatalogNamespace } from './rest-client.js';
export { TableOps, findCommit, newSnapshotId, dataDir, metadataDir, COMMIT_ID_PROPERTY, type AppendOptions, type AppendResult, type CreateTableOptions } from './table.js';
export { TableWriter, type TableWriterOptions } from './table-writer.js';
export { encodeManifest, decodeManifest, encodeManifestList, decodeManifestList, type ManifestFile, type ManifestEntryRead } from './manifest.js';
export { readAvroFile, writeAvroFile } from './avro.js';
export { PartitionedWriter, RollingWriter } from './writers/index.js';
export { mergeManifests, mergeSettings, planMerge, packFromEnd, MERGE_DEFAULTS, type MergeSettings, type PlannedManifest } from './merge.js';
