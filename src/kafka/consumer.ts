/**
 * The consumer stage on kafkajs: a consumer group reading with isolation read_committed, no
 * auto-commit (group offsets are a hint written by the pipeline), and — the part exactly-once
 * depends on — every new assignment is paused synchronously before the first fetch, handed to
 * the pipeline to plan the resume from the tables, seeked, and only then resumed.
 */
import kafkajs, { type Consumer, type EachBatchPayload, type Kafka, type SASLOptions } from 'kafkajs';
import { FloeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
  /** Key + value bytes, for backpressure accounting. */
  size: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumerHandlers {
  /** New assignment (the whole set): returns where to seek each partition. */
  onAssign(partitions: TopicPartition[]): Promise<Array<TopicPartition & { offset: number }>>;
  /** Records of one partition, in offset order. */
  onBatch(records: KafkaRecord[], heartbeat: () => Promise<void>): Promise<void>;
  /** A fatal consumer error (after kafkajs' own retries). */
  onCrash(err: unknown): void;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  ssl?: boolean | { ca?: string; cert?: string; key?: string };
  sessionTimeout?: number;
}

export function createKafka(s: KafkaSettings, logger?: Logger): Kafka {
  const level = kafkajs.logLevel;
  return new kafkajs.Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    sasl: s.sasl as SASLOptions | undefined,
    ssl: s.ssl as boolean | undefined,
    logLevel: level.WARN,
    logCreator: () => (entry) => {
      const msg = `${entry.namespace}: ${entry.log.message}`;
      if (entry.level <= level.ERROR) logger?.error({ kafka: entry.log }, msg);
      else if (entry.level === level.WARN) logger?.warn({ kafka: entry.log }, msg);
    },
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
}

export class FloeConsumer {
  private consumer: Consumer | undefined;
  private assigned: TopicPartition[] = [];
  private backpressure = false;
  private planning = false;
  private generation = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly handlers: ConsumerHandlers,
    private readonly log: Logger,
  ) {}

  async start(subscriptions: { topics: Array<string | RegExp>; fromBeginning: boolean }): Promise<void> {
    const c = this.kafka.consumer({
      groupId: this.settings.groupId,
      readUncommitted: false,
      sessionTimeout: this.settings.sessionTimeout ?? 30_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 200,
      retry: { retries: 10 },
    });
    this.consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      const assignment = Object.entries(e.payload.memberAssignment).flatMap(([topic, parts]) => (parts as number[]).map((partition) => ({ topic, partition })));
      // Synchronously, before the first fetch of this generation: nothing is read until the
      // pipeline has planned where each partition resumes.
      this.assigned = assignment;
      this.planning = true;
      const gen = ++this.generation;
      this.pauseAll();
      void this.plan(gen);
    });
    c.on(c.events.CRASH, (e) => this.handlers.onCrash(e.payload.error));
    await c.connect();
    await c.subscribe({ topics: subscriptions.topics, fromBeginning: subscriptions.fromBeginning });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (p: EachBatchPayload) => this.eachBatch(p),
    });
  }

  private async plan(gen: number): Promise<void> {
    try {
      const seeks = await this.handlers.onAssign(this.assigned);
      if (gen !== this.generation) return; // a newer assignment superseded this one
      for (const s of seeks) this.consumer?.seek({ topic: s.topic, partition: s.partition, offset: String(s.offset) });
      this.planning = false;
      if (!this.backpressure) this.resumeAll();
    } catch (err) {
      this.log.error({ err }, 'planning the resume from the tables failed; retrying');
      setTimeout(() => gen === this.generation && void this.plan(gen), 2000);
    }
  }

  private async eachBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const records: KafkaRecord[] = batch.messages.map((m) => {
      const headers: Array<[string, Buffer | null]> = [];
      for (const [k, v] of Object.entries(m.headers ?? {})) {
        if (Array.isArray(v)) for (const x of v) headers.push([k, x === undefined ? null : Buffer.from(x)]);
        else headers.push([k, v === undefined ? null : Buffer.from(v)]);
      }
      return {
        topic: batch.topic,
        partition: batch.partition,
        offset: Number(m.offset),
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers,
        size: (m.key?.length ?? 0) + (m.value?.length ?? 0),
      };
    });
    await this.handlers.onBatch(records, heartbeat);
  }

  private topicsOf(parts: TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
    const by = new Map<string, number[]>();
    for (const p of parts) by.set(p.topic, [...(by.get(p.topic) ?? []), p.partition]);
    return [...by].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private pauseAll(): void {
    if (this.assigned.length) this.consumer?.pause(this.topicsOf(this.assigned));
  }

  private resumeAll(): void {
    if (this.assigned.length) this.consumer?.resume(this.topicsOf(this.assigned));
  }

  /** Backpressure: stop fetching while buffered bytes are over the limit. */
  setBackpressure(on: boolean): void {
    if (on === this.backpressure) return;
    this.backpressure = on;
    if (on) this.pauseAll();
    else if (!this.planning) this.resumeAll();
  }

  /** Re-plans the current assignment from the tables (after a fence or a whole-service error). */
  replan(): void {
    this.planning = true;
    const gen = ++this.generation;
    this.pauseAll();
    void this.plan(gen);
  }

  get assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  async commitHint(offsets: Array<TopicPartition & { offset: number }>): Promise<void> {
    if (!this.consumer || offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
    } catch (err) {
      // A hint only: a failure here (e.g. during a rebalance) loses nothing.
      this.log.debug({ err }, 'committing group offsets (a hint) failed');
    }
  }

  async stop(): Promise<void> {
    this.pauseAll();
    await this.consumer?.disconnect();
  }
}

/** Earliest and latest offsets per partition of topics, and the group's committed offsets. */
export async function topicOffsets(kafka: Kafka, topics: string[], groupId?: string): Promise<Map<string, { low: number; high: number; group?: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, { low: number; high: number; group?: number }>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) out.set(`${topic}\u0000${p.partition}`, { low: Number(p.low), high: Number(p.high) });
    }
    if (groupId) {
      for (const t of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of t.partitions) {
          const e = out.get(`${t.topic}\u0000${p.partition}`);
          if (e && Number(p.offset) >= 0) e.group = Number(p.offset);
        }
      }
    }
    return out;
  } catch (err) {
    throw new FloeError('KAFKA_ERROR', `reading offsets of ${topics.join(', ')} failed: ${(err as Error).message}`, { cause: err, retryable: true });
  } finally {
    await admin.disconnect();
  }
}
