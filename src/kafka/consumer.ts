/**
 * The pipeline's current view of the consumer stage: FloeConsumer takes per-record batches and
 * one backpressure switch, on top of KafkaConsumer (group-consumer.ts), which holds the
 * exactly-once parts (pause on join, plan, seek, drop stale batches).
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import type { KafkaSettings } from './client.js';
import { KafkaConsumer, type PartitionLag } from './group-consumer.js';
import type { KafkaRecord, TopicPartition, TopicPartitionOffset } from './types.js';

export { createKafka, type KafkaSettings } from './client.js';
export { topicOffsets, fetchOffsets } from './offsets.js';
export type { KafkaRecord, TopicPartition } from './types.js';

export interface LegacyHandlers {
  onAssign(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  onBatch(records: KafkaRecord[], heartbeat: () => Promise<void>): Promise<void>;
  onCrash(err: unknown): void;
}

export class FloeConsumer {
  private inner: KafkaConsumer | undefined;
  private backpressure = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly handlers: LegacyHandlers,
    private readonly log: Logger,
  ) {}

  async start(subscriptions: { topics: Array<string | RegExp>; fromBeginning: boolean }): Promise<void> {
    const settings: KafkaSettings = { ...this.settings, autoOffsetReset: subscriptions.fromBeginning ? 'earliest' : 'latest' };
    this.inner = new KafkaConsumer(this.kafka, settings, { topics: subscriptions.topics, log: this.log }, {
      onAssign: (parts) => this.handlers.onAssign(parts),
      onBatch: (batch, heartbeat) => this.handlers.onBatch(batch.records, heartbeat),
      onError: (err, fatal) => {
        if (fatal) this.handlers.onCrash(err);
        else this.log.warn({ err }, 'Kafka consumer error');
      },
    });
    if (this.backpressure) this.inner.pause();
    await this.inner.start();
  }

  setBackpressure(on: boolean): void {
    if (on === this.backpressure) return;
    this.backpressure = on;
    if (on) this.inner?.pause();
    else this.inner?.resume();
  }

  replan(): void {
    this.inner?.replan();
  }

  get assignment(): readonly TopicPartition[] {
    return this.inner?.assignment ?? [];
  }

  /** Whether this member leads the consumer group; undefined while not in it (see KafkaConsumer.isLeader). */
  get isGroupLeader(): boolean | undefined {
    return this.inner?.isLeader;
  }

  /** Per assigned partition: the next offset to deliver and the high watermark of the last fetch. */
  lag(): PartitionLag[] {
    return this.inner?.lag() ?? [];
  }

  async commitHint(offsets: TopicPartitionOffset[]): Promise<void> {
    await this.inner?.commitOffsets(offsets);
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }
}
