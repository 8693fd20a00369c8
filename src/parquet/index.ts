export { ParquetFileWriter, ParquetStream, boundsOf, withDefaults, writerProperties, type Compression, type ParquetWriterOptions, type ParquetFileWriterInit } from './writer.js';
