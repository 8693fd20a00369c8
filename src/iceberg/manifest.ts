/**
 * Manifests and manifest lists, format v2, with the spec's Avro schemas (field ids as `field-id`,
 * maps as arrays of key/value records) and metadata keys.
 */
import { FloeError } from '../errors.js';
import type { DataFile } from '../spec/data-file.js';
import { stringifyJson } from '../spec/json.js';
import { specToJson, type PartitionSpec } from '../spec/partition.js';
import { schemaToJson } from '../spec/schema.js';
import type { NestedField, PrimitiveType, Schema, Value } from '../spec/types.js';
import { uuidToBytes, bytesToUuid } from '../spec/values.js';
import { readAvroFile, writeAvroFile } from './avro.js';

type AvroSchema = string | Record<string, unknown> | Array<string | Record<string, unknown>>;

const opt = (type: AvroSchema, name: string, id: number, doc?: string) => ({ name, type: ['null', type], default: null, 'field-id': id, ...(doc ? { doc } : {}) });
const req = (type: AvroSchema, name: string, id: number) => ({ name, type, 'field-id': id });

const intMap = (valueType: AvroSchema, keyId: number, valueId: number) => ({
  type: 'array',
  logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [req('int', 'key', keyId), req(valueType, 'value', valueId)] },
});

/** Bytes needed for an unscaled decimal of a precision (spec: minimum bytes for fixed). */
export function decimalBytes(precision: number): number {
  return Math.ceil((Math.log2(10) * precision + 1) / 8);
}

function avroPrimitive(t: PrimitiveType, name: string): AvroSchema {
  switch (t.type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return t.type;
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: `uuid_${name}`, size: 16, logicalType: 'uuid' };
    case 'fixed':
      return { type: 'fixed', name: `fixed_${name}`, size: t.length };
    case 'binary':
      return 'bytes';
    case 'decimal':
      return { type: 'fixed', name: `decimal_${name}`, size: decimalBytes(t.precision), logicalType: 'decimal', precision: t.precision, scale: t.scale };
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `partition values of type ${t.type} are not supported`);
  }
}

/**
 * A partition field name as an Avro name, the way Java's AvroSchemaUtil makes it: a leading
 * digit gets `_`, any other character outside [A-Za-z0-9_] becomes `_x` + its hex code.
 * Readers resolve partition fields by field id, so the original name is only informative.
 */
