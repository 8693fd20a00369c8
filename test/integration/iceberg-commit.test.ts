/**
 * The commit path against Iceberg's REST test server and the S3 store: a deterministic 409,
 * a fence that aborts after a conflict, unknown commit outcomes injected by a small proxy in
 * front of the real server (answered 500 after the commit, connection reset after it, dropped
 * before it, and a commit that lands late, after the retry was sent), an offsets-only snapshot,
 * and appending on top of a snapshot PyIceberg wrote. After each, no file of a failed attempt
 * is left in the metadata folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { TableOps, TableWriter, decodeManifest, decodeManifestList, metadataDir, parseIdent, type TableIdent } from '../../src/iceberg/index.js';
import { ancestors, branchHead, type Snapshot, type TableMetadata } from '../../src/spec/metadata.js';
import { isFloeError } from '../../src/errors.js';
import { buildSpec } from '../../src/spec/partition.js';
import type { Schema, Value } from '../../src/spec/types.js';
import { pyiceberg, pyicebergScan } from '../helpers/engines.js';
import { stackCatalog, stackIO, stackOps } from '../helpers/iceberg.js';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

const skip = skipUnless('rest', 's3', 'pyiceberg');

const SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'writer', required: true, type: { type: 'string' } },
    { id: 2, name: 'n', required: true, type: { type: 'long' } },
  ],
};

async function newTable(ops: TableOps, name: string): Promise<TableIdent> {
  const ns = uniqueName('ic');
  await ops.catalog.ensureNamespace([ns]);
  const ident = parseIdent(`${ns}.${name}`);
  await ops.create(ident, { schema: SCHEMA });
  return ident;
}

async function files(ops: TableOps, meta: TableMetadata, writer: string, n: number) {
  const w = new TableWriter(meta, ops.io);
  for (let i = 0; i < n; i++) await w.write({ writer, n: BigInt(i) } as { [k: string]: Value });
  return w.close();
}

/** Avro files under the metadata folder that no snapshot of the table references. */
async function orphans(ops: TableOps, meta: TableMetadata): Promise<string[]> {
  const referenced = new Set<string>();
  for (const s of meta.snapshots) {
    referenced.add(s.manifestList);
    for (const m of decodeManifestList(await ops.io.read(s.manifestList))) referenced.add(m.manifest_path);
  }
  const out: string[] = [];
  for await (const loc of ops.io.list(metadataDir(meta))) if (loc.endsWith('.avro') && !referenced.has(loc)) out.push(loc);
  return out;
}

const ours = (meta: TableMetadata, id: string) => meta.snapshots.filter((s) => s.summary['floe.commit-id'] === id);

test('a stale writer gets a 409, re-checks against the new state, and lands on the new parent', { skip, timeout: 120_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'stale');
  const stale = await ops.catalog.loadTable(ident);
  const first = await ops.append(ident, { files: await files(ops, stale.metadata, 'b', 3) });
  const seen: Array<bigint | undefined> = [];
  const res = await ops.append(ident, {
    files: await files(ops, stale.metadata, 'a', 2),
    loaded: stale,
    backoffMs: 1,
    prepare: (meta) => {
      seen.push(branchHead(meta)?.snapshotId);
      return { 'floe.parent-seen': String(branchHead(meta)?.snapshotId ?? 'none') };
    },
  });
  assert.equal(res.conflicts, 1);
  assert.equal(res.attempts, 2);
  assert.deepEqual(seen, [undefined, first.snapshotId], 'the re-check ran against the reloaded table');
  const chain = [...ancestors(res.metadata, branchHead(res.metadata))];
  assert.deepEqual(chain.map((s) => s.snapshotId), [res.snapshotId, first.snapshotId]);
  assert.deepEqual(chain.map((s) => s.sequenceNumber), [2, 1]);
  assert.equal(chain[0]?.summary['floe.parent-seen'], String(first.snapshotId));
  assert.equal(chain[0]?.summary['total-records'], '5');
  assert.deepEqual(await orphans(ops, res.metadata), [], 'the 409 attempt left no manifest list behind');
  assert.equal((await pyicebergScan(identStr(ident))).length, 5);
});

