import { FloeError } from '../errors.js';

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the payload. */
export function parseWire(value: Uint8Array | null, where: string): { schemaId: number; payload: Uint8Array } {
  if (value === null) throw new FloeError('DECODE_FAILED', `${where}: the record has no value (a tombstone); nothing to decode`);
  if (value.length < 5) throw new FloeError('DECODE_FAILED', `${where}: ${value.length} bytes is too short for the schema registry wire format (magic byte + 4-byte schema id)`);
  if (value[0] !== 0) throw new FloeError('DECODE_FAILED', `${where}: magic byte is ${value[0]}, expected 0: the record was not written with a schema registry serializer`);
  const schemaId = ((value[1] as number) << 24) | ((value[2] as number) << 16) | ((value[3] as number) << 8) | (value[4] as number);
  return { schemaId, payload: value.subarray(5) };
}

export function frame(schemaId: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(schemaId, 1);
  out.set(payload, 5);
  return out;
}
