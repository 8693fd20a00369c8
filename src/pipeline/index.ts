export { Pipeline, type PipelineDeps } from './pipeline.js';
export { DEAD_LETTER_SCHEMA, deadLetterRow, defaultDeadLetterTable } from './dead-letter.js';
export { buildMapping, checkRollupWithRegistry, mappingPartitioning, propertyDifferences } from './mapping.js';