test('a fence that refuses after a conflict aborts the append and removes its manifest', { skip, timeout: 120_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'fenced');
  const stale = await ops.catalog.loadTable(ident);
  await ops.append(ident, { files: await files(ops, stale.metadata, 'other', 1) });
  let calls = 0;
  await assert.rejects(
    ops.append(ident, {
      files: await files(ops, stale.metadata, 'me', 1),
      loaded: stale,
      backoffMs: 1,
      prepare: (meta) => {
        calls++;
        if (branchHead(meta)) throw new Error('fenced: someone else committed');
      },
    }),
    /fenced/,
  );
  assert.equal(calls, 2);
  const meta = (await ops.catalog.loadTable(ident)).metadata;
  assert.equal(meta.snapshots.length, 1);
  assert.deepEqual(await orphans(ops, meta), []);
});

type Fault = 'pass' | 'fail-after-commit' | 'reset-after-commit' | 'drop-commit' | 'late-commit';
interface Forwarded {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A proxy in front of the real catalog that injects one fault into the next table commit.
 * `late-commit` drops the client's connection, holds the request, and sends it upstream only
 * when the client's next commit arrives, just before that one: the first attempt lands late.
 */
async function faultProxy(target: string) {
  const t = new URL(target);
  const state = { fault: 'pass' as Fault, commits: 0, held: undefined as undefined | { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }, late: undefined as undefined | number };
  const forward = (method: string, url: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<Forwarded>((resolve, reject) => {
      const up = request({ host: t.hostname, port: t.port, path: url, method, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
      });
      up.on('error', reject);
      up.end(body);
    });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const method = req.method ?? 'GET';
        const url = req.url ?? '/';
        const isCommit = method === 'POST' && /\/namespaces\/[^/]+\/tables\/[^/?]+$/.test(url);
        const fault = isCommit ? state.fault : 'pass';
        if (isCommit) {
          state.commits++;
          state.fault = 'pass';
        }
        if (fault === 'drop-commit' || fault === 'late-commit') {
          if (fault === 'late-commit') state.held = { method, url, headers: req.headers, body };
          req.socket.destroy();
          return;
        }
        if (isCommit && state.held) {
          const h = state.held;
          state.held = undefined;
          state.late = (await forward(h.method, h.url, h.headers, h.body)).status;
        }
        const r = await forward(method, url, req.headers, body);
        if (fault === 'fail-after-commit') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'injected after the commit', type: 'CommitStateUnknownException', code: 500 } }));
        } else if (fault === 'reset-after-commit') {
          res.socket?.destroy();
        } else {
          const { 'transfer-encoding': _te, 'content-length': _cl, ...headers } = r.headers;
          res.writeHead(r.status, { ...headers, 'content-length': r.body.length });
          res.end(r.body);
        }
      })().catch(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const identStr = (t: TableIdent) => `${t.namespace.join('.')}.${t.name}`;

for (const [fault, expect] of [
  ['fail-after-commit', { recovered: true, attempts: 1 }],
  ['reset-after-commit', { recovered: true, attempts: 1 }],
  ['drop-commit', { recovered: false, attempts: 2 }],
  ['late-commit', { recovered: true, attempts: 2 }],
] as const) {
  test(`unknown commit outcome (${fault}): the commit is found by its id or retried, and lands exactly once`, { skip, timeout: 120_000 }, async () => {
    const direct = stackOps();
    const ident = await newTable(direct, fault.replace(/-/g, '_'));
    const base = await direct.append(ident, { files: await files(direct, (await direct.catalog.loadTable(ident)).metadata, 'base', 1) });
    const proxy = await faultProxy(stack.restUrl);
    try {
      const ops = new TableOps(stackCatalog(proxy.url), stackIO());
      const loaded = await ops.catalog.loadTable(ident);
      const commitId = randomUUID();
      proxy.state.fault = fault;
      const res = await ops.append(ident, { files: await files(ops, loaded.metadata, 'me', 4), loaded, properties: { 'floe.commit-id': commitId }, backoffMs: 1 });
      assert.equal(res.unknown, 1, 'one attempt had an unknown outcome');
      assert.equal(res.recovered, expect.recovered);
      assert.equal(res.attempts, expect.attempts);
      assert.equal(proxy.state.commits, expect.attempts, 'commit requests that reached the proxy');
      if (fault === 'late-commit') assert.equal(proxy.state.late, 200, 'the held first attempt did land, after the retry was sent');
      const meta = (await direct.catalog.loadTable(ident)).metadata;
      assert.equal(ours(meta, commitId).length, 1, 'exactly one snapshot carries the commit id');
      const chain = [...ancestors(meta, branchHead(meta))];
      assert.deepEqual(chain.map((s) => s.snapshotId), [res.snapshotId, base.snapshotId], 'linear history');
      assert.equal(chain[0]?.summary['total-records'], '5');
      assert.deepEqual(await orphans(direct, meta), [], 'no manifest list of another attempt is left, and the live one is intact');
      assert.equal((await pyicebergScan(identStr(ident))).length, 5);
    } finally {
      await proxy.close();
    }
  });
}

test('an offsets-only snapshot adds no file, keeps the totals and the parent\'s manifests, and PyIceberg reads through it', { skip, timeout: 120_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'offsets_only');
  const data = await ops.append(ident, { files: await files(ops, (await ops.catalog.loadTable(ident)).metadata, 'x', 7) });
  const res = await ops.commitProperties(ident, { properties: { 'floe.offsets.g': '{"t":{"0":42}}' } });
  const head = branchHead(res.metadata);
  assert.equal(head?.parentSnapshotId, data.snapshotId);
  assert.equal(head?.summary.operation, 'append');
  assert.equal(head?.summary['added-data-files'], undefined);
  assert.equal(head?.summary['total-records'], '7');
  assert.equal(head?.summary['floe.offsets.g'], '{"t":{"0":42}}');
  const prev = decodeManifestList(await ops.io.read(branchHead(data.metadata)?.manifestList as string)).map((m) => m.manifest_path);
  assert.deepEqual(decodeManifestList(await ops.io.read(head?.manifestList as string)).map((m) => m.manifest_path), prev);
  const got = (await pyiceberg(`
t = catalog().load_table("${identStr(ident)}")
result = [t.current_snapshot().summary["floe.offsets.g"], t.scan().to_arrow().num_rows]
`)) as [string, number];
  assert.deepEqual(got, ['{"t":{"0":42}}', 7]);
});

