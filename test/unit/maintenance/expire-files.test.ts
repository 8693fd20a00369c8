/**
 * Which files snapshot expiry deletes, on random histories committed to the embedded catalog
 * (in-process, `file://` warehouse): appends, rewrites that remove live files (compaction),
 * manifest merges, and sometimes a tag. After expiry:
 * - every file a kept snapshot reaches is still stored (nothing live is deleted);
 * - no removed snapshot's manifest list, and no manifest only removed snapshots listed, is left;
 * - on a linear history (main only: the incremental cleanup), every data file stored is live in
 *   a kept snapshot or was deleted by one (it goes when that snapshot expires): the files the
 *   removed snapshots deleted are gone. With a tag (full reachability), a file deleted by a
 *   removed snapshot whose manifest a kept snapshot still lists may stay until a later run; only
 *   the safety checks apply there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeManifestList, type LoadedTable, type TableIdent } from '../../../src/iceberg/index.js';
import { expireSnapshots, linearExpiry, ManifestListCache, manifestFiles } from '../../../src/maintenance/expire.js';
import type { DataFile } from '../../../src/spec/data-file.js';
import { ancestors, snapshotById, type TableMetadata } from '../../../src/spec/metadata.js';
import type { Schema } from '../../../src/spec/types.js';
import { startTestCatalog, type TestCatalog } from '../../helpers/catalog.js';
import { bareDataFile } from '../../helpers/metadata.js';

const SCHEMA: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] };

type Step = { kind: 'append'; files: number } | { kind: 'rewrite'; pick: number[] } | { kind: 'tag'; aged: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }).map((files): Step => ({ kind: 'append', files })) },
  { weight: 3, arbitrary: fc.array(fc.nat(50), { minLength: 1, maxLength: 4 }).map((pick): Step => ({ kind: 'rewrite', pick })) },
  { weight: 1, arbitrary: fc.boolean().map((aged): Step => ({ kind: 'tag', aged })) },
);

/** Manifest lists, manifests and live data files of each snapshot, read back from storage. */
async function reach(c: TestCatalog, meta: TableMetadata) {
  const lists = new Set<string>();
  const manifests = new Set<string>();
  const live = new Set<string>();
  const deletedByKept = new Set<string>();
  const ids = new Set(meta.snapshots.map((s) => s.snapshotId));
  for (const s of meta.snapshots) {
    if (!s.manifestList) continue;
    lists.add(s.manifestList);
    for (const m of decodeManifestList(await c.io.read(s.manifestList))) {
      manifests.add(m.manifest_path);
      for (const f of manifestFiles(await c.io.read(m.manifest_path))) {
        if (f.status !== 2) live.add(f.path);
        else if (ids.has(f.snapshotId ?? m.added_snapshot_id)) deletedByKept.add(f.path);
      }
    }
  }
  return { lists, manifests, live, deletedByKept };
}

async function stored(c: TestCatalog, prefix: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const f of c.io.listFiles(prefix)) out.add(f.location);
  return out;
}

