/**
 * write.metadata.delete-after-commit.enabled in the embedded catalog: the metadata files that fall
 * off the metadata log (previous-versions-max) are deleted after the commit; without the property
 * every version stays, as in Java's catalogs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { withDirectCatalog } from '../../helpers/catalog.js';

async function commits(properties: Record<string, string>, n: number): Promise<{ files: string[]; log: string[]; current: string | undefined }> {
  return withDirectCatalog(async (catalog, dir) => {
    await catalog.createTable(['db'], { name: 't', schema: { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] }, properties, stageCreate: false });
    let loaded;
    for (let i = 0; i < n; i++) {
      [loaded] = await catalog.commit([{ identifier: { namespace: ['db'], name: 't' }, requirements: [], updates: [{ action: 'set-properties', updates: { round: String(i) } }] }]);
    }
    const files = readdirSync(join(dir, 'db', 't', 'metadata')).filter((f) => f.endsWith('.metadata.json')).sort();
    return { files, log: (loaded?.metadata.metadataLog ?? []).map((e) => e.metadataFile.split('/').at(-1) as string).sort(), current: loaded?.metadataLocation?.split('/').at(-1) };
  });
}

test('with delete-after-commit, only the current metadata file and the logged ones stay', async () => {
  const r = await commits({ 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '3' }, 8);
  assert.equal(r.log.length, 3);
  assert.deepEqual(r.files, [...r.log, r.current].sort());
});

test('without it, every version stays (the log still keeps the newest previous-versions-max)', async () => {
  const r = await commits({ 'write.metadata.previous-versions-max': '3' }, 8);
  assert.equal(r.log.length, 3);
  assert.equal(r.files.length, 9);
});