test('appending on top of a snapshot PyIceberg wrote: its manifests are read and kept', { skip, timeout: 120_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'after_py');
  await pyiceberg(`
import pyarrow as pa
t = catalog().load_table("${identStr(ident)}")
t.append(pa.table({"writer": pa.array(["py"] * 3, pa.string()), "n": pa.array([0, 1, 2], pa.int64())}, schema=t.schema().as_arrow()))
result = 1
`);
  const loaded = await ops.catalog.loadTable(ident);
  const pyHead = branchHead(loaded.metadata);
  const pyList = decodeManifestList(await ops.io.read(pyHead?.manifestList as string));
  assert.equal(pyList.length, 1);
  const pyEntries = decodeManifest(await ops.io.read(pyList[0]?.manifest_path as string), []);
  assert.equal(pyEntries[0]?.file.recordCount, 3, 'a PyIceberg manifest is read');
  const res = await ops.append(ident, { files: await files(ops, loaded.metadata, 'floe', 2), loaded });
  const list = decodeManifestList(await ops.io.read(branchHead(res.metadata)?.manifestList as string));
  assert.deepEqual(list.slice(1), pyList, 'the parent\'s manifests are carried untouched');
  assert.equal(branchHead(res.metadata)?.summary['total-records'], '5');
  const rows = await pyicebergScan(identStr(ident));
  assert.deepEqual(rows.map((r) => r.writer).sort(), ['floe', 'floe', 'py', 'py', 'py']);
});

test('an append to a table that is gone fails with NOT_FOUND and leaves nothing retryable', { skip, timeout: 60_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'gone');
  const loaded = await ops.catalog.loadTable(ident);
  const fs = await files(ops, loaded.metadata, 'x', 1);
  await ops.catalog.dropTable(ident);
  await assert.rejects(ops.append(ident, { files: fs, loaded }), (e: unknown) => isFloeError(e, 'NOT_FOUND') && !e.retryable);
});

