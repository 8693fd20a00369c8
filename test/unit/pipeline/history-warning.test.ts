/** The sink says once when a table's history has grown past what expiry keeps by default. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPIRE_DEFAULTS } from '../../../src/maintenance/expire.js';
import { HISTORY_WARNING, historyWarning } from '../../../src/pipeline/table-sink.js';

test('no warning up to twice the expiry cap; past it, the count and the fix', () => {
  assert.equal(HISTORY_WARNING, 2 * EXPIRE_DEFAULTS.maxSnapshots);
  assert.equal(historyWarning(EXPIRE_DEFAULTS.maxSnapshots + 3_600), undefined, 'an hour of 1 s commits between two expiry runs is normal');
  assert.equal(historyWarning(HISTORY_WARNING), undefined);
  const w = historyWarning(HISTORY_WARNING + 1) ?? '';
  assert.match(w, /table has 20001 snapshots/);
  assert.match(w, /`expire`.*`floe expire`/);
});
