/**
 * Decoding of one mapping's record values: Avro or JSON Schema in the registry's wire format,
 * or plain JSON. Each writer schema is fetched once by id and compiled once (avsc's generated
 * reader); converters to a table's schema are compiled once per (schema id, table schema).
 */
import type avro from 'avsc';
import { FloeError } from '../errors.js';
import type { NestedField, Schema } from '../spec/types.js';
import { avroType } from './avro.js';
import { avroToIceberg } from './avro-schema.js';
import { compileConverter, type Row, type WriterSchema } from './convert.js';
import { jsonSchemaToIceberg } from './json-schema.js';
import type { SchemaSource } from './registry.js';
import { parseWire, schemaIdOf } from './wire.js';

export { declaredSchema, jsonSchemaToIceberg } from './json-schema.js';
export type { DeclaredColumn } from '../config/columns.js';

export type Format = 'avro' | 'json-schema' | 'json';

export interface DecodedRecord {
  /** The writer schema id (0 for plain JSON). */
  schemaId: number;
  value: unknown;
}

interface Writer {
  decode(payload: Uint8Array): unknown;
  /** The writer schema as Iceberg fields, for auto-create and converters; undefined if it has no Iceberg form. */
  iceberg(): Schema;
  readonly trusted: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function avroWriter(id: number, parsed: unknown, referenced: unknown[]): Writer {
  let type: avro.Type;
  try {
    type = avroType(parsed, referenced);
  } catch (err) {
    throw new FloeError('DECODE_FAILED', `schema id ${id} is not a usable Avro schema: ${(err as Error).message}`, { cause: err, details: { schemaId: id, permanent: true } });
  }
  let iceberg: Schema | undefined;
  return {
    trusted: true,
    decode: (payload) => {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      let r: { value: unknown; offset: number };
      try {
        r = type.decode(buf, 0);
      } catch (err) {
        throw new Error(`the value is corrupt (${(err as Error).message})`);
      }
      if (r.offset < 0) throw new Error('the value is truncated');
      if (r.offset !== buf.length) throw new Error(`${buf.length - r.offset} bytes are left after the Avro value`);
      return r.value;
    },
    iceberg: () => (iceberg ??= avroToIceberg(parsed, referenced)),
  };
}

function jsonWriter(parsed: unknown): Writer {
  let iceberg: Schema | undefined;
  return {
    trusted: false,
    decode: (payload) => JSON.parse(utf8.decode(payload)) as unknown,
    iceberg: () => (iceberg ??= jsonSchemaToIceberg(parsed)),
  };
}

export class Decoder {
  private readonly pending = new Map<number, Promise<Writer>>();
  /** Writers already resolved, for the synchronous path (every record but a schema's first). */
  private readonly ready = new Map<number, Writer>();
  /** Schemas that can never decode (ids are immutable), so their records fail at once. */
  private readonly broken = new Map<number, FloeError>();
  private readonly converters = new WeakMap<readonly NestedField[], Map<number, (v: unknown) => Row>>();

  constructor(
    readonly format: Format,
    private readonly registry: SchemaSource | undefined,
    private readonly declared?: Schema,
  ) {
    if (format !== 'json' && !registry) throw new FloeError('CONFIG_INVALID', `format '${format}' needs a schema registry: set registry.url`);
  }