test('identity partitions on timestamp and time columns: manifests PyIceberg reads and prunes with', { skip, timeout: 120_000 }, async () => {
  const ops = stackOps();
  const ns = uniqueName('ic');
  await ops.catalog.ensureNamespace([ns]);
  const ident = parseIdent(`${ns}.ts_identity`);
  const schema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: 'at', required: false, type: { type: 'timestamptz' } },
      { id: 2, name: 'tod', required: false, type: { type: 'time' } },
      { id: 3, name: 'n', required: true, type: { type: 'long' } },
    ],
  };
  const created = await ops.create(ident, { schema, spec: buildSpec(schema, [{ column: 'at', transform: { kind: 'identity' } }, { column: 'tod', transform: { kind: 'identity' } }]) });
  const w = new TableWriter(created.metadata, ops.io);
  const at = 1_700_000_000_123_456n; // beyond 2^53 as µs: must stay exact
  for (const [t, tod, n] of [[at, 1n, 1n], [at, 1n, 2n], [at + 1n, null, 3n], [null, 5n, 4n]] as const) await w.write({ at: t, tod, n });
  const fs = await w.close();
  assert.equal(fs.length, 3);
  await ops.append(ident, { files: fs, loaded: created });
  const got = (await pyiceberg(`
t = catalog().load_table("${identStr(ident)}")
files = list(t.scan(row_filter="at = '2023-11-14T22:13:20.123456+00:00'").plan_files())
result = [len(files), sorted(r["n"] for r in t.scan(row_filter="at = '2023-11-14T22:13:20.123456+00:00'").to_arrow().to_pylist()), len(list(t.scan().plan_files()))]
`)) as [number, number[], number];
  assert.deepEqual(got, [1, [1, 2], 3]);
});

