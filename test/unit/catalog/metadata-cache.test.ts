/**
 * The embedded catalog's metadata cache holds the newest file of each table only: a table
 * committed often must not leave hundreds of versions of its (growing) metadata in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDirectCatalog } from '../../helpers/catalog.js';

test('one cached metadata file per table, whatever the number of commits; loads still answer the current one', async () => {
  await withDirectCatalog(async (catalog) => {
    const schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' as const } }] };
    for (const name of ['a', 'b']) await catalog.createTable(['db'], { name, schema, properties: {}, stageCreate: false });
    const texts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      for (const name of ['a', 'b']) {
        const [loaded] = await catalog.commit([{ identifier: { namespace: ['db'], name }, requirements: [], updates: [{ action: 'set-properties', updates: { round: String(i), pad: 'x'.repeat(i * 100) } }] }]);
        texts.set(name, loaded?.metadataJson?.length ?? -1);
      }
    }
    assert.deepEqual(catalog.cacheSize, { files: 2, bytes: (texts.get('a') ?? 0) + (texts.get('b') ?? 0) }, 'the newest file of each of the two tables, nothing older');
    const a = await catalog.loadTable({ namespace: ['db'], name: 'a' });
    assert.equal(a.metadata.properties.round, '39');
    assert.equal(catalog.cacheSize.files, 2);
  });
});
