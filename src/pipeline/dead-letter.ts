/**
 * The dead-letter table (DESIGN §2 rule 8): a record that cannot be decoded, converted or
 * routed is kept whole — raw key, value and headers with where it came from and why — and is
 * committed under the same offset rules as any other row, so it is neither lost nor duplicated.
 */
import { FloeError, describeError, isFloeError } from '../errors.js';
import type { Schema, Value } from '../spec/types.js';

export const DEAD_LETTER_SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'topic', required: true, type: { type: 'string' } },
    { id: 2, name: 'partition', required: true, type: { type: 'int' } },
    { id: 3, name: 'offset', required: true, type: { type: 'long' } },
    { id: 4, name: 'timestamp', required: false, type: { type: 'timestamptz' }, doc: 'Kafka record timestamp' },
    { id: 5, name: 'key', required: false, type: { type: 'binary' } },
    { id: 6, name: 'value', required: false, type: { type: 'binary' } },
    {
      id: 7,
      name: 'headers',
      required: false,
      type: { type: 'map', keyId: 12, key: { type: 'string' }, valueId: 13, valueRequired: false, value: { type: 'binary' } },
    },
    { id: 8, name: 'target_table', required: false, type: { type: 'string' }, doc: 'The table the record was meant for, when known' },
    { id: 9, name: 'error_code', required: true, type: { type: 'string' } },
    { id: 10, name: 'error', required: true, type: { type: 'string' } },
    { id: 11, name: 'failed_at', required: true, type: { type: 'timestamptz' } },
  ],
};

export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since epoch, as Kafka gives it. */
  timestamp: number | undefined;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ReadonlyArray<readonly [string, Uint8Array | null]>;
}

/** The dead-letter row of a record, in the value representation of spec/types.ts. */
export function deadLetterRow(record: RawRecord, err: unknown, targetTable: string | undefined, now = Date.now()): Value {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: BigInt(record.offset),
    timestamp: record.timestamp === undefined ? null : BigInt(record.timestamp) * 1000n,
    key: record.key,
    value: record.value,
    headers: record.headers.map(([k, v]) => [k, v] as [Value, Value]),
    target_table: targetTable ?? null,
    error_code: isFloeError(err) ? err.code : 'INTERNAL',
    error: describeError(err),
    failed_at: BigInt(now) * 1000n,
  };
}

export { defaultDeadLetterTable } from '../config/index.js';

/**
 * Headers a dead letter carries in a topic, after the record's own headers. Named like Kafka
 * Connect's `__connect.errors.*` so that tools built for its dead-letter queue read them the same
 * way: where the record came from and why it failed. Values are UTF-8 text.
 */
export const DEAD_LETTER_HEADER_PREFIX = '__floe.errors.';

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  timestamp?: string;
}

/**
 * The dead-letter message of a record for a topic: the original key, value, headers and timestamp
 * byte for byte (so it can be replayed as it was), the error context in `__floe.errors.*` headers.
 */
export function deadLetterMessage(record: RawRecord, err: unknown, targetTable: string | undefined, group: string, now = Date.now()): DeadLetterMessage {
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (const [k, v] of record.headers) {
    const b = Buffer.from(v ?? new Uint8Array(0));
    const prev = headers[k];
    headers[k] = prev === undefined ? b : Array.isArray(prev) ? [...prev, b] : [prev, b];
  }
  const h = (name: string, v: string) => (headers[DEAD_LETTER_HEADER_PREFIX + name] = Buffer.from(v));
  h('topic', record.topic);
  h('partition', String(record.partition));
  h('offset', String(record.offset));
  if (record.timestamp !== undefined) h('timestamp', String(record.timestamp));
  h('code', isFloeError(err) ? err.code : 'INTERNAL');
  h('message', describeError(err));
  if (targetTable) h('table', targetTable);
  h('group', group);
  h('failed.at', String(now));
  return {
    key: record.key ? Buffer.from(record.key) : null,
    value: record.value ? Buffer.from(record.value) : null,
    headers,
    ...(record.timestamp !== undefined ? { timestamp: String(record.timestamp) } : {}),
  };
}

/** The part of a kafkajs producer the dead-letter topics use. */
export interface DeadLetterProducer {
  connect(): Promise<void>;
  send(r: { topic: string; acks: number; messages: DeadLetterMessage[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}

/**
 * Dead letters bound for topics (DESIGN §2 rule 8 with a topic target). Messages are buffered
 * while a fetch's records are processed and `flush()`ed, acknowledged by every in-sync replica,
 * before the pipeline lets go of its batch lock: a batch cut can only cover offsets whose dead
 * letters the broker already has, so no table commit ever moves past a dead letter that was not
 * written. A crash between the produce and the table commit re-reads those records and produces
 * their dead letters again: at least once into the topic (the `__floe.errors.topic`/`partition`/
 * `offset` headers identify a record for deduplication). The producer is idempotent, so its own
 * retries add no copies.
 */
export class DeadLetterTopics {
  private producer: DeadLetterProducer | undefined;
  private buffered = new Map<string, DeadLetterMessage[]>();
  private count = 0;

  constructor(private readonly create: () => DeadLetterProducer) {}

  add(topic: string, message: DeadLetterMessage): void {
    let l = this.buffered.get(topic);
    if (!l) this.buffered.set(topic, (l = []));
    l.push(message);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Sends what is buffered; resolves once the broker acknowledged all of it. Throws KAFKA_ERROR (retryable). */
  async flush(): Promise<void> {
    if (this.count === 0) return;
    const batches = this.buffered;
    this.buffered = new Map();
    this.count = 0;
    try {
      if (!this.producer) {
        const p = this.create();
        await p.connect();
        this.producer = p;
      }
      const p = this.producer;
      await Promise.all([...batches].map(([topic, messages]) => p.send({ topic, acks: -1, messages })));
    } catch (err) {
      throw new FloeError('KAFKA_ERROR', `producing ${[...batches.values()].reduce((n, l) => n + l.length, 0)} dead letters to ${[...batches.keys()].join(', ')} failed: ${(err as Error).message}; check that the topic exists and the principal may write to it`, { cause: err, retryable: true });
    }
  }

  /** Drops what is buffered (the records will be read again). */
  clear(): void {
    this.buffered = new Map();
    this.count = 0;
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect();
  }
}
