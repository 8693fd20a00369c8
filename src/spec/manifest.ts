/**
 * Manifests and manifest lists (spec: "Manifests", "Manifest Lists") as plain data, and their
 * Avro schemas as JSON objects with the spec's field ids (`field-id`), int-keyed maps as arrays
 * of key/value records tagged `logicalType: map`, and the key-value metadata writers attach.
 * Encoding with avsc lives in src/iceberg/; this module does no I/O.
 */
import { stringifyJson } from './json.js';
import { specToJson, type PartitionSpec } from './partition.js';
import { schemaToJson } from './schema.js';
import type { DataFile } from './data-file.js';
import type { NestedField, PrimitiveType, Schema, Value } from './types.js';
import { comparatorFor, serializeValue } from './values.js';

export type { DataFile, FileContent } from './data-file.js';

/** Manifest entry status. */
export const EXISTING = 0;
export const ADDED = 1;
export const DELETED = 2;
export type EntryStatus = typeof EXISTING | typeof ADDED | typeof DELETED;

export interface ManifestEntry {
  readonly status: EntryStatus;
  /** Null on added entries of a new manifest: inherited from the manifest list. */
  readonly snapshotId?: bigint;
  readonly sequenceNumber?: number;
  readonly fileSequenceNumber?: number;
  readonly dataFile: DataFile;
}

/** 0 = data, 1 = deletes. */
export type ManifestContent = 0 | 1;

export interface PartitionFieldSummary {
  readonly containsNull: boolean;
  readonly containsNan?: boolean;
  readonly lowerBound?: Uint8Array;
  readonly upperBound?: Uint8Array;
}

/** A manifest list entry (`manifest_file`). */
export interface ManifestFile {
  readonly manifestPath: string;
  readonly manifestLength: number;
  readonly partitionSpecId: number;
  readonly content: ManifestContent;
  readonly sequenceNumber: number;
  readonly minSequenceNumber: number;
  readonly addedSnapshotId: bigint;
  readonly addedFilesCount: number;
  readonly existingFilesCount: number;
  readonly deletedFilesCount: number;
  readonly addedRowsCount: number;
  readonly existingRowsCount: number;
  readonly deletedRowsCount: number;
  readonly partitions?: readonly PartitionFieldSummary[];
  readonly keyMetadata?: Uint8Array;
  /** v3 row lineage. */
  readonly firstRowId?: bigint;
}

/**
 * Sequence number inheritance (spec "Sequence Number Inheritance"): an entry with no snapshot
 * id or sequence numbers takes the manifest's; an added entry of a v1 manifest takes it too.
 */
export function inheritFromManifest(e: ManifestEntry, m: Pick<ManifestFile, 'addedSnapshotId' | 'sequenceNumber'>): ManifestEntry {
  const added = e.status === ADDED;
  return {
    ...e,
    snapshotId: e.snapshotId ?? m.addedSnapshotId,
    ...(e.sequenceNumber === undefined && added ? { sequenceNumber: m.sequenceNumber } : {}),
    ...(e.fileSequenceNumber === undefined && added ? { fileSequenceNumber: m.sequenceNumber } : {}),
  };
}

export type AvroSchema = string | { [k: string]: unknown } | AvroSchema[];

const opt = (type: AvroSchema, name: string, id: number) => ({ name, type: ['null', type], default: null, 'field-id': id });
const req = (type: AvroSchema, name: string, id: number) => ({ name, type, 'field-id': id });

const intMap = (valueType: AvroSchema, keyId: number, valueId: number) => ({
  type: 'array',
  logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [req('int', 'key', keyId), req(valueType, 'value', valueId)] },
});

const DECIMAL_BYTES: readonly number[] = (() => {
  const out = [0];
  for (let p = 1; p <= 38; p++) {
    let b = 1;
    while (2n ** BigInt(8 * b - 1) < 10n ** BigInt(p)) b++;
    out.push(b);
  }
  return out;
})();

/** Bytes of the fixed that holds any unscaled value of a precision (Java's decimalRequiredBytes). */
export function decimalRequiredBytes(precision: number): number {
  return DECIMAL_BYTES[precision] ?? Math.ceil((Math.log2(10) * precision + 1) / 8);
}

/**
 * An Avro name for a partition field, as Java's AvroSchemaUtil.makeCompatibleName: a leading
 * digit gets `_`, other characters outside [A-Za-z0-9_] become `_x` + hex code. Readers match
 * partition fields by field id, so the original name is only informative.
 */
