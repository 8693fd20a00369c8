/** Runs `npm run test:crash` with 20 SIGKILL trials as part of the suite and checks its verdict line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT, skipUnless } from '../helpers/stack.js';

test('exactly once through 20 SIGKILLs of two instances, one joining and leaving', { skip: skipUnless('kafka', 'registry', 'rest', 's3'), timeout: 1_500_000 }, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/scripts/crash-test.ts`, '20', '20000'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0) console.log(run.stdout.slice(-3000), run.stderr.slice(-3000));
  assert.match(last, /^crash trials=20 produced=20000 rows=20000 distinct=20000 duplicates=0 missing=0$/);
  assert.equal(run.status, 0);
});
