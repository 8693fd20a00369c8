/**
 * Decoding of one mapping's record values: Avro or JSON Schema in the registry's wire format,
 * or plain JSON. Writer schemas are resolved by id once and cached with their compiled decoders.
 */
import type avro from 'avsc';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema } from '../spec/types.js';
import { typeFromJson } from '../spec/schema.js';
import { avroToIceberg, avroType } from './avro.js';
import type { RegistryClient } from './registry.js';
import { parseWire } from './wire.js';

export type Format = 'avro' | 'json-schema' | 'json';

export interface DecodedRecord {
  /** The writer schema id (0 for plain JSON). */
  schemaId: number;
  value: unknown;
}

export interface DeclaredColumn {
  name: string;
  type: string;
  required: boolean;
}

/** A declared column list (`{name, type}` with Iceberg type strings) as a schema. */
export function declaredSchema(cols: readonly DeclaredColumn[]): Schema {
  return { schemaId: 0, fields: cols.map((c, i) => ({ id: i + 1, name: c.name, required: c.required, type: typeFromJson(c.type, `schema column '${c.name}'`) })) };
}

/** JSON Schema (draft 7 / 2020-12 subset Confluent serializers emit) -> Iceberg schema. */
export function jsonSchemaToIceberg(schema: unknown): Schema {
  let next = 1;
  const conv = (s: Record<string, unknown>, where: string): IcebergType => {
    let type = s.type as string | string[] | undefined;
    if (Array.isArray(type)) type = type.find((t) => t !== 'null');
    if (!type && Array.isArray(s.oneOf)) return conv((s.oneOf as Array<Record<string, unknown>>).find((x) => x.type !== 'null') ?? {}, where);
    switch (type) {
      case 'object': {
        const props = (s.properties as Record<string, Record<string, unknown>>) ?? {};
        const req = new Set((s.required as string[]) ?? []);
        return {
          type: 'struct',
          fields: Object.entries(props).map(([name, p]) => {
            const id = next++;
            return { id, name, required: req.has(name), type: conv(p, `${where}.${name}`) } as NestedField;
          }),
        };
      }
      case 'array': {
        const elementId = next++;
        return { type: 'list', elementId, elementRequired: false, element: conv((s.items as Record<string, unknown>) ?? {}, `${where}[]`) };
      }
      case 'integer':
        return { type: 'long' };
      case 'number':
        return { type: 'double' };
      case 'boolean':
        return { type: 'boolean' };
      case 'string':
        if (s.format === 'date-time') return { type: 'timestamptz' };
        if (s.format === 'date') return { type: 'date' };
        if (s.format === 'uuid') return { type: 'uuid' };
        return { type: 'string' };
      default:
        throw new FloeError('SCHEMA_INVALID', `${where}: JSON Schema type '${String(type)}' has no Iceberg equivalent; declare the table schema instead`);
    }
  };
  const root = conv(schema as Record<string, unknown>, 'value');
  if (root.type !== 'struct') throw new FloeError('SCHEMA_INVALID', 'the JSON Schema of the value must be an object to become a table');
  return { schemaId: 0, fields: root.fields };
}

interface Writer {
  decode(payload: Uint8Array): unknown;
  iceberg: () => Schema;
}

export class Decoder {
  private readonly writers = new Map<number, Promise<Writer>>();
  /** Writers already resolved, for the synchronous path (every record but a schema's first). */
  private readonly ready = new Map<number, Writer>();

  constructor(
    readonly format: Format,
    private readonly registry: RegistryClient | undefined,
    private readonly declared?: Schema,
  ) {
    if (format !== 'json' && !registry) throw new FloeError('CONFIG_INVALID', `format '${format}' needs a schema registry: set registry.url`);
  }

  private writer(id: number): Promise<Writer> {
    let w = this.writers.get(id);
    if (!w) {
      w = (async () => {
        const reg = await (this.registry as RegistryClient).schemaById(id);
        const parsed = JSON.parse(reg.schema) as unknown;
        if (this.format === 'avro') {
          if (reg.schemaType !== 'AVRO') throw new FloeError('DECODE_FAILED', `schema id ${id} is a ${reg.schemaType} schema, but the mapping's format is avro`);
          let type: avro.Type;
          try {
            type = avroType(parsed);
          } catch (err) {
            throw new FloeError('DECODE_FAILED', `schema id ${id}: not a usable Avro schema: ${(err as Error).message}`, { cause: err });
          }
          return {
            decode: (payload: Uint8Array) => {
              const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
              const r = type.decode(buf, 0);
              if (r.offset !== buf.length) throw new Error(r.offset < 0 ? 'truncated Avro value' : `${buf.length - r.offset} trailing bytes after the Avro value`);
              return r.value;
            },
            iceberg: () => avroToIceberg(parsed),
          };
        }
        return { decode: (payload: Uint8Array) => JSON.parse(Buffer.from(payload).toString('utf8')), iceberg: () => jsonSchemaToIceberg(parsed) };
      })();
      this.writers.set(id, w);
      w.then(
        (x) => this.ready.set(id, x),
        () => this.writers.delete(id),
      );
    }
    return w;
  }

  /**
   * Decodes synchronously when the writer schema is already known; returns undefined when it
   * must first be fetched (then call `decode`). Throws DECODE_FAILED for a bad record.
   */
  decodeCached(value: Uint8Array | null, where: () => string): DecodedRecord | undefined {
    if (this.format === 'json') return this.decodeJson(value, where());
    if (value !== null && value.length >= 5 && value[0] === 0) {
      const id = ((value[1] as number) << 24) | ((value[2] as number) << 16) | ((value[3] as number) << 8) | (value[4] as number);
      const w = this.ready.get(id);
      if (!w) return undefined;
      try {
        return { schemaId: id, value: w.decode(value.subarray(5)) };
      } catch (err) {
        throw new FloeError('DECODE_FAILED', `${where()}: ${this.format} value does not decode with schema id ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    parseWire(value, where()); // throws the precise framing error
    return undefined;
  }

  private decodeJson(value: Uint8Array | null, where: string): DecodedRecord {
    if (value === null) throw new FloeError('DECODE_FAILED', `${where}: the record has no value`);
    try {
      return { schemaId: 0, value: JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')) };
    } catch (err) {
      throw new FloeError('DECODE_FAILED', `${where}: not JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Decodes a record value. Record faults (bad framing, unknown schema id, bytes that do not
   * parse) throw DECODE_FAILED; a registry outage throws a retryable REGISTRY_ERROR.
   */
  async decode(value: Uint8Array | null, where: string): Promise<DecodedRecord> {
    if (this.format === 'json') return this.decodeJson(value, where);
    const { schemaId, payload } = parseWire(value, where);
    const w = await this.writer(schemaId);
    try {
      return { schemaId, value: w.decode(payload) };
    } catch (err) {
      throw new FloeError('DECODE_FAILED', `${where}: ${this.format} value does not decode with schema id ${schemaId}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The Iceberg schema for a new table, from a writer schema (or the declared one). */
  async tableSchema(schemaId: number): Promise<Schema> {
    if (this.declared) return this.declared;
    return (await this.writer(schemaId)).iceberg();
  }
}
