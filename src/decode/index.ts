export { parseWire, frame } from './wire.js';
export { RegistryClient, type RegistryConfig, type RegisteredSchema } from './registry.js';
export { avroType, avroToIceberg, LOGICAL_TYPES } from './avro.js';
export { compileConverter } from './convert.js';
export { Decoder, type DecodedRecord } from './decoder.js';
