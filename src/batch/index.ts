// Public surface of batch/: Iceberg schema -> Arrow schema (field ids on every field) and rows -> Arrow record batches with per-leaf statistics.
export { FIELD_ID_KEY, arrowField, arrowSchema, arrowType } from './arrow-schema.js';
export { RecordBatchBuilder, StructBuilder, type ColumnBuilder } from './builders.js';
export { LeafStats } from './stats.js';
export { rowValidator } from './validate.js';
