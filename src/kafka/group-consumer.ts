/**
 * The consumer stage on kafkajs: a consumer group reading with isolation read_committed and no
 * auto-commit (group offsets are a hint the pipeline writes). What exactly-once depends on:
 * every new assignment is paused synchronously in the join event, before the first fetch of
 * the generation, handed to the pipeline (onAssign) to compute where each partition resumes
 * from the tables, seeked there, and only then resumed; a batch fetched before that plan is
 * dropped, never delivered. kafkajs 2.2 rebalances eagerly: every rebalance stops fetching for
 * the whole group until all members rejoin, so no partition is read by two members at once.
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { FloeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { KafkaSettings } from './client.js';
import { tpKey, type KafkaRecord, type RecordBatch, type TopicPartition, type TopicPartitionOffset } from './types.js';

export interface ConsumerHandlers {
  /**
   * A new assignment (the whole set, after every rebalance). Resolve with a start offset for
   * every partition in it; nothing is fetched for the generation until this resolves. A
   * rejection is reported to onError and the plan is retried with back-off.
   */
  onAssign(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Partitions of the previous assignment that this member no longer owns, before onAssign. */
  onRevoke?(partitions: TopicPartition[]): Promise<void>;
  /**
   * The records of one partition from one fetch, in offset order. A rejection is reported to
   * onError and re-plans the whole assignment (onAssign again), so no record is skipped.
   */
  onBatch(batch: RecordBatch, heartbeat: () => Promise<void>): Promise<void>;
  /** fatal: the consumer stopped and will not restart by itself. */
  onError?(err: unknown, fatal: boolean): void;
}

export interface ConsumerOptions {
  /** Topic names or patterns (a pattern is matched against the topics that exist at start). */
  topics: Array<string | RegExp>;
  /** Partitions processed at the same time; 1 keeps onBatch calls sequential. */
  partitionsConsumedConcurrently?: number;
  /**
   * Record bytes fetched ahead of processing (default 0: none). kafkajs sends the next fetch of a
   * broker only once every batch of the last one was handled; with a prefetch, batches are queued
   * and handed to onBatch one after another (still in order, still sequential), so the next fetch
   * overlaps with processing. The queue is dropped whenever the assignment is planned again, so
   * no batch of an older plan is delivered. Off by default: kafkajs goes on heartbeating from its
   * fetch loop while a queued batch is processed, so a batch stuck longer than the session
   * timeout no longer drops the member (Java's consumer has max.poll.interval.ms for that; this
   * has nothing yet), and bench:e2e measured only ~3% of the main thread gained (D9).
   */
  prefetchBytes?: number;
  log?: Logger;
}

export interface PartitionLag extends TopicPartition {
  /** The next offset this consumer will deliver (undefined before the first batch). */
  position: number | undefined;
  /** The high watermark seen with the last batch. */
  highWatermark: number | undefined;
  /** highWatermark - position, when both are known. */
  lag: number | undefined;
}

// Measured by bench/kafka-clients.ts: larger per-partition fetches cost RSS and bought nothing.
const DEFAULT_FETCH = { minBytes: 1, maxBytes: 10 * 2 ** 20, maxBytesPerPartition: 2 ** 20, maxWait: 500 };

