/**
 * Decoding: the registry's wire format, the schema registry client, Avro and JSON values in
 * Floe's value representation, writer schema -> Iceberg schema (auto-create), and converters
 * from decoded values to table rows compiled per (writer schema, table schema).
 */
export { parseWire, frame, schemaIdOf } from './wire.js';
export { RegistryClient, type RegistryConfig, type RegisteredSchema, type SchemaReference, type SchemaSource, type SchemaType, type SubjectVersion } from './registry.js';
export { avroType, BIGINT_LONG, LOGICAL_TYPES, unscaledFromBytes, unscaledToBytes } from './avro.js';
export { avroToIceberg } from './avro-schema.js';
export { jsonSchemaToIceberg, declaredSchema } from './json-schema.js';
export { compileConverter, type Row, type WriterSchema } from './convert.js';
export { Decoder, type DecodedRecord, type Format } from './decoder.js';
export { LruCache } from './lru.js';
