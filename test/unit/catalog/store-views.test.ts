/**
 * Views in the SQLite store: tables and views share one name space per namespace, each kind
 * sees only its own rows, and a database from before views opens with its tables intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { SqliteStore } from '../../../catalog/store/index.js';

async function memoryStore(): Promise<SqliteStore> {
  const s = new SqliteStore(':memory:');
  await s.migrate();
  return s;
}

test('tables and views: one name space, each kind its own lookups, lists, drops and renames', async () => {
  const s = await memoryStore();
  await s.createNamespace(['n'], {});
  await s.createNamespace(['m'], {});
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 't', expected: null, next: 'mt' }]), { ok: true });
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'v', kind: 'view', expected: null, next: 'mv' }]), { ok: true });
  // A name taken by the other kind.
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 't', kind: 'view', expected: null, next: 'x' }]), { ok: false, index: 0, reason: 'exists' });
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'v', expected: null, next: 'x' }]), { ok: false, index: 0, reason: 'exists' });
  assert.equal(await s.getTable(['n'], 'v'), undefined);
  assert.equal(await s.getTable(['n'], 'v', 'view'), 'mv');
  assert.equal(await s.getTable(['n'], 't', 'view'), undefined);
  assert.deepEqual((await s.listTables(['n'], undefined, 10)).items, ['t']);
  assert.deepEqual((await s.listTables(['n'], undefined, 10, 'view')).items, ['v']);
  // A swap of the other kind's pointer finds no row of its kind.
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'v', expected: 'mv', next: 'x' }]), { ok: false, index: 0, reason: 'missing-table' });
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'v', kind: 'view', expected: 'stale', next: 'x' }]), { ok: false, index: 0, reason: 'conflict' });
  assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'v', kind: 'view', expected: 'mv', next: 'mv2' }]), { ok: true });
  assert.equal(await s.dropTable(['n'], 'v'), undefined, 'dropping a table does not drop a view');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'v' }, { namespace: ['m'], name: 'w' }), 'missing-table');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'v' }, { namespace: ['n'], name: 't' }, 'view'), 'exists');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 't' }, { namespace: ['n'], name: 'v' }), 'exists');
  assert.equal(await s.renameTable({ namespace: ['n'], name: 'v' }, { namespace: ['m'], name: 'w' }, 'view'), 'renamed');
  assert.equal(await s.getTable(['m'], 'w', 'view'), 'mv2');
  assert.equal(await s.dropNamespace(['m']), 'not-empty', 'a namespace with a view is not empty');
  assert.equal(await s.dropTable(['m'], 'w', 'view'), 'mv2');
  assert.equal(await s.dropNamespace(['m']), 'dropped');
  await s.close();
});

test('a database from before views: migrated in place, its rows are tables, migrating twice is harmless', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-store-'));
  try {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`
CREATE TABLE floe_namespaces (ns TEXT PRIMARY KEY, parent TEXT NOT NULL, properties TEXT NOT NULL);
CREATE INDEX floe_namespaces_parent ON floe_namespaces (parent, ns);
CREATE TABLE floe_tables (ns TEXT NOT NULL REFERENCES floe_namespaces (ns), name TEXT NOT NULL, metadata_location TEXT NOT NULL, PRIMARY KEY (ns, name));
INSERT INTO floe_namespaces VALUES ('n', '', '{}');
INSERT INTO floe_tables VALUES ('n', 'old', 's3://b/old/metadata/00003-x.metadata.json');
`);
    old.close();
    for (let i = 0; i < 2; i++) {
      const s = new SqliteStore(path);
      await s.migrate();
      assert.equal(await s.getTable(['n'], 'old'), 's3://b/old/metadata/00003-x.metadata.json');
      assert.equal(await s.getTable(['n'], 'old', 'view'), undefined);
      assert.deepEqual(await s.swap([{ namespace: ['n'], name: 'old', kind: 'view', expected: null, next: 'x' }]), { ok: false, index: 0, reason: 'exists' });
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