export function avroName(name: string): string {
  let out = '';
  let i = 0;
  for (const ch of name) {
    if (/[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch))) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${(ch.codePointAt(0) as number).toString(16).toUpperCase()}`;
    i++;
  }
  return out || '_';
}

/** The Avro type of a partition value. Named types get a per-field name: avsc refuses a name defined twice. */
export function avroPrimitive(t: PrimitiveType, fieldId: number): AvroSchema {
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
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': t.type === 'timestamptz' };
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': t.type === 'timestamptz_ns' };
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
    case 'fixed':
      return { type: 'fixed', name: `fixed_${t.length}_${fieldId}`, size: t.length };
    case 'decimal':
      return { type: 'fixed', name: `decimal_${t.precision}_${t.scale}_${fieldId}`, size: decimalRequiredBytes(t.precision), logicalType: 'decimal', precision: t.precision, scale: t.scale };
    case 'binary':
    case 'unknown':
      return 'bytes';
  }
}

/** The `partition` struct (id 102) of a manifest, from the partition type. */
export function partitionAvroSchema(partitionType: readonly NestedField[]): AvroSchema {
  return {
    type: 'record',
    name: 'r102',
    fields: partitionType.map((f) => {
      const name = avroName(f.name);
      return { ...opt(avroPrimitive(f.type as PrimitiveType, f.id), name, f.id), ...(name === f.name ? {} : { 'iceberg-field-name': f.name }) };
    }),
  };
}

/** The `manifest_entry` schema of a data or delete manifest (v2; v3 adds row lineage and deletion-vector fields). */
export function manifestEntrySchema(partitionType: readonly NestedField[], formatVersion = 2): AvroSchema {
  const dataFile = [
    req('int', 'content', 134),
    req('string', 'file_path', 100),
    req('string', 'file_format', 101),
    req(partitionAvroSchema(partitionType), 'partition', 102),
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
  ];
  if (formatVersion >= 3) {
    dataFile.push(opt('long', 'first_row_id', 142), opt('string', 'referenced_data_file', 143), opt('long', 'content_offset', 144), opt('long', 'content_size_in_bytes', 145));
  }
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('int', 'status', 0),
      opt('long', 'snapshot_id', 1),
      opt('long', 'sequence_number', 3),
      opt('long', 'file_sequence_number', 4),
      req({ type: 'record', name: 'r2', fields: dataFile }, 'data_file', 2),
    ],
  };
}

/** The `manifest_file` schema of a manifest list (v2; v3 adds first_row_id). */
export function manifestListSchema(formatVersion = 2): AvroSchema {
  const fields = [
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
  ];
  if (formatVersion >= 3) fields.push(opt('long', 'first_row_id', 520));
  return { type: 'record', name: 'manifest_file', fields };
}

/** The key-value metadata of a manifest file (spec: "Manifests"). */
export function manifestMetadata(schema: Schema, spec: PartitionSpec, formatVersion: number, content: 'data' | 'deletes' = 'data'): Record<string, string> {
  return {
    schema: stringifyJson(schemaToJson(schema)),
    'schema-id': String(schema.schemaId),
    'partition-spec': stringifyJson(specToJson(spec).fields),
    'partition-spec-id': String(spec.specId),
    'format-version': String(formatVersion),
    content,
  };
}

/** The key-value metadata of a manifest list. */
export function manifestListMetadata(m: { snapshotId: bigint; parentSnapshotId?: bigint; sequenceNumber: number; formatVersion: number; firstRowId?: bigint }): Record<string, string> {
  return {
    'snapshot-id': m.snapshotId.toString(),
    'parent-snapshot-id': m.parentSnapshotId === undefined ? 'null' : m.parentSnapshotId.toString(),
    'sequence-number': String(m.sequenceNumber),
    'format-version': String(m.formatVersion),
    ...(m.formatVersion >= 3 && m.firstRowId !== undefined ? { 'first-row-id': m.firstRowId.toString() } : {}),
  };
}

/**
 * The manifest list's `partitions` summaries of a manifest: per partition field, whether any
 * file has null or NaN, and the serialized bounds of the other values (spec "Manifest Lists").
 */
export function partitionFieldSummaries(partitionType: readonly NestedField[], files: readonly Pick<DataFile, 'partition'>[]): PartitionFieldSummary[] {
  return partitionType.map((f, i) => {
    const t = f.type as PrimitiveType;
    const cmp = comparatorFor(t);
    let containsNull = false;
    let containsNan = false;
    let lo: Value = null;
    let hi: Value = null;
    for (const file of files) {
      const v = file.partition[i] ?? null;
      if (v === null) containsNull = true;
      else if (typeof v === 'number' && Number.isNaN(v)) containsNan = true;
      else {
        if (lo === null || cmp(v, lo) < 0) lo = v;
        if (hi === null || cmp(v, hi) > 0) hi = v;
      }
    }
    return {
      containsNull,
      containsNan,
      ...(lo === null ? {} : { lowerBound: serializeValue(t, lo) }),
      ...(hi === null ? {} : { upperBound: serializeValue(t, hi) }),
    };
  });
}