export class KafkaConsumer {
  private consumer: Consumer | undefined;
  private assigned: TopicPartition[] = [];
  /** Whether this member led the group's last join (it computed the assignment); one member per generation. Undefined before the first join. */
  private leader: boolean | undefined;
  private assignedKeys = new Set<string>();
  private generation = 0;
  private planning = false;
  private stopping = false;
  private pausedAll = false;
  private readonly pausedSome = new Set<string>();
  private readonly progress = new Map<string, { position?: number; highWatermark?: number }>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Batches fetched and not yet handed to onBatch (prefetch), with the generation they belong to. */
  private queue: Array<{ gen: number; batch: RecordBatch; bytes: number; heartbeat: () => Promise<void> }> = [];
  private queuedBytes = 0;
  /** Bytes of the queued batch being processed now. */
  private processingBytes = 0;
  private draining: Promise<void> | undefined;
  /** Waiters for room in the queue (eachBatch calls holding back kafkajs' next fetch). */
  private roomWaiters: Array<() => void> = [];
  /** A heartbeat failure seen while processing a queued batch: handed to kafkajs with the next batch. */
  private groupError: unknown;
  private prefetchBytes = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly options: ConsumerOptions,
    private readonly handlers: ConsumerHandlers,
  ) {}

  async start(): Promise<void> {
    const f = { ...DEFAULT_FETCH, ...this.settings.fetch };
    this.prefetchBytes = this.options.prefetchBytes ?? 0;
    const c = this.kafka.consumer({
      groupId: this.settings.groupId,
      readUncommitted: false,
      sessionTimeout: this.settings.sessionTimeout ?? 30_000,
      minBytes: f.minBytes,
      maxBytes: f.maxBytes,
      maxBytesPerPartition: f.maxBytesPerPartition,
      maxWaitTimeInMs: f.maxWait,
      retry: { retries: 10 },
    });
    this.consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      this.leader = e.payload.isLeader;
      this.joined(e.payload.memberAssignment);
    });
    c.on(c.events.CRASH, (e) => {
      this.leader = undefined;
      if (!this.stopping) this.handlers.onError?.(e.payload.error, !e.payload.restart);
    });
    try {
      await c.connect();
      // A partition that no table and no group offset knows starts at the reset policy: the
      // group's committed offset is only read when the pipeline's plan does not seek.
      await c.subscribe({ topics: this.options.topics, fromBeginning: (this.settings.autoOffsetReset ?? 'earliest') === 'earliest' });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (p) => this.eachBatch(p),
      });
    } catch (err) {
      throw new FloeError('KAFKA_ERROR', `starting the consumer of group ${this.settings.groupId} on ${this.settings.brokers.join(',')} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
  }

  /** Runs synchronously inside kafkajs' join, before the generation's first fetch. */
  private joined(memberAssignment: Record<string, number[]>): void {
    const next = Object.entries(memberAssignment).flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition })));
    const nextKeys = new Set(next.map((p) => tpKey(p.topic, p.partition)));
    const revoked = this.assigned.filter((p) => !nextKeys.has(tpKey(p.topic, p.partition)));
    for (const p of revoked) this.progress.delete(tpKey(p.topic, p.partition));
    this.assigned = next;
    this.assignedKeys = nextKeys;
    this.startPlan(revoked);
  }

  private startPlan(revoked: TopicPartition[]): void {
    this.planning = true;
    const gen = ++this.generation;
    this.dropQueue();
    clearTimeout(this.retryTimer);
    this.applyPause();
    void this.plan(gen, revoked, 0);
  }

  private async plan(gen: number, revoked: TopicPartition[], attempt: number): Promise<void> {
    try {
      if (revoked.length && this.handlers.onRevoke) await this.handlers.onRevoke(revoked);
      revoked = [];
      const seeks = await this.handlers.onAssign(this.assigned);
      if (gen !== this.generation || this.stopping) return; // a newer assignment superseded this one
      const byKey = new Map(seeks.map((s) => [tpKey(s.topic, s.partition), s.offset]));
      const missing = this.assigned.filter((p) => !byKey.has(tpKey(p.topic, p.partition)));
      if (missing.length) throw new FloeError('KAFKA_ERROR', `the resume plan has no offset for ${missing.map((p) => `${p.topic}[${p.partition}]`).join(', ')}`);
      for (const p of this.assigned) {
        const offset = byKey.get(tpKey(p.topic, p.partition)) as number;
        this.consumer?.seek({ topic: p.topic, partition: p.partition, offset: String(offset) });
        this.progress.set(tpKey(p.topic, p.partition), { position: offset });
      }
      this.planning = false;
      this.applyPause();
    } catch (err) {
      if (gen !== this.generation || this.stopping) return;
      this.handlers.onError?.(err, false);
      this.options.log?.error({ err, attempt }, 'planning where the assigned partitions resume failed; retrying');
      this.retryTimer = setTimeout(() => void this.plan(gen, revoked, attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
    }
  }

  /** kafkajs' paused set := every assigned partition while planning, else what the user paused. */
  private applyPause(): void {
    const c = this.consumer;
    if (!c || this.assigned.length === 0) return;
    const paused: TopicPartition[] = [];
    const running: TopicPartition[] = [];
    for (const p of this.assigned) {
      const off = this.planning || this.pausedAll || this.pausedSome.has(tpKey(p.topic, p.partition));
      (off ? paused : running).push(p);
    }
    try {
      if (paused.length) c.pause(byTopic(paused));
      if (running.length) c.resume(byTopic(running));
    } catch (err) {
      // before run() has created the group there is nothing to pause; the join applies it
      this.options.log?.debug({ err }, 'pause/resume before the consumer ran');
    }
  }

  private async eachBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.groupError !== undefined) {
      // A heartbeat failed while a queued batch was processed: kafkajs rejoins on this error.
      const err = this.groupError;
      this.groupError = undefined;
      throw err;
    }
    const key = tpKey(batch.topic, batch.partition);
    // Fetched before the plan of this generation, or for a partition no longer ours: the seek
    // that follows the plan re-reads it, so delivering it now would deliver it twice.
    if (!isRunning() || isStale() || this.planning || this.stopping || !this.assignedKeys.has(key) || batch.messages.length === 0) return;
    const gen = this.generation;
    const last = Number(batch.lastOffset());
    if (!Number.isSafeInteger(last)) throw new FloeError('KAFKA_ERROR', `${batch.topic}[${batch.partition}]: offset ${batch.lastOffset()} is beyond 2^53`);
    const records: KafkaRecord[] = new Array(batch.messages.length);
    let bytes = 0;
    for (let i = 0; i < batch.messages.length; i++) {
      const m = batch.messages[i] as (typeof batch.messages)[number];
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
      bytes += size;
      records[i] = {
        topic: batch.topic,
        partition: batch.partition,
        offset: Number(m.offset),
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headers ? headerList(m.headers) : [],
        size,
      };
    }
    const out: RecordBatch = { topic: batch.topic, partition: batch.partition, records, nextOffset: last + 1, highWatermark: Number(batch.highWatermark) };
    if (this.prefetchBytes <= 0) {
      await this.deliver(gen, out, heartbeat);
      return;
    }
    this.queue.push({ gen, batch: out, bytes, heartbeat });
    this.queuedBytes += bytes;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    // Hold kafkajs' next fetch back only while a whole prefetch is already waiting.
    while (this.queuedBytes + this.processingBytes > this.prefetchBytes && !this.stopping) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  /** Hands queued batches to onBatch in order, one at a time. */
  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      this.queuedBytes -= next.bytes;
      this.processingBytes = next.bytes;
      try {
        if (next.gen === this.generation && !this.planning && !this.stopping) await this.deliver(next.gen, next.batch, next.heartbeat);
      } catch (err) {
        // A heartbeat that failed: kafkajs gets it with its next batch and rejoins; the join
        // re-plans. What is queued belongs to the old generation.
        this.groupError = err;
        this.dropQueue();
      } finally {
        this.processingBytes = 0;
        this.wakeRoom();
      }
    }
  }

  private dropQueue(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.wakeRoom();
  }

  private wakeRoom(): void {
    if (this.queuedBytes + this.processingBytes > this.prefetchBytes && !this.stopping) return;
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const r of w) r();
  }

  /**
   * One batch to onBatch. A failing batch re-plans (nothing is skipped); a failed heartbeat is
   * rethrown for kafkajs to handle (it rejoins, and the join re-plans).
   */
  private async deliver(gen: number, out: RecordBatch, heartbeat: () => Promise<void>): Promise<void> {
    const key = tpKey(out.topic, out.partition);
    let groupError: unknown;
    const beat = async () => {
      try {
        await heartbeat();
      } catch (err) {
        groupError = err;
        throw err;
      }
    };
    try {
      await this.handlers.onBatch(out, beat);
      if (gen === this.generation) this.progress.set(key, { position: out.nextOffset, highWatermark: out.highWatermark });
    } catch (err) {
      if (groupError !== undefined) throw groupError;
      this.handlers.onError?.(err, false);
      if (gen === this.generation && !this.stopping) this.startPlan([]);
    }
  }

  /** Stops fetching all (no argument) or some partitions: backpressure. */
  pause(partitions?: TopicPartition[]): void {
    if (!partitions) this.pausedAll = true;
    else for (const p of partitions) this.pausedSome.add(tpKey(p.topic, p.partition));
    this.applyPause();
  }

  /** Resumes all (no argument: also clears partition pauses) or some partitions. */
  resume(partitions?: TopicPartition[]): void {
    if (!partitions) {
      this.pausedAll = false;
      this.pausedSome.clear();
    } else for (const p of partitions) this.pausedSome.delete(tpKey(p.topic, p.partition));
    this.applyPause();
  }

  /** Plans the current assignment again (after a fence or a whole-service error). */
  replan(): void {
    if (!this.stopping) this.startPlan([]);
  }

  get assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  /**
   * Whether this member is the group's leader as of its last join. Exactly one member leads a
   * generation; a member that lost the group without rejoining may believe it still leads until
   * its next join, so a job run only by the leader can still, rarely, run twice at once.
   * Undefined while not in the group (before the first join, after a crash or stop).
   */
  get isLeader(): boolean | undefined {
    return this.stopping ? undefined : this.leader;
  }

  /** Whether a plan is pending (nothing is fetched meanwhile). */
  get isPlanning(): boolean {
    return this.planning;
  }

  lag(): PartitionLag[] {
    return this.assigned.map((p) => {
      const g = this.progress.get(tpKey(p.topic, p.partition));
      const lag = g?.position !== undefined && g.highWatermark !== undefined ? Math.max(0, g.highWatermark - g.position) : undefined;
      return { ...p, position: g?.position, highWatermark: g?.highWatermark, lag };
    });
  }

  /**
   * Commits group offsets, a hint for lag tools only (DESIGN §2 rule 7): a failure, e.g. during
   * a rebalance, is logged and loses nothing. Returns whether the commit went through.
   */
  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<boolean> {
    if (!this.consumer || offsets.length === 0) return true;
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
      return true;
    } catch (err) {
      this.options.log?.debug({ err }, 'committing group offsets (a hint) failed');
      return false;
    }
  }

  /** Stops fetching, waits for the batch in progress, leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    this.pausedAll = true;
    this.applyPause();
    this.dropQueue();
    await this.draining;
    await this.consumer?.disconnect();
  }
}

export function createConsumer(kafka: Kafka, settings: KafkaSettings, options: ConsumerOptions, handlers: ConsumerHandlers): KafkaConsumer {
  return new KafkaConsumer(kafka, settings, options, handlers);
}

function byTopic(parts: TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const by = new Map<string, number[]>();
  for (const p of parts) {
    const l = by.get(p.topic);
    if (l) l.push(p.partition);
    else by.set(p.topic, [p.partition]);
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Shared by every record without headers (most of them): nothing writes to a record's headers. */
const NO_HEADERS = Object.freeze([]) as unknown as Array<[string, Buffer | null]>;

function headerList(h: IHeaders): Array<[string, Buffer | null]> {
  let any = false;
  for (const _ in h) {
    any = true;
    break;
  }
  if (!any) return NO_HEADERS;
  const out: Array<[string, Buffer | null]> = [];
  for (const [k, v] of Object.entries(h)) {
    for (const x of Array.isArray(v) ? v : [v]) out.push([k, x === undefined ? null : Buffer.isBuffer(x) ? x : Buffer.from(x)]);
  }
  return out;
}
