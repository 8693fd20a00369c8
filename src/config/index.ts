/** The config file: load, interpolate, validate, and the typed result every part reads. */
export { loadConfig, parseConfig, type ParseOptions } from './load.js';
export { configSchema, buildConfigSchema, deadLetterTable, defaultDeadLetterTable, mappingTables, type FloeConfig, type MappingConfig, type OAuthBearer } from './schema.js';
export { type Measure, type MeasureFn, type RollupConfig, KAFKA_COLUMNS, MAPPING_MODES } from './mapping.js';
export { type PartitionField, parsePartitionExpr } from './fields.js';
export { columnsToFields, parseColumnType, type DeclaredColumn } from './columns.js';
export { formatDuration, parseDuration, parseSize } from './units.js';
export { interpolateEnv } from './env.js';
