/** Tables committed often, cheaply: one small Parquet file written once and appended under a new name per commit. */
import { randomUUID } from 'node:crypto';
import { TableWriter, dataDir, type LoadedTable, type TableIdent, type TableOps } from '../../src/iceberg/index.js';
import type { Schema, Value } from '../../src/spec/types.js';

export const SMALL_SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'event_time', required: true, type: { type: 'timestamptz' } },
    { id: 2, name: 'merchant', required: true, type: { type: 'string' } },
    { id: 3, name: 'amount', required: true, type: { type: 'long' } },
  ],
};

export interface Copier {
  /** Appends one copy of the file; `properties` go into the snapshot summary. Returns the commit's time in ms. */
  append(properties?: Record<string, string>): Promise<number>;
  loaded(): LoadedTable;
}

/** Writes the 200-row file of `SMALL_SCHEMA` once into the created table, then appends copies of it. */
export async function copier(ops: TableOps, ident: TableIdent, created: LoadedTable): Promise<Copier> {
  const w = new TableWriter(created.metadata, ops.io);
  const base = BigInt(Date.now()) * 1000n;
  for (let i = 0; i < 200; i++) await w.write({ event_time: base + BigInt(i) * 1_000_000n, merchant: `m-${i % 20}`, amount: BigInt(i) } as { [k: string]: Value });
  const [file] = await w.close();
  if (!file) throw new Error('no file written');
  const bytes = await ops.io.read(file.filePath);
  let loaded = created;
  let c = 0;
  return {
    loaded: () => loaded,
    append: async (properties) => {
      const path = `${dataDir(loaded.metadata)}/copy-${c++}-${randomUUID()}.parquet`;
      await ops.io.write(path, bytes);
      const t = performance.now();
      const res = await ops.append(ident, { files: [{ ...file, filePath: path }], loaded, ...(properties ? { properties } : {}) });
      const ms = performance.now() - t;
      loaded = { ...loaded, metadata: res.metadata, ...(res.metadataLocation ? { metadataLocation: res.metadataLocation } : {}) };
      return ms;
    },
  };
}
