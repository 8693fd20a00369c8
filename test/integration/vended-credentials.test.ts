/**
 * Vended storage credentials through the embedded catalog (issue 4 item 8): Floe's FileIO is
 * given wrong S3 keys of its own; with a catalog that vends the store's settings in each loaded
 * table's config, Floe writes data files, manifests and commits anyway; with one that vends none,
 * the same write is refused by the store (the control: the credentials really come from the catalog).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableOps, TableWriter, RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { createFileIO } from '../../src/io/index.js';
import { isFloeError } from '../../src/errors.js';
import { schemaToJson } from '../../src/spec/schema.js';
import type { Schema } from '../../src/spec/types.js';
import { startTestCatalog } from '../helpers/catalog.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'name', required: false, type: { type: 'string' } },
  ],
};

/** A FileIO that reaches the stack's store with keys the store refuses. */
const wrongKeys = () => createFileIO({ endpoint: stack.s3.endpoint, region: stack.s3.region, pathStyle: true, accessKeyId: 'not-a-key', secretAccessKey: 'not-a-secret' });

async function writeAndAppend(url: string): Promise<{ ops: TableOps; ident: ReturnType<typeof parseIdent>; close: () => Promise<void> }> {
  const io = wrongKeys();
  const ops = new TableOps(new RestCatalog({ uri: url }), io);
  const ns = uniqueName('vended');
  await ops.catalog.createNamespace([ns]);
  const ident = parseIdent(`${ns}.t`);
  const created = await ops.catalog.createTable(ident, { schema: schemaToJson(SCHEMA) });
  const w = new TableWriter(created.metadata, io);
  for (let i = 0; i < 100; i++) await w.write({ id: BigInt(i), name: i % 3 ? `n${i}` : null });
  try {
    await ops.append(ident, { files: await w.close(), loaded: created });
  } catch (err) {
    await io.close();
    throw err;
  }
  return { ops, ident, close: () => io.close() };
}

test('Floe writes and commits with the S3 credentials the embedded catalog vends, not its own', { skip: skipUnless('s3'), timeout: 120_000 }, async () => {
  const vending = await startTestCatalog({ warehouse: 's3', vend: true });
  try {
    const { ops, ident, close } = await writeAndAppend(vending.url);
    try {
      const loaded = await ops.catalog.loadTable(ident);
      assert.equal(loaded.config['s3.access-key-id'], stack.s3.accessKeyId, 'the catalog vends the store keys');
      const snap = loaded.metadata.snapshots.at(-1);
      assert.equal(snap?.summary['total-records'], '100');
      // The manifest list and the data file are in the store, read with the vended keys.
      const list = await ops.io.read(snap?.manifestList as string);
      assert.ok(list.length > 0);
    } finally {
      await close();
    }
  } finally {
    await vending.close();
  }

  // Control: the same with a catalog that vends nothing fails on the FileIO's own (wrong) keys.
  const silent = await startTestCatalog({ warehouse: 's3' });
  try {
    await assert.rejects(writeAndAppend(silent.url), (err: unknown) => isFloeError(err) && err.code === 'UNAUTHORIZED');
  } finally {
    await silent.close();
  }
});
