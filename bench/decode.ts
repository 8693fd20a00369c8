/**
 * npm run bench:decode [records] — decode rate of framed Avro records of about 300 bytes with
 * 12 fields (long id, uuid, decimal, timestamp-millis, enum, nested record, array, map,
 * optional fields), on one core, against avsc with no logical types and numbers for longs
 * (the floor of what avsc can do) in the same run. Stages: Floe's avsc type alone; the
 * Decoder (wire format + schema by id); Decoder + converter to the auto-created table schema
 * (the pipeline's path); the same with a converter that does not know the writer. Each stage
 * runs 5 rounds; the best round counts. One JSON line per stage, and last:
 *   decode records_per_s=<n> convert_records_per_s=<n> avsc_plain_records_per_s=<n> ratio=<convert/plain> bytes=<avg>
 */
import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { avroToIceberg, avroType, compileConverter, Decoder, frame, type RegisteredSchema, type SchemaSource } from '../src/decode/index.js';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;

export const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'floe.bench',
  fields: [
    { name: 'order_id', type: 'long' },
    { name: 'order_uuid', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'merchant', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP', 'JPY'] } },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'quantity', type: 'int' },
    { name: 'discount', type: ['null', 'double'], default: null },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'Customer',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'name', type: 'string' },
          { name: 'country', type: ['null', 'string'], default: null },
        ],
      },
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

const MERCHANTS = Array.from({ length: 1000 }, (_, i) => `merchant-${String(i).padStart(4, '0')}`);
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];

function order(i: number): Record<string, unknown> {
  return {
    order_id: BigInt(1_000_000_000_000 + i),
    order_uuid: randomUUID(),
    merchant: MERCHANTS[i % MERCHANTS.length],
    amount: BigInt(100 + ((i * 7919) % 9_999_900)),
    currency: CURRENCIES[i % 4],
    event_time: BigInt(1_764_000_000_000 + i * 3) * 1000n,
    quantity: 1 + (i % 9),
    discount: i % 3 === 0 ? null : (i % 50) / 100,
    customer: { id: BigInt(500_000 + (i % 77_777)), name: `Customer number ${i % 77_777} of the bench`, country: i % 5 === 0 ? null : 'DE' },
    tags: ['web', i % 2 ? 'mobile' : 'desktop', 'promo-autumn-2026'],
    attributes: { channel: 'organic', campaign: `c-${i % 40}`, referrer: 'https://example.com/landing/page' },
    note: i % 4 === 0 ? null : 'please deliver to the back door, ring twice and wait at least a minute',
  };
}

function best(name: string, fn: (i: number) => unknown, n: number): number {
  let top = 0;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i)) sink++;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    top = Math.max(top, n / s);
  }
  console.log(JSON.stringify({ stage: name, records: n, rounds: ROUNDS, records_per_s: Math.round(top), sink }));
  return top;
}

async function main(): Promise<void> {
  const floeType = avroType(ORDER_SCHEMA);
  const framed = Array.from({ length: N }, (_, i) => frame(7, floeType.toBuffer(order(i))));
  const payloads = framed.map((b) => b.subarray(5));
  const bytes = framed.reduce((s, b) => s + b.length, 0) / N;

  // avsc as it comes: longs as numbers (these fit), decimals as raw bytes, no hooks.
  const plain = avro.Type.forSchema(ORDER_SCHEMA as avro.Schema, { wrapUnions: false });
  const plainRate = best('avsc_plain', (i) => plain.decode(payloads[i] as Buffer, 0).value, N);
  best('floe_avro_type', (i) => floeType.decode(payloads[i] as Buffer, 0).value, N);

  const source: SchemaSource = {
    schemaById: (id): Promise<RegisteredSchema> => Promise.resolve({ id, schemaType: 'AVRO', schema: JSON.stringify(ORDER_SCHEMA), references: [], referenced: [] }),
  };
  const decoder = new Decoder('avro', source);
  await decoder.decode(framed[0] as Buffer, 'bench[0]@0');
  const where = () => 'bench';
  const decodeRate = best('decoder', (i) => decoder.decodeCached(framed[i] as Buffer, where), N);

  const table = avroToIceberg(ORDER_SCHEMA);
  const conv = decoder.converter(7, table.fields);
  const convertRate = best('decoder_convert', (i) => conv((decoder.decodeCached(framed[i] as Buffer, where) as { value: unknown }).value), N);
  const generic = compileConverter(table.fields);
  best('decoder_convert_untyped', (i) => generic((decoder.decodeCached(framed[i] as Buffer, where) as { value: unknown }).value), N);

  console.log(
    `decode records_per_s=${Math.round(decodeRate)} convert_records_per_s=${Math.round(convertRate)} avsc_plain_records_per_s=${Math.round(plainRate)} ratio=${(convertRate / plainRate).toFixed(2)} bytes=${Math.round(bytes)}`,
  );
}

await main();