export function avroName(name: string): string {
  let out = '';
  for (const [i, ch] of [...name].entries()) {
    if (/[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch))) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${(ch.codePointAt(0) as number).toString(16).toUpperCase()}`;
  }
  return out || '_';
}

function partitionAvro(partType: readonly NestedField[]) {
  return {
    type: 'record',
    name: 'r102',
    fields: partType.map((f) => {
      const name = avroName(f.name);
      return { ...opt(avroPrimitive(f.type as PrimitiveType, `r102_${f.id}`), name, f.id), ...(name === f.name ? {} : { 'iceberg-field-name': f.name }) };
    }),
  };
}

export function manifestEntrySchema(partType: readonly NestedField[]) {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('int', 'status', 0),
      opt('long', 'snapshot_id', 1),
      opt('long', 'sequence_number', 3),
      opt('long', 'file_sequence_number', 4),
      req(
        {
          type: 'record',
          name: 'r2',
          fields: [
            { ...req('int', 'content', 134), doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes' },
            req('string', 'file_path', 100),
            req('string', 'file_format', 101),
            req(partitionAvro(partType), 'partition', 102),
            req('long', 'record_count', 103),
            req('long', 'file_size_in_bytes', 104),
            opt(intMap('long', 117, 118), 'column_sizes', 108),
            opt(intMap('long', 119, 120), 'value_counts', 109),
            opt(intMap('long', 121, 122), 'null_value_counts', 110),
            opt(intMap('long', 138, 139), 'nan_value_counts', 137),
            opt(intMap('bytes', 126, 127), 'lower_bounds', 125),
            opt(intMap('bytes', 129, 130), 'upper_bounds', 128),
            opt('bytes', 'key_metadata', 131),
            opt({ type: 'array', items: 'long', 'element-id': 133 }, 'split_offsets', 132),
            opt({ type: 'array', items: 'int', 'element-id': 136 }, 'equality_ids', 135),
            opt('int', 'sort_order_id', 140),
          ],
        },
        'data_file',
        2,
      ),
    ],
  };
}

export const MANIFEST_LIST_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('string', 'manifest_path', 500),
    req('long', 'manifest_length', 501),
    req('int', 'partition_spec_id', 502),
    req('int', 'content', 517),
    req('long', 'sequence_number', 515),
    req('long', 'min_sequence_number', 516),
    req('long', 'added_snapshot_id', 503),
    req('int', 'added_files_count', 504),
    req('int', 'existing_files_count', 505),
    req('int', 'deleted_files_count', 506),
    req('long', 'added_rows_count', 512),
    req('long', 'existing_rows_count', 513),
    req('long', 'deleted_rows_count', 514),
    opt(
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [req('boolean', 'contains_null', 509), opt('boolean', 'contains_nan', 518), opt('bytes', 'lower_bound', 510), opt('bytes', 'upper_bound', 511)],
        },
      },
      'partitions',
      507,
    ),
    opt('bytes', 'key_metadata', 519),
  ],
};

/** A manifest list entry as avsc reads and writes it (longs are bigint). */
export interface ManifestFile {
  manifest_path: string;
  manifest_length: bigint;
  partition_spec_id: number;
  content: number;
  sequence_number: bigint;
  min_sequence_number: bigint;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: bigint;
  existing_rows_count: bigint;
  deleted_rows_count: bigint;
  partitions: Array<{ contains_null: boolean; contains_nan: boolean | null; lower_bound: Buffer | null; upper_bound: Buffer | null }> | null;
  key_metadata: Buffer | null;
}

function toAvroPartitionValue(t: PrimitiveType, v: Value): unknown {
  if (v === null || v === undefined) return null;
  switch (t.type) {
    case 'uuid':
      return Buffer.from(typeof v === 'string' ? uuidToBytes(v) : (v as Uint8Array));
    case 'fixed':
    case 'binary':
      return Buffer.from(v as Uint8Array);
    case 'decimal': {
      const n = decimalBytes(t.precision);
      const out = Buffer.alloc(n);
      let x = v as bigint;
      for (let i = n - 1; i >= 0; i--) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      return out;
    }
    default:
      return v;
  }
}

function fromAvroPartitionValue(t: PrimitiveType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (t.type) {
    case 'uuid':
      return bytesToUuid(v as Buffer);
    case 'fixed':
    case 'binary':
      return Uint8Array.from(v as Buffer);
    case 'decimal': {
      const b = v as Buffer;
      let x = 0n;
      for (const byte of b) x = (x << 8n) | BigInt(byte);
      if (b.length > 0 && ((b[0] as number) & 0x80) !== 0) x -= 1n << BigInt(b.length * 8);
      return x;
    }
    default:
      return v as Value;
  }
}

const mapEntries = <V>(m: ReadonlyMap<number, V>, f: (v: V) => unknown) => (m.size === 0 ? null : [...m].map(([key, value]) => ({ key, value: f(value) })));

export interface ManifestEntryInput {
  status: 0 | 1 | 2; // existing, added, deleted
  snapshotId: bigint | null;
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  file: DataFile;
}

export function dataFileRecord(file: DataFile, partType: readonly NestedField[]): Record<string, unknown> {
  const partition: Record<string, unknown> = {};
  partType.forEach((f, i) => (partition[avroName(f.name)] = toAvroPartitionValue(f.type as PrimitiveType, file.partition[i] ?? null)));
  return {
    content: file.content,
    file_path: file.filePath,
    file_format: file.fileFormat,
    partition,
    record_count: BigInt(file.recordCount),
    file_size_in_bytes: BigInt(file.fileSizeInBytes),
    column_sizes: mapEntries(file.columnSizes, BigInt),
    value_counts: mapEntries(file.valueCounts, BigInt),
    null_value_counts: mapEntries(file.nullValueCounts, BigInt),
    nan_value_counts: mapEntries(file.nanValueCounts, BigInt),
    lower_bounds: mapEntries(file.lowerBounds, (b) => Buffer.from(b)),
    upper_bounds: mapEntries(file.upperBounds, (b) => Buffer.from(b)),
    key_metadata: null,
    split_offsets: file.splitOffsets.length ? file.splitOffsets.map(BigInt) : null,
    equality_ids: file.equalityIds ? [...file.equalityIds] : null,
    sort_order_id: file.sortOrderId ?? null,
  };
}

export interface ManifestWriteInput {
  schema: Schema;
  spec: PartitionSpec;
  partitionType: readonly NestedField[];
  formatVersion: number;
  entries: readonly ManifestEntryInput[];
}

/** The bytes of a data manifest. */
export function encodeManifest(input: ManifestWriteInput): Buffer {
  const records = input.entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: dataFileRecord(e.file, input.partitionType),
  }));
  return writeAvroFile(manifestEntrySchema(input.partitionType), records, {
    metadata: {
      schema: stringifyJson(schemaToJson(input.schema)),
      'schema-id': String(input.schema.schemaId),
      'partition-spec': stringifyJson(specToJson(input.spec).fields),
      'partition-spec-id': String(input.spec.specId),
      'format-version': String(input.formatVersion),
      content: 'data',
    },
  });
}

export interface ManifestEntryRead {
  status: number;
  snapshotId: bigint | null;
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  file: DataFile;
}

const toNumMap = (a: unknown) => new Map(((a as Array<{ key: number; value: bigint }>) ?? []).map((e) => [e.key, Number(e.value)]));
const toBytesMap = (a: unknown) => new Map(((a as Array<{ key: number; value: Buffer }>) ?? []).map((e) => [e.key, Uint8Array.from(e.value)]));

interface AvroField {
  name: string;
  type: unknown;
  'field-id'?: number;
}

/** Partition field id → Avro field name, from the file's own schema (other writers name them their way). */
function partitionNames(schema: object): Map<number, string> {
  const fields = (schema as { fields?: AvroField[] }).fields ?? [];
  const dataFile = fields.find((f) => f['field-id'] === 2)?.type as { fields?: AvroField[] } | undefined;
  const partition = dataFile?.fields?.find((f) => f['field-id'] === 102)?.type as { fields?: AvroField[] } | undefined;
  return new Map((partition?.fields ?? []).map((f) => [f['field-id'] as number, f.name]));
}

/** Reads a data manifest; partition values are matched to `partitionType` by field id. */
export function decodeManifest(bytes: Uint8Array, partitionType: readonly NestedField[]): ManifestEntryRead[] {
  const { records, schema } = readAvroFile<Record<string, unknown>>(bytes);
  const names = partitionNames(schema);
  return records.map((r) => {
    const d = r.data_file as Record<string, unknown>;
    const part = (d.partition as Record<string, unknown>) ?? {};
    return {
      status: r.status as number,
      snapshotId: (r.snapshot_id as bigint | null) ?? null,
      sequenceNumber: (r.sequence_number as bigint | null) ?? null,
      fileSequenceNumber: (r.file_sequence_number as bigint | null) ?? null,
      file: {
        content: (d.content as 0 | 1 | 2) ?? 0,
        filePath: d.file_path as string,
        fileFormat: d.file_format as 'PARQUET',
        partition: partitionType.map((f) => fromAvroPartitionValue(f.type as PrimitiveType, part[names.get(f.id) ?? avroName(f.name)])),
        recordCount: Number(d.record_count),
        fileSizeInBytes: Number(d.file_size_in_bytes),
        columnSizes: toNumMap(d.column_sizes),
        valueCounts: toNumMap(d.value_counts),
        nullValueCounts: toNumMap(d.null_value_counts),
        nanValueCounts: toNumMap(d.nan_value_counts),
        lowerBounds: toBytesMap(d.lower_bounds),
        upperBounds: toBytesMap(d.upper_bounds),
        splitOffsets: ((d.split_offsets as bigint[] | null) ?? []).map(Number),
        ...(d.sort_order_id === null || d.sort_order_id === undefined ? {} : { sortOrderId: d.sort_order_id as number }),
        ...(d.equality_ids ? { equalityIds: d.equality_ids as number[] } : {}),
      },
    };
  });
}

export function encodeManifestList(manifests: readonly ManifestFile[], meta: { snapshotId: bigint; parentSnapshotId?: bigint; sequenceNumber: bigint; formatVersion: number }): Buffer {
  return writeAvroFile(MANIFEST_LIST_SCHEMA, manifests, {
    metadata: {
      'snapshot-id': meta.snapshotId.toString(),
      'parent-snapshot-id': meta.parentSnapshotId === undefined ? 'null' : meta.parentSnapshotId.toString(),
      'sequence-number': meta.sequenceNumber.toString(),
      'format-version': String(meta.formatVersion),
    },
  });
}

export function decodeManifestList(bytes: Uint8Array): ManifestFile[] {
  const { records } = readAvroFile<Record<string, unknown>>(bytes);
  // v1 manifest lists lack v2 columns: fill them as the spec's inheritance rules say.
  return records.map((r) => ({
    manifest_path: r.manifest_path as string,
    manifest_length: r.manifest_length as bigint,
    partition_spec_id: r.partition_spec_id as number,
    content: (r.content as number | undefined) ?? 0,
    sequence_number: (r.sequence_number as bigint | undefined) ?? 0n,
    min_sequence_number: (r.min_sequence_number as bigint | undefined) ?? 0n,
    added_snapshot_id: r.added_snapshot_id as bigint,
    added_files_count: (r.added_files_count ?? r.added_data_files_count ?? 0) as number,
    existing_files_count: (r.existing_files_count ?? r.existing_data_files_count ?? 0) as number,
    deleted_files_count: (r.deleted_files_count ?? r.deleted_data_files_count ?? 0) as number,
    added_rows_count: (r.added_rows_count as bigint | undefined) ?? 0n,
    existing_rows_count: (r.existing_rows_count as bigint | undefined) ?? 0n,
    deleted_rows_count: (r.deleted_rows_count as bigint | undefined) ?? 0n,
    partitions: (r.partitions as ManifestFile['partitions']) ?? null,
    key_metadata: (r.key_metadata as Buffer | null | undefined) ?? null,
  }));
}
