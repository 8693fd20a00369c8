export { loadConfig, parseConfig } from './load.js';
export { configSchema, type FloeConfig, type MappingConfig } from './schema.js';
export { parseDuration, parseSize } from './units.js';