test('small manifests are merged as Iceberg appends merge them: bounded lists, every file kept with the numbers of the commit that added it, nothing left of a 409', { skip, timeout: 180_000 }, async () => {
  const ops = stackOps();
  const ns = uniqueName('ic');
  await ops.catalog.ensureNamespace([ns]);
  const ident = parseIdent(`${ns}.merged`);
  await ops.create(ident, { schema: SCHEMA, properties: { 'commit.manifest.min-count-to-merge': '4' } });
  const added = new Map<string, [string, number]>(); // file → [snapshot id, sequence number]
  const listSizes: number[] = [];
  let rows = 0;
  const commit = async (i: number, loaded?: Awaited<ReturnType<typeof ops.catalog.loadTable>>) => {
    const base = loaded ?? (await ops.catalog.loadTable(ident));
    const fs = await files(ops, base.metadata, `w${i}`, i + 1);
    const res = await ops.append(ident, { files: fs, loaded: base, backoffMs: 1 });
    const head = branchHead(res.metadata) as Snapshot;
    for (const f of fs) added.set(f.filePath, [String(res.snapshotId), head.sequenceNumber]);
    rows += i + 1;
    listSizes.push(decodeManifestList(await ops.io.read(head.manifestList)).length);
    return res;
  };
  for (let i = 0; i < 15; i++) await commit(i);
  // min-count 4: the fourth manifest in the newest bin merges them all into one.
  assert.deepEqual(listSizes, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  // A stale writer merges on its old parent, gets a 409, and lands on the new one.
  const stale = await ops.catalog.loadTable(ident);
  const merging = await commit(15);
  const res = await commit(16, stale);
  assert.equal(res.conflicts, 1);
  assert.deepEqual(listSizes.slice(-2), [1, 2]);
  assert.deepEqual(await orphans(ops, res.metadata), [], 'no merged manifest of the 409 attempt and no standalone manifest that was merged is left');

  const got = (await pyiceberg(`
t = catalog().load_table("${identStr(ident)}")
entries = t.inspect.entries().to_pylist()
result = {"rows": t.scan().to_arrow().num_rows, "manifests": len(t.current_snapshot().manifests(t.io)),
  "entries": [[r["status"], str(r["snapshot_id"]), r["sequence_number"], r["file_sequence_number"], r["data_file"]["file_path"]] for r in entries]}
`)) as { rows: number; manifests: number; entries: Array<[number, string, number, number, string]> };
  assert.equal(got.rows, rows);
  assert.equal(got.manifests, 2);
  assert.equal(got.entries.length, added.size, 'every file once, no deleted entries');
  for (const [status, snap, seq, fileSeq, path] of got.entries) {
    const want = added.get(path);
    assert.ok(want, `${path} was added by a commit`);
    assert.deepEqual([snap, seq, fileSeq], [want[0], want[1], want[1]], `${path}: the snapshot and sequence numbers of the commit that added it`);
    // A manifest lists as ADDED only the files of the commit that wrote it: commit 16's own, and
    // commit 15's in the manifest commit 15 merged; every older file is EXISTING there.
    const latest = [String(res.snapshotId), String(merging.snapshotId)].includes(want[0]);
    assert.equal(status, latest ? 1 : 0, `${path}: ADDED only in the manifest of the commit that added it`);
  }
});

test('a rewrite removes files and adds their replacement in one replace snapshot; a stale one retries on the new parent; one whose files are gone fails and leaves nothing', { skip, timeout: 180_000 }, async () => {
  const ops = stackOps();
  const ident = await newTable(ops, 'rewrite');
  const paths: string[] = [];
  for (let i = 0; i < 5; i++) {
    const loaded = await ops.catalog.loadTable(ident);
    const fs = await files(ops, loaded.metadata, `w${i}`, 3);
    paths.push(...fs.map((f) => f.filePath));
    await ops.append(ident, { files: fs, loaded, properties: { 'floe.offsets.g': `{"t":{"0":${(i + 1) * 3}}}` } });
  }
  // The rewrite: files 0..2 (9 rows) replaced by one file of the same 9 rows.
  const stale = await ops.catalog.loadTable(ident);
  const replacement = await files(ops, stale.metadata, 'merged', 9);
  // An append lands in between: the rewrite's first attempt gets a 409 and builds on it.
  const late = await files(ops, stale.metadata, 'late', 2);
  const between = await ops.append(ident, { files: late, properties: { 'floe.offsets.g': '{"t":{"0":17}}' } });
  const carried: string[] = [];
  const res = await ops.append(ident, {
    files: replacement,
    loaded: stale,
    removes: new Set(paths.slice(0, 3)),
    backoffMs: 1,
    prepare: (meta) => {
      const v = branchHead(meta)?.summary['floe.offsets.g'] as string;
      carried.push(v);
      return { 'floe.offsets.g': v };
    },
  });
  assert.equal(res.conflicts, 1);
  assert.deepEqual(carried, ['{"t":{"0":15}}', '{"t":{"0":17}}'], 'the offsets are carried from the parent each attempt builds on');
  const head = branchHead(res.metadata) as Snapshot;
  assert.equal(head.parentSnapshotId, between.snapshotId);
  assert.deepEqual(
    [head.summary.operation, head.summary['deleted-data-files'], head.summary['deleted-records'], head.summary['added-data-files'], head.summary['added-records'], head.summary['total-records'], head.summary['total-data-files'], head.summary['floe.offsets.g']],
    ['replace', '3', '9', '1', '9', '17', '4', '{"t":{"0":17}}'],
  );
  assert.deepEqual(await orphans(ops, res.metadata), [], 'the 409 attempt left no manifest behind');
  const got = (await pyiceberg(`
t = catalog().load_table("${identStr(ident)}")
rows = t.scan().to_arrow().to_pylist()
live = sorted(f.file.file_path for f in t.scan().plan_files())
result = {"rows": sorted([r["writer"], r["n"]] for r in rows), "files": live}
`)) as { rows: Array<[string, number]>; files: string[] };
  const want = [...Array.from({ length: 9 }, (_, n) => ['merged', n]), ...[3, 4].flatMap((i) => [0, 1, 2].map((n) => [`w${i}`, n])), ['late', 0], ['late', 1]].sort() as Array<[string, number]>;
  assert.deepEqual(got.rows, want);
  assert.deepEqual(got.files, [...paths.slice(3), ...replacement.map((f) => f.filePath), ...late.map((f) => f.filePath)].sort(), 'the rewritten files are gone from the scan, the rest and the replacement are there');
  // A second rewrite of the same files: they are gone, so it fails at once and commits nothing.
  const again = await ops.catalog.loadTable(ident);
  await assert.rejects(
    ops.append(ident, { files: await files(ops, again.metadata, 'x', 1), removes: new Set(paths.slice(0, 1)) }),
    (err: unknown) => isFloeError(err) && err.code === 'COMMIT_CONFLICT' && !err.retryable,
  );
  const after = await ops.catalog.loadTable(ident);
  assert.equal(branchHead(after.metadata)?.snapshotId, res.snapshotId, 'nothing committed');
  assert.deepEqual(await orphans(ops, after.metadata), [], 'and no manifest left behind');
});