test('expiry deletes what only removed snapshots reached and nothing a kept snapshot reaches (random histories)', async () => {
  const c = await startTestCatalog();
  let n = 0;
  const seen = { linear: 0, tagged: 0, emptied: 0, cached: 0, agedTags: 0 };
  try {
    await c.client.createNamespace(['db']);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 14 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 5 }), fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), async (steps, retainLast, mergeAt, firstKeeps) => {
        const ident: TableIdent = { namespace: ['db'], name: `t${n++}` };
        let loaded: LoadedTable = await c.ops.create(ident, { schema: SCHEMA, properties: { 'commit.manifest.min-count-to-merge': String(mergeAt) } });
        const location = loaded.metadata.location;
        const liveNow = new Set<string>();
        let file = 0;
        const newFiles = async (k: number) => {
          const out: DataFile[] = [];
          for (let i = 0; i < k; i++) {
            const path = `${location}/data/f${file++}.parquet`;
            await c.io.write(path, Buffer.from('PAR1'));
            out.push(bareDataFile(path));
          }
          return out;
        };
        for (const s of steps) {
          if (s.kind === 'tag') {
            const head = loaded.metadata.refs.main?.snapshotId;
            if (head === undefined) continue;
            // An aged tag (max-ref-age-ms 0) is past its age at the expiry: removed with what only it kept.
            await c.client.commitTable(ident, [], [{ action: 'set-snapshot-ref', refName: `tag${file}`, snapshotId: head, type: 'tag', ...(s.aged ? { maxRefAgeMs: 0 } : {}) }]);
            loaded = await c.ops.load(ident);
            continue;
          }
          const live = [...liveNow];
          const removes = s.kind === 'rewrite' && live.length ? new Set(s.pick.map((i) => live[i % live.length] as string)) : undefined;
          const files = await newFiles(s.kind === 'append' ? s.files : 1);
          const r = await c.ops.append(ident, { files, loaded, ...(removes ? { removes } : {}) });
          loaded = { ...loaded, metadata: r.metadata };
          // As Java's appends: a manifest with no live files is listed only by the snapshot that wrote it.
          for (const m of decodeManifestList(await c.io.read(snapshotById(r.metadata, r.snapshotId)?.manifestList ?? ''))) {
            if (m.added_files_count + m.existing_files_count > 0) continue;
            assert.equal(m.added_snapshot_id, r.snapshotId, `${m.manifest_path} has no live files and was carried from an earlier snapshot`);
            seen.emptied++;
          }
          for (const f of removes ?? []) liveNow.delete(f);
          for (const f of files) liveNow.add(f.filePath);
        }
        const before = loaded.metadata;
        const main = snapshotById(before, before.refs.main?.snapshotId ?? -1n);
        const plannedLinear = linearExpiry(before, [...ancestors(before, main)].slice(retainLast).map((x) => x.snapshotId));
        // Sometimes in two runs sharing a manifest list cache, as the service runs them: the
        // second finds its removed and kept snapshots' lists in what the first read.
        const cache = firstKeeps === undefined ? undefined : new ManifestListCache();
        if (cache) {
          await expireSnapshots(c.ops, ident, { olderThanMs: 0, retainLast: retainLast + (firstKeeps ?? 0), cache });
          if (cache.size.lists) seen.cached++;
        }
        const result = await expireSnapshots(c.ops, ident, { olderThanMs: 0, retainLast, ...(cache ? { cache } : {}) });
        assert.deepEqual(result.undeleted, []);
        const after = (await c.ops.load(ident)).metadata;
        const aged = Object.entries(before.refs).filter(([, r]) => r.maxRefAgeMs === 0).map(([n]) => n);
        assert.deepEqual(Object.keys(after.refs).filter((n) => aged.includes(n)), [], 'aged tags are removed');
        if (aged.length) seen.agedTags++;
        const kept = await reach(c, after);
        const files = await stored(c, location);
        for (const f of [...kept.lists, ...kept.manifests, ...kept.live]) assert.ok(files.has(f), `${f} is reached by a kept snapshot and still stored`);
        const data = [...files].filter((f) => f.includes('/data/'));
        const avro = [...files].filter((f) => f.endsWith('.avro'));
        assert.deepEqual(new Set(avro), new Set([...kept.lists, ...kept.manifests]), 'manifest lists and manifests stored = those kept snapshots list');
        if (plannedLinear) {
          seen.linear++;
          // A file a kept snapshot deleted goes when that snapshot expires (as in Java's incremental cleanup).
          const extra = data.filter((f) => !kept.live.has(f) && !kept.deletedByKept.has(f));
          assert.deepEqual(extra, [], 'linear history: every data file stored is live in a kept snapshot or deleted by one');
        } else {
          seen.tagged++;
        }
        assert.ok(liveNow.size === 0 || [...liveNow].every((f) => kept.live.has(f)), "the head's files are live in a kept snapshot");
      }),
      { numRuns: 30 },
    );
    assert.ok(seen.linear > 5 && seen.tagged > 2 && seen.emptied > 5 && seen.cached > 5 && seen.agedTags > 1, `both cleanups ran, rewrites emptied manifests: ${JSON.stringify(seen)}`);
  } finally {
    await c.close();
  }
});

test('linearExpiry: main only, removed snapshots all ancestors of its head, no cherry-pick', async () => {
  const meta = (refs: Record<string, bigint>, parents: Array<[bigint, bigint | undefined]>, summary: Record<string, string> = {}): TableMetadata =>
    ({
      refs: Object.fromEntries(Object.entries(refs).map(([k, v]) => [k, { snapshotId: v, type: 'branch' }])),
      snapshots: parents.map(([id, parent]) => ({ snapshotId: id, ...(parent !== undefined ? { parentSnapshotId: parent } : {}), summary: { operation: 'append', ...(id === 2n ? summary : {}) } })),
    }) as unknown as TableMetadata;
  const chain: Array<[bigint, bigint | undefined]> = [[1n, undefined], [2n, 1n], [3n, 2n], [4n, 3n]];
  assert.equal(linearExpiry(meta({ main: 4n }, chain), [1n, 2n]), true);
  assert.equal(linearExpiry(meta({ main: 4n, v1: 2n }, chain), [1n]), false, 'another ref');
  assert.equal(linearExpiry(meta({ main: 2n }, chain), [1n, 3n]), false, 'a snapshot main no longer reaches (rolled back)');
  assert.equal(linearExpiry(meta({ main: 4n }, chain, { 'source-snapshot-id': '9' }), [1n]), false, 'a cherry-pick');
  assert.equal(linearExpiry(meta({ audit: 4n }, chain), [1n]), false, 'no main');
});
