/**
 * The consumer stage. Public surface:
 * - createKafka(settings, logger): the client, with SASL (plain, SCRAM, OAuth bearer) and TLS;
 * - createConsumer / KafkaConsumer: a consumer group that seeks every assignment to the offsets
 *   the pipeline plans before any fetch, read_committed, pause/resume, group offsets as hints,
 *   lag, graceful stop;
 * - fetchOffsets(kafka, topics, { groupId }): earliest/latest (and committed) per partition;
 * - createProducer: plain and transactional sends for tests, the demo and benchmarks;
 * - the record types (offsets are numbers, see types.ts).
 * FloeConsumer and topicOffsets (consumer.ts) are the pipeline's older names for the same.
 */
export { createKafka, type KafkaSettings, type OAuthBearerSettings } from './client.js';
export { createConsumer, KafkaConsumer, type ConsumerHandlers, type ConsumerOptions, type PartitionLag } from './group-consumer.js';
export { fetchOffsets, topicOffsets } from './offsets.js';
export { createProducer, type FloeProducer, type ProducedRecord } from './producer.js';
export { FloeConsumer } from './consumer.js';
export { tpKey, type KafkaRecord, type PartitionOffsets, type RecordBatch, type TopicPartition, type TopicPartitionOffset } from './types.js';
