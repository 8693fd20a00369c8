/**
 * Iceberg schema -> Arrow schema, with the Iceberg field id of every field (nested ones, list
 * elements and map keys and values included) in the field metadata `PARQUET:field_id`, which the
 * Parquet writer turns into the Parquet field_id that Trino and Spark resolve columns by.
 */
import * as arrow from 'apache-arrow';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, Schema } from '../spec/types.js';

export const FIELD_ID_KEY = 'PARQUET:field_id';

const idMeta = (id: number) => new Map([[FIELD_ID_KEY, String(id)]]);

export function arrowType(t: IcebergType): arrow.DataType {
  switch (t.type) {
    case 'boolean':
      return new arrow.Bool();
    case 'int':
      return new arrow.Int32();
    case 'long':
      return new arrow.Int64();
    case 'float':
      return new arrow.Float32();
    case 'double':
      return new arrow.Float64();
    case 'decimal':
      return new arrow.Decimal(t.scale, t.precision, 128);
    case 'date':
      return new arrow.DateDay();
    case 'time':
      return new arrow.TimeMicrosecond();
    case 'timestamp':
      return new arrow.TimestampMicrosecond();
    case 'timestamptz':
      return new arrow.TimestampMicrosecond('UTC');
    case 'timestamp_ns':
      return new arrow.TimestampNanosecond();
    case 'timestamptz_ns':
      return new arrow.TimestampNanosecond('UTC');
    case 'string':
      return new arrow.Utf8();
    case 'uuid':
      return new arrow.FixedSizeBinary(16);
    case 'fixed':
      return new arrow.FixedSizeBinary(t.length);
    case 'binary':
      return new arrow.Binary();
    case 'struct':
      return new arrow.Struct(t.fields.map(arrowField));
    case 'list':
      return new arrow.List(new arrow.Field('element', arrowType(t.element), !t.elementRequired, idMeta(t.elementId)));
    case 'map': {
      const entries = new arrow.Struct([
        new arrow.Field('key', arrowType(t.key), false, idMeta(t.keyId)),
        new arrow.Field('value', arrowType(t.value), !t.valueRequired, idMeta(t.valueId)),
      ]);
      return new arrow.Map_(new arrow.Field('key_value', entries, false));
    }
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `Iceberg type '${t.type}' cannot be written to Parquet yet`);
  }
}

export function arrowField(f: NestedField): arrow.Field {
  return new arrow.Field(f.name, arrowType(f.type), !f.required, idMeta(f.id));
}

export function arrowSchema(schema: Pick<Schema, 'fields'>): arrow.Schema {
  return new arrow.Schema(schema.fields.map(arrowField));
}
