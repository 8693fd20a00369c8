// Public surface of parquet/: Arrow batches or rows -> one Parquet file with Iceberg field ids and metrics.
export { ParquetFileWriter, encodeProps, withDefaults, writerProperties, type Compression, type ParquetWriterOptions, type ParquetFileWriterInit } from './writer.js';
export { ParquetStream } from './stream.js';
export { boundsOf, fileMetrics, type FileMetrics } from './metrics.js';
export { InlineEncoder, WorkerEncoder, closeSharedEncoders, defaultEncoderThreads, sharedEncoder, sharedEncoderBytes, type EncodeProps, type ParquetEncoder } from './encoder.js';
export { ParquetAssembler } from './assemble.js';
