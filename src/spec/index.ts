/**
 * The Iceberg spec as plain data and pure functions (no I/O), shared by the sink's write and
 * commit path and by the embedded REST catalog ("one semantics, two callers").
 *
 *   types        type AST and the in-memory value representation
 *   schema       schema/type JSON, field indexes and lookups, fresh ids, validation
 *   transforms   partition transforms compiled per source type, transform strings, path values
 *   partition    partition specs, partition type, per-row tuples, keys and paths; sort orders
 *   values       binary single-value serialization, per-type ordering, truncate(N) bounds
 *   value-json   JSON single-value serialization (defaults, REST partition values)
 *   time         calendar arithmetic and ISO-8601 formatting of epoch-relative values
 *   metadata     table metadata (v1-v3 read, v2/v3 written), snapshots, refs, lookups, ancestry
 *   create       new table metadata as a catalog's create builds it
 *   requirements REST table requirements and checkRequirement
 *   updates      REST table updates and applyUpdates (Java's TableMetadata.Builder rules)
 *   manifest     manifest entries, data files and manifest lists, with their Avro schemas
 *   summary      snapshot summaries and totals
 *   rest         REST catalog messages
 *   json         JSON with exact 64-bit integers
 *   murmur3      the hash behind the bucket transform
 */
export * from './types.js';
export * from './json.js';
export * from './schema.js';
export * from './transforms.js';
export * from './partition.js';
export * from './values.js';
export * from './value-json.js';
export * from './time.js';
export * from './metadata.js';
export * from './create.js';
export * from './requirements.js';
export * from './updates.js';
export * from './manifest.js';
export * from './summary.js';
export * from './rest.js';
export * from './murmur3.js';
