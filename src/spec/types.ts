/**
 * Iceberg types as plain data (spec: "Schemas and Data Types").
 *
 * In-memory value representation used everywhere in Floe (decoders produce it, Arrow builders,
 * partition transforms and metrics consume it):
 *   boolean                 -> boolean
 *   int, date               -> number            (date: days since 1970-01-01)
 *   long                    -> bigint
 *   float, double           -> number            (NaN and ±Infinity allowed)
 *   decimal(p,s)            -> bigint            (the unscaled value)
 *   time                    -> bigint            (microseconds since midnight)
 *   timestamp, timestamptz  -> bigint            (microseconds since epoch, UTC)
 *   timestamp_ns(tz)        -> bigint            (nanoseconds since epoch, UTC)
 *   string                  -> string
 *   uuid                    -> string            (canonical lower-case 8-4-4-4-12 form)
 *   fixed[n], binary        -> Uint8Array
 *   struct                  -> { [fieldName]: Value }
 *   list                    -> Value[]
 *   map                     -> Array<[key, value]> (keys never null)
 *   absent                  -> null (undefined is read as null)
 */

export type SimplePrimitive =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'
  | 'unknown';

export type PrimitiveType =
  | { readonly type: SimplePrimitive }
  | { readonly type: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly type: 'fixed'; readonly length: number };

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
  readonly initialDefault?: unknown;
  readonly writeDefault?: unknown;
}

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly NestedField[];
}

export interface ListType {
  readonly type: 'list';
  readonly elementId: number;
  readonly elementRequired: boolean;
  readonly element: IcebergType;
}

export interface MapType {
  readonly type: 'map';
  readonly keyId: number;
  readonly key: IcebergType;
  readonly valueId: number;
  readonly valueRequired: boolean;
  readonly value: IcebergType;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema {
  readonly schemaId: number;
  readonly fields: readonly NestedField[];
  readonly identifierFieldIds?: readonly number[];
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | Array<[Value, Value]>
  | { [name: string]: Value };

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return t.type !== 'struct' && t.type !== 'list' && t.type !== 'map';
}

export function isNested(t: IcebergType): t is StructType | ListType | MapType {
  return !isPrimitive(t);
}
