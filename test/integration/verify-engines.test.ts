/** Runs `npm run verify:engines` (scripts/verify-engines.ts) as part of the suite and checks its verdict line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT, skipUnless } from '../helpers/stack.js';

test('PyIceberg, DuckDB, Spark and Trino read every type under every transform exactly as Floe wrote it', { skip: skipUnless('rest', 's3', 'pyiceberg'), timeout: 1_200_000 }, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/scripts/verify-engines.ts`, '150'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = run.stdout.trim().split('\n');
  const last = lines.at(-1) ?? '';
  if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-4000));
  assert.match(last, /^engines tables=\d+ types=17 transforms=8 pyiceberg=ok duckdb=ok spark=ok trino=ok mismatches=0$/);
  assert.equal(run.status, 0);
});
