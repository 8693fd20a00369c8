/**
 * The dead-letter table (DESIGN §2 rule 8): a record that cannot be decoded, converted or
 * routed is kept whole — raw key, value and headers with where it came from and why — and is
 * committed under the same offset rules as any other row, so it is neither lost nor duplicated.
 */
import { describeError, isFloeError } from '../errors.js';
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

/** `db.orders` -> `db.orders_dlq`: the default dead-letter table of a mapping. */
export function defaultDeadLetterTable(table: string): string {
  return `${table}_dlq`;
}
