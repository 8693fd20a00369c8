/**
 * The order events of the demo, the rollup benchmark and tests: Avro, with a decimal amount
 * (refunds negative), an event time in µs and a nested customer.
 */
import type kafkajs from 'kafkajs';
import { avroType } from '../../src/decode/index.js';
import { RegistryClient } from '../../src/decode/registry.js';
import { createTopic } from './kafka.js';
import { stack } from './stack.js';

export const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'demo',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'merchant', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-micros' } },
    {
      name: 'customer',
      type: { type: 'record', name: 'Customer', fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }, { name: 'country', type: ['null', 'string'], default: null }] },
    },
  ],
};

export interface Order {
  order_id: bigint;
  merchant: string;
  /** Unscaled, scale 2. */
  amount: bigint;
  currency: string;
  /** µs since the epoch. */
  event_time: bigint;
  customer: { id: bigint; name: string; country: string | null };
}

/** Order `i` of a deterministic stream over `merchants` merchant names, at event time `at` (µs). */
export function order(i: number, merchants: readonly string[], at: bigint): Order {
  return {
    order_id: BigInt(i),
    merchant: merchants[(i * 7919) % merchants.length] as string,
    amount: BigInt(((i * 104_729) % 1_000_000) - 20_000),
    currency: 'EUR',
    event_time: at,
    customer: { id: BigInt(i % 100_003), name: `customer-${i % 997}`, country: i % 5 === 0 ? null : 'DE' },
  };
}

/** Unscaled cents as decimal text with two places ("-12.05"). */
export function cents(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

/** Creates `topic` on the stack's Kafka and registers ORDER_SCHEMA as its value schema. */
export async function orderTopic(topic: string, partitions: number, clientId: string): Promise<{ kafka: kafkajs.Kafka; schemaId: number; type: ReturnType<typeof avroType> }> {
  const kafka = await createTopic(topic, partitions, clientId);
  const schemaId = await new RegistryClient({ url: stack.registryUrl }).register(`${topic}-value`, JSON.stringify(ORDER_SCHEMA));
  return { kafka, schemaId, type: avroType(ORDER_SCHEMA) };
}
