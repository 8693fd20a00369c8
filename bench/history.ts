/**
 * npm run bench:history [snapshots] [step]: what a table's history costs each commit.
 *
 * Every commit adds a snapshot (~0.9 KB of JSON with a 12-partition offset map, like the sink's)
 * to the table metadata, which the catalog rewrites and Floe parses back on every commit. This
 * appends one small file per commit to a table of the embedded catalog (in this process, a
 * file warehouse, no other service) until it has `snapshots` snapshots (default 3,000), and
 * prints the median commit time of each `step` (default 500) commits next to the metadata size
 * and the process's RSS (catalog and client together: it must not grow with the commits).
 * Then it times, on the final metadata: parsing it with Floe's exact-long JSON parser against
 * plain JSON.parse (which rounds snapshot ids, so it cannot be used, but is the floor), and
 * writing it as the catalog does (snapshots serialised once and kept) against serialising all of
 * it, in the same process. Snapshot expiry is what bounds the history (`expire` in a mapping; D20).
 * Last line:
 *   history snapshots=<n> metadata_kb=<n> rss_mb=<n> commit_p50_first_ms=<n> commit_p50_last_ms=<n> commit_ms_per_1000_snapshots=<n> parse_ms=<n> native_parse_ms=<n> parse_ratio=<parse/native> write_ms=<n> write_all_ms=<n> write_ratio=<write_all/write>
 */
import { parseIdent } from '../src/iceberg/index.js';
import { parseJson, stringifyJson } from '../src/spec/json.js';
import { metadataText, metadataToJson } from '../src/spec/metadata.js';
import { buildSpec } from '../src/spec/partition.js';
import { startTestCatalog } from '../test/helpers/catalog.js';
import { SMALL_SCHEMA, copier } from './lib/copies.js';

const SNAPSHOTS = Number(process.argv[2] ?? 3_000);
const STEP = Number(process.argv[3] ?? 500);
const log = (s: string) => console.log(`[history] ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const c = await startTestCatalog({ warehouse: 'file' });
  try {
    await c.ops.catalog.ensureNamespace(['bench']);
    const ident = parseIdent('bench.history');
    const created = await c.ops.create(ident, {
      schema: SMALL_SCHEMA,
      spec: buildSpec(SMALL_SCHEMA, [{ column: 'event_time', transform: { kind: 'day' } }]),
      properties: { 'write.metadata.delete-after-commit.enabled': 'true' },
    });
    const table = await copier(c.ops, ident, created);
    const served = async () => (await fetch(`${c.url}/v1/namespaces/bench/tables/history`)).text();
    const steps: Array<{ snapshots: number; p50: number; kb: number }> = [];
    let times: number[] = [];
    for (let i = 1; i <= SNAPSHOTS; i++) {
      const offsets = Object.fromEntries(Array.from({ length: 12 }, (_, p) => [String(p), i * 1_000 + p]));
      times.push(await table.append({ 'floe.offsets.bench': JSON.stringify({ orders: offsets }) }));
      if (i % STEP === 0 || i === SNAPSHOTS) {
        const kb = (await served()).length / 1024;
        steps.push({ snapshots: i, p50: median(times), kb });
        log(`${i} snapshots: commit p50 ${median(times).toFixed(1)} ms over the last ${times.length}, metadata ${kb.toFixed(0)} KB, RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
        times = [];
      }
    }
    const text = await served();
    const timeIt = (f: () => unknown, n = 20) => {
      f();
      const t = performance.now();
      for (let i = 0; i < n; i++) f();
      return (performance.now() - t) / n;
    };
    const native = timeIt(() => JSON.parse(text));
    const exact = timeIt(() => parseJson(text));
    const meta = (await c.ops.load(ident)).metadata;
    const write = timeIt(() => metadataText(meta));
    const writeAll = timeIt(() => stringifyJson(metadataToJson(meta)));
    const first = steps[0]!;
    const last = steps[steps.length - 1]!;
    const slope = ((last.p50 - first.p50) / (last.snapshots - first.snapshots)) * 1000;
    log(`parsing ${(text.length / 1024).toFixed(0)} KB of metadata: parseJson ${exact.toFixed(1)} ms, JSON.parse ${native.toFixed(1)} ms`);
    log(`writing it: ${write.toFixed(1)} ms with the snapshots' JSON kept, ${writeAll.toFixed(1)} ms serialising everything`);
    console.log(
      `history snapshots=${SNAPSHOTS} metadata_kb=${Math.round(last.kb)} rss_mb=${Math.round(process.memoryUsage().rss / 1048576)} commit_p50_first_ms=${first.p50.toFixed(1)} commit_p50_last_ms=${last.p50.toFixed(1)} commit_ms_per_1000_snapshots=${slope.toFixed(1)} parse_ms=${exact.toFixed(1)} native_parse_ms=${native.toFixed(1)} parse_ratio=${(exact / native).toFixed(2)} write_ms=${write.toFixed(1)} write_all_ms=${writeAll.toFixed(1)} write_ratio=${(writeAll / write).toFixed(1)}`,
    );
  } finally {
    await c.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
