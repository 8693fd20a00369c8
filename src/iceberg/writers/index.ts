export type { FileWriterFactory, PartitionTuple, RowFileWriter } from './types.js';
export { RollingWriter } from './rolling.js';
export { PartitionedWriter, type PartitionedWriterOptions } from './partitioned.js';
