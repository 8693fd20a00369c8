import type { DataFile } from '../../src/spec/data-file.js';

/** The smallest valid format-v2 table metadata JSON: one required long column `id`, unpartitioned, no snapshots. */
export function tableMetadataJson(location = 's3://wh/db/t', properties: Record<string, string> = {}): Record<string, unknown> {
  return {
    'format-version': 2,
    'table-uuid': 'ce5e5b8e-1d2f-4c2a-9f0e-0d9f4a9a7b11',
    location,
    'last-sequence-number': 0,
    'last-updated-ms': 1,
    'last-column-id': 1,
    'current-schema-id': 0,
    schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] }],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties,
  };
}

/** A data file entry with no column statistics: `recordCount` rows in `bytes` bytes at `filePath`. */
export function bareDataFile(filePath: string, o: { records?: number; bytes?: number; partition?: DataFile['partition']; content?: DataFile['content'] } = {}): DataFile {
  return {
    content: o.content ?? 0,
    filePath,
    fileFormat: 'PARQUET',
    partition: o.partition ?? [],
    recordCount: o.records ?? 1,
    fileSizeInBytes: o.bytes ?? 4,
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
    splitOffsets: [],
  };
}
