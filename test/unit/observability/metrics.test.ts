import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Metrics, createLogger } from '../../../src/observability/index.js';

test('metrics live on their own registry and render in Prometheus text', async () => {
  const a = new Metrics({ defaultMetrics: false });
  const b = new Metrics({ defaultMetrics: false });
  a.recordsOut.inc({ table: 'db.orders' }, 5);
  a.commitSeconds.observe({ table: 'db.orders' }, 0.3);
  const text = await a.text();
  assert.match(text, /floe_records_out_total\{table="db.orders"\} 5/);
  assert.match(text, /floe_commit_duration_seconds_bucket\{le="0.5",table="db.orders"\} 1/);
  assert.doesNotMatch(await b.text(), /db.orders/, 'two instances share nothing');
});

test('the logger writes one JSON object per line with level names and child bindings', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ level: 'info', destination }).child({ component: 'commit', table: 't' });
  log.debug('hidden');
  log.warn({ partition: 3 }, 'stored offset below log start');
  assert.equal(lines.length, 1);
  const obj = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.equal(obj.level, 'warn');
  assert.equal(obj.component, 'commit');
  assert.equal(obj.partition, 3);
  assert.equal(obj.msg, 'stored offset below log start');
});

test('the ops server answers /metrics, /healthz and /readyz with the right status codes', async () => {
  const { startOpsServer } = await import('../../../src/observability/index.js');
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.commits.inc({ table: 't', kind: 'data' });
  let ready = false;
  const ops = await startOpsServer({
    port: 0,
    metrics,
    health: { live: () => true, ready: () => ({ ready, reasons: ready ? [] : ['partitions not assigned yet'] }) },
  });
  try {
    const m = await fetch(`${ops.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /floe_commits_total\{table="t",kind="data"\} 1/);
    assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
    const notReady = await fetch(`${ops.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(((await notReady.json()) as { reasons: string[] }).reasons, ['partitions not assigned yet']);
    ready = true;
    assert.equal((await fetch(`${ops.url}/readyz`)).status, 200);
  } finally {
    await ops.close();
  }
});
