/**
 * Avro object container files for manifests and manifest lists. avsc encodes the records; the
 * container (header with the full schema — field ids included, which Java and PyIceberg read —
 * blocks, sync markers, deflate) is written here so that the schema in the header is exactly
 * the spec's, attributes and all.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { FloeError } from '../errors.js';
import { BIGINT_LONG } from '../decode/avro.js';


/**
 * An avsc type for a manifest schema. Every long is a bigint, also the `{type: 'long',
 * logicalType: ...}` of time and timestamp partition values, which the registry alone misses.
 */
export function avroType(schema: object): avro.Type {
  const typeHook = (s: unknown) => (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long' ? BIGINT_LONG : undefined);
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: BIGINT_LONG } as never, typeHook: typeHook as never, wrapUnions: false });
}

const MAGIC = Buffer.from('Obj\u0001', 'latin1');
const HEADER = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});

export interface AvroWriteOptions {
  metadata?: Record<string, string>;
  codec?: 'deflate' | 'null';
  /** Records per block. */
  blockRecords?: number;
}

function zigzagLong(n: number): Buffer {
  return avro.Type.forSchema('long').toBuffer(n);
}

/** Encodes records into an Avro object container file. */
export function writeAvroFile(schema: object, records: readonly unknown[], opts: AvroWriteOptions = {}): Buffer {
  return writeAvroContainer(schema, encodeAvroRecords(avroType(schema), records), opts);
}

/** Each record's Avro binary encoding. */
export function encodeAvroRecords(type: avro.Type, records: readonly unknown[]): Buffer[] {
  try {
    return records.map((r) => type.toBuffer(r));
  } catch (err) {
    throw new FloeError('INTERNAL', `Avro encoding failed: ${(err as Error).message}`, { cause: err });
  }
}

/** An Avro object container file of records already encoded with `schema`. */
export function writeAvroContainer(schema: object, encoded: readonly Uint8Array[], opts: AvroWriteOptions = {}): Buffer {
  const codec = opts.codec ?? 'deflate';
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from(codec) };
  for (const [k, v] of Object.entries(opts.metadata ?? {})) meta[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [HEADER.toBuffer({ magic: MAGIC, meta, sync })];
  const per = opts.blockRecords ?? 1000;
  for (let i = 0; i < encoded.length; i += per) {
    const chunk = encoded.slice(i, i + per);
    let data = Buffer.concat(chunk);
    if (codec === 'deflate') data = deflateRawSync(data);
    parts.push(zigzagLong(chunk.length), zigzagLong(data.length), data, sync);
  }
  return Buffer.concat(parts);
}

export interface AvroFile<T> {
  metadata: Record<string, string>;
  schema: object;
  records: T[];
}

/** Decodes an Avro object container file (null and deflate codecs). */
export function readAvroFile<T = Record<string, unknown>>(bytes: Uint8Array): AvroFile<T> {
  const { metadata, schema, blocks } = readAvroBlocks(bytes);
  const type = avroType(schema);
  const records: T[] = [];
  for (const { count, data } of blocks) {
    let p = 0;
    for (let i = 0; i < count; i++) {
      const r = type.decode(data, p);
      records.push(r.value as T);
      p = r.offset;
    }
  }
  return { metadata, schema, records };
}

export interface AvroBlocks {
  metadata: Record<string, string>;
  schema: object;
  /** Each block's record count and its records' bytes, decompressed. */
  blocks: Array<{ count: number; data: Buffer }>;
}

/** An Avro object container file's header and decompressed blocks, records not decoded. */
export function readAvroBlocks(bytes: Uint8Array): AvroBlocks {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = HEADER.decode(buf, 0);
  if (head.offset < 0) throw new FloeError('METADATA_INVALID', 'not an Avro file: truncated header');
  const h = head.value as { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer };
  if (!h.magic.equals(MAGIC)) throw new FloeError('METADATA_INVALID', 'not an Avro object container file');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.meta)) metadata[k] = v.toString('utf8');
  const schema = JSON.parse(metadata['avro.schema'] ?? 'null') as object;
  const codec = metadata['avro.codec'] ?? 'null';
  const longT = avro.Type.forSchema('long');
  const blocks: AvroBlocks['blocks'] = [];
  let pos = head.offset;
  while (pos < buf.length) {
    const count = longT.decode(buf, pos);
    const size = longT.decode(buf, count.offset);
    const start = size.offset;
    const end = start + (size.value as number);
    let data = buf.subarray(start, end);
    if (codec === 'deflate') data = inflateRawSync(data);
    else if (codec !== 'null') throw new FloeError('METADATA_INVALID', `Avro codec '${codec}' is not supported`);
    blocks.push({ count: count.value as number, data });
    pos = end + 16;
  }
  return { metadata, schema, blocks };
}
