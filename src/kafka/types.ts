/**
 * What the consumer stage hands the pipeline. Offsets are JavaScript numbers: Kafka's are int64,
 * but a partition would need 2^53 records (285 years at a million a second) to leave the safe
 * integer range, and numbers are what the offset maps in snapshot summaries (JSON) and the
 * commit stage use; the consumer refuses an offset beyond Number.MAX_SAFE_INTEGER rather than
 * round it.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since epoch (create or log-append time, as the topic says). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** In wire order; a key may repeat. */
  headers: Array<[string, Buffer | null]>;
  /** Key + value bytes, for backpressure accounting. */
  size: number;
}

/** The records of one partition from one fetch, in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
  /**
   * One past the last offset this fetch covered, aborted records and transaction markers
   * included: where the partition's consumed range ends (DESIGN §2 rule 3), which may be past
   * the last record's offset + 1.
   */
  nextOffset: number;
  /** The partition's high watermark when fetched (its log end for lag). */
  highWatermark: number;
}

/** Earliest and latest offsets of a partition, and the group's committed offset if asked. */
export interface PartitionOffsets extends TopicPartition {
  /** Log start: the first offset still stored (retention moves it). */
  earliest: number;
  /** Log end (high watermark): the offset the next produced record will get. */
  latest: number;
  /** The group's committed offset, absent when the group has none. */
  committed?: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function toOffset(v: string | number | bigint, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: offset ${String(v)} is not a safe integer`);
  return n;
}