  private resolve(id: number): Promise<Writer> {
    const known = this.broken.get(id);
    if (known) return Promise.reject(known);
    let p = this.pending.get(id);
    if (!p) {
      p = (this.registry as SchemaSource).schemaById(id).then((reg) => {
        const want = this.format === 'avro' ? 'AVRO' : 'JSON';
        if (reg.schemaType !== want) throw new FloeError('DECODE_FAILED', `schema id ${id} is a ${reg.schemaType} schema, but the mapping's format is ${this.format}`, { details: { schemaId: id, permanent: true } });
        let parsed: unknown;
        let refs: unknown[];
        try {
          parsed = JSON.parse(reg.schema);
          refs = reg.referenced.map((r) => JSON.parse(r) as unknown);
        } catch (err) {
          throw new FloeError('DECODE_FAILED', `schema id ${id} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { schemaId: id, permanent: true } });
        }
        return this.format === 'avro' ? avroWriter(id, parsed, refs) : jsonWriter(parsed);
      });
      this.pending.set(id, p);
      p.then(
        (w) => this.ready.set(id, w),
        (err: unknown) => {
          this.pending.delete(id);
          // A schema that cannot be used stays unusable; a missing id or an outage may change.
          if (err instanceof FloeError && err.details?.permanent) this.broken.set(id, err);
        },
      );
    }
    return p;
  }

  private fail(where: string, id: number, err: unknown): FloeError {
    return new FloeError('DECODE_FAILED', `${where}: the ${this.format} value does not decode with schema id ${id}: ${(err as Error).message}`, { cause: err, details: { schemaId: id } });
  }

  private decodeJson(value: Uint8Array | null, where: string): DecodedRecord {
    if (value === null) throw new FloeError('DECODE_FAILED', `${where}: the record has no value (a tombstone); nothing to decode`);
    // JSON text never starts with a zero byte: a framed JSON Schema record is read as plain JSON too.
    const body = value.length >= 5 && value[0] === 0 ? value.subarray(5) : value;
    try {
      return { schemaId: 0, value: JSON.parse(utf8.decode(body)) as unknown };
    } catch (err) {
      throw new FloeError('DECODE_FAILED', `${where}: the value is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Decodes synchronously when the writer schema is already known; returns undefined when it
   * must first be fetched (then call `decode`). Throws DECODE_FAILED for a bad record.
   */
  decodeCached(value: Uint8Array | null, where: () => string): DecodedRecord | undefined {
    if (this.format === 'json') return this.decodeJson(value, where());
    const id = schemaIdOf(value);
    if (id < 0) parseWire(value, where()); // throws the precise framing error
    const w = this.ready.get(id);
    if (!w) {
      const known = this.broken.get(id);
      if (known) throw new FloeError('DECODE_FAILED', `${where()}: ${known.message}`, { cause: known, details: { schemaId: id } });
      return undefined;
    }
    try {
      return { schemaId: id, value: w.decode((value as Uint8Array).subarray(5)) };
    } catch (err) {
      throw this.fail(where(), id, err);
    }
  }

  /**
   * Decodes a record value. Record faults (bad framing, unknown schema id, bytes that do not
   * parse) throw DECODE_FAILED; a registry outage throws a retryable REGISTRY_ERROR.
   */
  async decode(value: Uint8Array | null, where: string): Promise<DecodedRecord> {
    if (this.format === 'json') return this.decodeJson(value, where);
    const { schemaId, payload } = parseWire(value, where);
    let w: Writer;
    try {
      w = await this.resolve(schemaId);
    } catch (err) {
      if (err instanceof FloeError && !err.retryable) throw new FloeError(err.code, `${where}: ${err.message}`, { cause: err, details: { ...err.details, schemaId } });
      throw err;
    }
    try {
      return { schemaId, value: w.decode(payload) };
    } catch (err) {
      throw this.fail(where, schemaId, err);
    }
  }

  /** The Iceberg schema for a new table: the declared one, else the writer schema's. */
  async tableSchema(schemaId: number): Promise<Schema> {
    if (this.declared) return this.declared;
    if (this.format === 'json') throw new FloeError('SCHEMA_INVALID', "format 'json' needs a declared schema to create a table");
    return (await this.resolve(schemaId)).iceberg();
  }

  /**
   * The converter from values of this writer schema to rows of the table's fields, compiled on
   * first use and kept while the fields array lives. Call after the id has decoded once.
   */
  converter(schemaId: number, tableFields: readonly NestedField[]): (decoded: unknown) => Row {
    let perTable = this.converters.get(tableFields);
    if (!perTable) this.converters.set(tableFields, (perTable = new Map()));
    let c = perTable.get(schemaId);
    if (!c) {
      c = compileConverter(tableFields, this.writerSchema(schemaId));
      perTable.set(schemaId, c);
    }
    return c;
  }

  /** The writer schema as Iceberg fields, when its id has been resolved and it has an Iceberg form. */
  writerSchema(schemaId: number): WriterSchema | undefined {
    const w = this.ready.get(schemaId);
    if (!w) return undefined;
    try {
      return { fields: w.iceberg().fields, trusted: w.trusted };
    } catch {
      // No Iceberg form (e.g. a multi-branch union): convert from the values instead.
      return undefined;
    }
  }
}
