import { FloeError } from '../errors.js';

/**
 * The schema id of a value in the registry's wire format, or -1 when the value is not framed
 * (too short, wrong magic byte, a tombstone). Allocation-free, for the per-record path.
 */
export function schemaIdOf(value: Uint8Array | null): number {
  if (value === null || value.length < 5 || value[0] !== 0) return -1;
  return (((value[1] as number) << 24) | ((value[2] as number) << 16) | ((value[3] as number) << 8) | (value[4] as number)) >>> 0;
}

/**
 * Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the payload. `where`
 * names the record (topic[partition]@offset) in the error, which sends it to the dead-letter table.
 */
export function parseWire(value: Uint8Array | null, where: string): { schemaId: number; payload: Uint8Array } {
  if (value === null) throw new FloeError('DECODE_FAILED', `${where}: the record has no value (a tombstone); nothing to decode`);
  if (value.length < 5) throw new FloeError('DECODE_FAILED', `${where}: ${value.length} bytes is too short for the schema registry wire format (magic byte 0 and a 4-byte schema id, then the value)`);
  if (value[0] !== 0) throw new FloeError('DECODE_FAILED', `${where}: the magic byte is ${value[0]}, expected 0: the record was not written by a schema registry serializer (plain JSON? use format: json)`);
  return { schemaId: schemaIdOf(value), payload: value.subarray(5) };
}

/** Frames a payload in the wire format (producers in tests, the demo and benchmarks). */
export function frame(schemaId: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(schemaId, 1);
  out.set(payload, 5);
  return out;
}
