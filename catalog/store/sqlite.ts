/**
 * The embedded store: one SQLite file through libsql (SQLite with prebuilt binaries published
 * on the npm registry, better-sqlite3's synchronous API). Statements run synchronously on the
 * event loop, so a transaction is never interleaved with another request of this process;
 * BEGIN IMMEDIATE and a busy timeout cover a second process on the same file.
 *
 * WAL with synchronous=NORMAL: a commit survives a killed process (the WAL is in the OS page
 * cache); only a power loss can drop the newest commits, and then as a whole.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import { nsFromKey, nsKey, type CatalogStore, type ObjectKind, type DropNamespaceOutcome, type Page, type PointerSwap, type RenameOutcome, type SwapOutcome } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS floe_namespaces (
  ns TEXT PRIMARY KEY,
  parent TEXT NOT NULL,
  properties TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS floe_namespaces_parent ON floe_namespaces (parent, ns);
CREATE TABLE IF NOT EXISTS floe_tables (
  ns TEXT NOT NULL REFERENCES floe_namespaces (ns),
  name TEXT NOT NULL,
  metadata_location TEXT NOT NULL,
  PRIMARY KEY (ns, name)
);
`;
const ADD_KIND = "ALTER TABLE floe_tables ADD COLUMN kind TEXT NOT NULL DEFAULT 'table' CHECK (kind IN ('table', 'view'))";

type Row = Record<string, unknown>;

export class SqliteStore implements CatalogStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement<unknown[]>>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  }

  private st(sql: string): Database.Statement<unknown[]> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql) as Database.Statement<unknown[]>;
      this.stmts.set(sql, s);
    }
    return s;
  }

  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async migrate(): Promise<void> {
    this.tx(() => {
      this.db.exec(SCHEMA);
      // Databases from before views get the kind column; their rows are tables.
      const cols = this.db.prepare('PRAGMA table_info(floe_tables)').all() as Row[];
      if (!cols.some((c) => c.name === 'kind')) this.db.exec(ADD_KIND);
    });
  }

  async createNamespace(ns: readonly string[], properties: Record<string, string>): Promise<boolean> {
    const r = this.st('INSERT INTO floe_namespaces (ns, parent, properties) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(nsKey(ns), nsKey(ns.slice(0, -1)), JSON.stringify(properties));
    return r.changes === 1;
  }

  async getNamespace(ns: readonly string[]): Promise<Record<string, string> | undefined> {
    const r = this.st('SELECT properties FROM floe_namespaces WHERE ns = ?').get(nsKey(ns)) as Row | undefined;
    return r ? (JSON.parse(String(r.properties)) as Record<string, string>) : undefined;
  }

  async listNamespaces(parent: readonly string[] | undefined, after: string | undefined, limit: number): Promise<Page<string[]>> {
    const rows = this.st('SELECT ns FROM floe_namespaces WHERE parent = ? AND ns > ? ORDER BY ns LIMIT ?').all(nsKey(parent ?? []), after ?? '', limit + 1) as Row[];
    return page(rows.map((r) => String(r.ns)), limit, nsFromKey);
  }

  async updateNamespace(ns: readonly string[], updates: Record<string, string>, removals: readonly string[]): Promise<Record<string, string> | undefined> {
    return this.tx(() => {
      const r = this.st('SELECT properties FROM floe_namespaces WHERE ns = ?').get(nsKey(ns)) as Row | undefined;
      if (!r) return undefined;
      const props = JSON.parse(String(r.properties)) as Record<string, string>;
      for (const k of removals) delete props[k];
      Object.assign(props, updates);
      this.st('UPDATE floe_namespaces SET properties = ? WHERE ns = ?').run(JSON.stringify(props), nsKey(ns));
      return props;
    });
  }

  async dropNamespace(ns: readonly string[]): Promise<DropNamespaceOutcome> {
    return this.tx(() => {
      const key = nsKey(ns);
      if (!this.st('SELECT 1 FROM floe_namespaces WHERE ns = ?').get(key)) return 'missing';
      if (this.st('SELECT 1 FROM floe_tables WHERE ns = ? LIMIT 1').get(key) || this.st('SELECT 1 FROM floe_namespaces WHERE parent = ? LIMIT 1').get(key)) return 'not-empty';
      this.st('DELETE FROM floe_namespaces WHERE ns = ?').run(key);
      return 'dropped';
    });
  }

  async listTables(ns: readonly string[], after: string | undefined, limit: number, kind: ObjectKind = 'table'): Promise<Page<string>> {
    const rows = this.st('SELECT name FROM floe_tables WHERE ns = ? AND kind = ? AND name > ? ORDER BY name LIMIT ?').all(nsKey(ns), kind, after ?? '', limit + 1) as Row[];
    return page(rows.map((r) => String(r.name)), limit, (k) => k);
  }

  async getTable(ns: readonly string[], name: string, kind: ObjectKind = 'table'): Promise<string | undefined> {
    const r = this.st('SELECT metadata_location FROM floe_tables WHERE ns = ? AND name = ? AND kind = ?').get(nsKey(ns), name, kind) as Row | undefined;
    return r ? String(r.metadata_location) : undefined;
  }

  async swap(changes: readonly PointerSwap[]): Promise<SwapOutcome> {
    const failed = new Error('swap refused');
    let outcome: SwapOutcome = { ok: true };
    try {
      this.tx(() => {
        changes.forEach((c, index) => {
          const key = nsKey(c.namespace);
          const kind = c.kind ?? 'table';
          const refuse = (reason: Extract<SwapOutcome, { ok: false }>['reason']) => {
            outcome = { ok: false, index, reason };
            throw failed;
          };
          if (c.expected === null) {
            if (!this.st('SELECT 1 FROM floe_namespaces WHERE ns = ?').get(key)) refuse('missing-namespace');
            const r = this.st('INSERT INTO floe_tables (ns, name, metadata_location, kind) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(key, c.name, c.next, kind);
            if (r.changes !== 1) refuse('exists');
          } else {
            const r = this.st('UPDATE floe_tables SET metadata_location = ? WHERE ns = ? AND name = ? AND kind = ? AND metadata_location = ?').run(c.next, key, c.name, kind, c.expected);
            if (r.changes !== 1) refuse(this.st('SELECT 1 FROM floe_tables WHERE ns = ? AND name = ? AND kind = ?').get(key, c.name, kind) ? 'conflict' : 'missing-table');
          }
        });
      });
    } catch (err) {
      if (err !== failed) throw err;
    }
    return outcome;
  }

  async dropTable(ns: readonly string[], name: string, kind: ObjectKind = 'table'): Promise<string | undefined> {
    return this.tx(() => {
      const r = this.st('SELECT metadata_location FROM floe_tables WHERE ns = ? AND name = ? AND kind = ?').get(nsKey(ns), name, kind) as Row | undefined;
      if (!r) return undefined;
      this.st('DELETE FROM floe_tables WHERE ns = ? AND name = ?').run(nsKey(ns), name);
      return String(r.metadata_location);
    });
  }

  async renameTable(from: { namespace: readonly string[]; name: string }, to: { namespace: readonly string[]; name: string }, kind: ObjectKind = 'table'): Promise<RenameOutcome> {
    return this.tx(() => {
      if (!this.st('SELECT 1 FROM floe_tables WHERE ns = ? AND name = ? AND kind = ?').get(nsKey(from.namespace), from.name, kind)) return 'missing-table';
      if (!this.st('SELECT 1 FROM floe_namespaces WHERE ns = ?').get(nsKey(to.namespace))) return 'missing-namespace';
      if (this.st('SELECT 1 FROM floe_tables WHERE ns = ? AND name = ?').get(nsKey(to.namespace), to.name)) return 'exists';
      this.st('UPDATE floe_tables SET ns = ?, name = ? WHERE ns = ? AND name = ?').run(nsKey(to.namespace), to.name, nsKey(from.namespace), from.name);
      return 'renamed';
    });
  }

  async close(): Promise<void> {
    this.stmts.clear();
    this.db.close();
  }
}

/** A page from `limit + 1` rows: the extra row only says that there is a next page. */
export function page<T>(keys: string[], limit: number, map: (key: string) => T): Page<T> {
  const more = keys.length > limit;
  const items = more ? keys.slice(0, limit) : keys;
  return { items: items.map(map), next: more ? items.at(-1) : undefined };
}
