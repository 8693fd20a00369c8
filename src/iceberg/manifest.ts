/**
 * Manifests and manifest lists, format v2, written and read with avsc: the Avro schemas (field
 * ids as `field-id`, maps as arrays of key/value records) and metadata keys are the spec's, from
 * src/spec/manifest.ts; this file maps Floe's data files to and from avsc's records.
 */
import type { DataFile } from '../spec/data-file.js';
import { avroName, decimalRequiredBytes, manifestEntrySchema, manifestListMetadata, manifestListSchema, manifestMetadata } from '../spec/manifest.js';
import type { PartitionSpec } from '../spec/partition.js';
import type { NestedField, PrimitiveType, Schema, Value } from '../spec/types.js';
import { uuidToBytes, bytesToUuid } from '../spec/values.js';
import type avro from 'avsc';
import { FloeError } from '../errors.js';
import { avroType, encodeAvroRecords, readAvroFile, writeAvroContainer, writeAvroFile, type AvroBlocks } from './avro.js';

/** The manifest list schema (v2), from src/spec, as avsc takes it. */
const MANIFEST_LIST_SCHEMA = manifestListSchema(2) as object;

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
      const n = decimalRequiredBytes(t.precision);
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
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // A partition source promoted from int to long: manifests written before hold an Avro int.
      return typeof v === 'number' ? BigInt(v) : (v as bigint);
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

/** The bytes of a manifest: of data files, or of delete files when `input.content` is 'deletes'. */
export function encodeManifest(input: ManifestWriteInput & { content?: 'data' | 'deletes' }): Buffer {
  const records = input.entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: dataFileRecord(e.file, input.partitionType),
  }));
  return writeAvroFile(manifestEntrySchema(input.partitionType) as object, records, { metadata: manifestMetadata(input.schema, input.spec, input.formatVersion, input.content) });
}

/**
 * Manifest entries as Avro bytes, so that entries of manifests written with the same schema can
 * be carried into another manifest without decoding their data files (manifest merging).
 */
export class ManifestEntryCodec {
  /** The entry schema's JSON text, as it stands in the header of every manifest Floe writes. */
  readonly schemaText: string;
  private readonly schema: object;
  private readonly entry: avro.Type;
  /** The entry's fields before `data_file`, which is the last. */
  private readonly head: avro.Type;
  /** Reads only those and skips the data file: gives the end of a record. */
  private readonly skipper: avro.Resolver;

  constructor(readonly partitionType: readonly NestedField[]) {
    this.schema = manifestEntrySchema(partitionType) as object;
    this.schemaText = JSON.stringify(this.schema);
    this.entry = avroType(this.schema);
    const fields = (this.schema as { fields: Array<{ name: string }> }).fields;
    this.head = avroType({ ...this.schema, fields: fields.filter((f) => f.name !== 'data_file') });
    this.skipper = this.head.createResolver(this.entry);
  }

  encode(e: ManifestEntryInput): Buffer {
    return encodeAvroRecords(this.entry, [
      { status: e.status, snapshot_id: e.snapshotId, sequence_number: e.sequenceNumber, file_sequence_number: e.fileSequenceNumber, data_file: dataFileRecord(e.file, this.partitionType) },
    ])[0] as Buffer;
  }

  /** An entry whose data file bytes are `dataFile`, as they were in a manifest of this schema. */
  encodeWithDataFile(head: EntryHead, dataFile: Buffer): Buffer {
    return Buffer.concat([this.head.toBuffer({ status: head.status, snapshot_id: head.snapshotId, sequence_number: head.sequenceNumber, file_sequence_number: head.fileSequenceNumber }), dataFile]);
  }

  /** The entries of a manifest written with this schema: each one's head and data file bytes. */
  *split(blocks: AvroBlocks['blocks']): Generator<{ head: EntryHead; dataFile: Buffer }> {
    for (const { count, data } of blocks) {
      let p = 0;
      for (let i = 0; i < count; i++) {
        const h = this.head.decode(data, p);
        const end = this.head.decode(data, p, this.skipper).offset;
        if (h.offset < 0 || end < h.offset) throw new FloeError('METADATA_INVALID', 'manifest entry is truncated');
        const v = h.value as { status: number; snapshot_id: bigint | null; sequence_number: bigint | null; file_sequence_number: bigint | null };
        yield { head: { status: v.status as 0 | 1 | 2, snapshotId: v.snapshot_id, sequenceNumber: v.sequence_number, fileSequenceNumber: v.file_sequence_number }, dataFile: data.subarray(h.offset, end) };
        p = end;
      }
    }
  }

  /** A manifest file of entries already encoded by this codec. */
  container(encoded: readonly Uint8Array[], schema: Schema, spec: PartitionSpec, formatVersion: number): Buffer {
    return writeAvroContainer(this.schema, encoded, { metadata: manifestMetadata(schema, spec, formatVersion) });
  }
}

export type EntryHead = Omit<ManifestEntryInput, 'file'>;

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
    metadata: manifestListMetadata({ ...meta, sequenceNumber: Number(meta.sequenceNumber), ...(meta.parentSnapshotId === undefined ? {} : { parentSnapshotId: meta.parentSnapshotId }) }),
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
