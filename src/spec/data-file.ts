/**
 * A data file entry as a manifest holds it (spec: "Manifests", data_file struct), in plain data.
 * Metric maps are keyed by field id; bounds are single-value serialized (values.ts).
 */
import type { Value } from './types.js';

export type FileContent = 0 | 1 | 2; // data, position deletes, equality deletes

export interface DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: 'PARQUET' | 'AVRO' | 'ORC';
  /** The partition tuple, one value per partition field in spec order (empty when unpartitioned). */
  readonly partition: readonly Value[];
  /**
   * The partition spec `partition` belongs to, when known (set by the writer that made the file;
   * not in the manifest entry, whose manifest names its spec). Absent: the table's default spec.
   */
  readonly specId?: number;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  readonly columnSizes: ReadonlyMap<number, number>;
  readonly valueCounts: ReadonlyMap<number, number>;
  readonly nullValueCounts: ReadonlyMap<number, number>;
  readonly nanValueCounts: ReadonlyMap<number, number>;
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds: ReadonlyMap<number, Uint8Array>;
  readonly splitOffsets: readonly number[];
  readonly sortOrderId?: number;
  readonly equalityIds?: readonly number[];
  readonly keyMetadata?: Uint8Array;
  /** v3 row lineage: null on new files (inherited from the manifest), kept on existing ones. */
  readonly firstRowId?: bigint;
  /** v3 deletion vectors and single-file position deletes. */
  readonly referencedDataFile?: string;
  readonly contentOffset?: number;
  readonly contentSizeInBytes?: number;
}
