/** `npm run demo` as the README gives it (fewer events): it must end with `demo ok`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT, skipUnless } from '../helpers/stack.js';

test('the demo runs end to end on embedded defaults and ends with demo ok', { skip: skipUnless('kafka', 'registry', 's3'), timeout: 600_000 }, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/scripts/demo.ts`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, DEMO_EVENTS: '5000' } });
  const out = run.stdout.trim();
  if (run.status !== 0) console.log(out.slice(-4000), run.stderr.slice(-4000));
  assert.match(out.split('\n').at(-1) ?? '', /^demo ok: 5000 rows, 8 merchants, \d+ s\./);
  assert.match(out, /identical from both tables/, 'the rollup and the raw table agree per minute and merchant');
  assert.match(out, /dead-letter table demo\.orders_dlq: 3 records/);
  assert.match(out, /the view demo\.revenue_per_minute_totals: \d+ rows, identical to the raw table's per-minute totals/, 'the totals view Floe created on its embedded catalog');
  const c = /demo\.revenue_per_minute: [1-9]\d* partitions rewritten, \d+ files → \d+, (\d+) rows → (\d+)/.exec(out);
  assert.ok(c && Number(c[1]) > Number(c[2]), 'floe compact combined the partial rows of the four parts into fewer rows');
  assert.match(out, /the view's totals are unchanged, the raw table's unchanged/);
  assert.equal(run.status, 0);
});
