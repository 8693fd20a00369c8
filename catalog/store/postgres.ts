/**
 * The production store: PostgreSQL through `pg`. Each pointer swap is one transaction of
 * conditional UPDATEs (`... WHERE metadata_location = $expected`): the row lock taken by the
 * first UPDATE makes a concurrent swap of the same table wait and then see the new location,
 * so exactly one of two racing commits wins, across any number of catalog processes.
 */
import pg from 'pg';
import { page } from './sqlite.js';
import { nsFromKey, nsKey, type CatalogStore, type ObjectKind, type DropNamespaceOutcome, type Page, type PointerSwap, type RenameOutcome, type SwapOutcome } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS floe_namespaces (
  ns TEXT PRIMARY KEY,
  parent TEXT NOT NULL,
  properties JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS floe_namespaces_parent ON floe_namespaces (parent, ns);
CREATE TABLE IF NOT EXISTS floe_tables (
  ns TEXT NOT NULL REFERENCES floe_namespaces (ns),
  name TEXT NOT NULL,
  metadata_location TEXT NOT NULL,
  PRIMARY KEY (ns, name)
);
-- Databases from before views get the kind column; their rows are tables.
ALTER TABLE floe_tables ADD COLUMN IF NOT EXISTS kind TEXT NOT NULL DEFAULT 'table' CHECK (kind IN ('table', 'view'));
`;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class Refused extends Error {
  constructor(readonly outcome: SwapOutcome) {
    super('swap refused');
  }
}

export class PostgresStore implements CatalogStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;

  constructor(connectionString: string, poolSize = 10) {
    this.pool = new pg.Pool({ connectionString, max: poolSize });
    // An idle client's socket error would otherwise crash the process.
    this.pool.on('error', () => undefined);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async migrate(): Promise<void> {
    // Two processes migrating at once would race on CREATE TABLE IF NOT EXISTS: serialise them.
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(7261543)');
      await c.query(SCHEMA);
    });
  }

  async createNamespace(ns: readonly string[], properties: Record<string, string>): Promise<boolean> {
    const r = await this.pool.query('INSERT INTO floe_namespaces (ns, parent, properties) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [nsKey(ns), nsKey(ns.slice(0, -1)), JSON.stringify(properties)]);
    return r.rowCount === 1;
  }

  async getNamespace(ns: readonly string[]): Promise<Record<string, string> | undefined> {
    const r = await this.pool.query<{ properties: Record<string, string> }>('SELECT properties FROM floe_namespaces WHERE ns = $1', [nsKey(ns)]);
    return r.rows[0]?.properties;
  }

  async listNamespaces(parent: readonly string[] | undefined, after: string | undefined, limit: number): Promise<Page<string[]>> {
    const r = await this.pool.query<{ ns: string }>('SELECT ns FROM floe_namespaces WHERE parent = $1 AND ns > $2 ORDER BY ns COLLATE "C" LIMIT $3', [nsKey(parent ?? []), after ?? '', limit + 1]);
    return page(r.rows.map((x) => x.ns), limit, nsFromKey);
  }

  async updateNamespace(ns: readonly string[], updates: Record<string, string>, removals: readonly string[]): Promise<Record<string, string> | undefined> {
    return this.tx(async (c) => {
      const r = await c.query<{ properties: Record<string, string> }>('SELECT properties FROM floe_namespaces WHERE ns = $1 FOR UPDATE', [nsKey(ns)]);
      const row = r.rows[0];
      if (!row) return undefined;
      const props = { ...row.properties };
      for (const k of removals) delete props[k];
      Object.assign(props, updates);
      await c.query('UPDATE floe_namespaces SET properties = $1 WHERE ns = $2', [JSON.stringify(props), nsKey(ns)]);
      return props;
    });
  }

  async dropNamespace(ns: readonly string[]): Promise<DropNamespaceOutcome> {
    return this.tx(async (c) => {
      const key = nsKey(ns);
      if ((await c.query('SELECT 1 FROM floe_namespaces WHERE ns = $1 FOR UPDATE', [key])).rowCount === 0) return 'missing';
      const busy = await c.query('SELECT 1 FROM floe_tables WHERE ns = $1 UNION ALL SELECT 1 FROM floe_namespaces WHERE parent = $1 LIMIT 1', [key]);
      if (busy.rowCount) return 'not-empty';
      await c.query('DELETE FROM floe_namespaces WHERE ns = $1', [key]);
      return 'dropped';
    });
  }

  async listTables(ns: readonly string[], after: string | undefined, limit: number, kind: ObjectKind = 'table'): Promise<Page<string>> {
    const r = await this.pool.query<{ name: string }>('SELECT name FROM floe_tables WHERE ns = $1 AND kind = $4 AND name > $2 ORDER BY name COLLATE "C" LIMIT $3', [nsKey(ns), after ?? '', limit + 1, kind]);
    return page(r.rows.map((x) => x.name), limit, (k) => k);
  }

  async getTable(ns: readonly string[], name: string, kind: ObjectKind = 'table'): Promise<string | undefined> {
    const r = await this.pool.query<{ metadata_location: string }>('SELECT metadata_location FROM floe_tables WHERE ns = $1 AND name = $2 AND kind = $3', [nsKey(ns), name, kind]);
    return r.rows[0]?.metadata_location;
  }

  async swap(changes: readonly PointerSwap[]): Promise<SwapOutcome> {
    try {
      return await this.tx(async (c) => {
        // Rows are locked in one global order, so that two transactions over the same tables never deadlock.
        const order = [...changes.entries()].sort(([, a], [, b]) => cmp(nsKey(a.namespace), nsKey(b.namespace)) || cmp(a.name, b.name));
        for (const [index, ch] of order) {
          const key = nsKey(ch.namespace);
          const kind = ch.kind ?? 'table';
          if (ch.expected === null) {
            if ((await c.query('SELECT 1 FROM floe_namespaces WHERE ns = $1 FOR SHARE', [key])).rowCount === 0) throw new Refused({ ok: false, index, reason: 'missing-namespace' });
            const r = await c.query('INSERT INTO floe_tables (ns, name, metadata_location, kind) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [key, ch.name, ch.next, kind]);
            if (r.rowCount !== 1) throw new Refused({ ok: false, index, reason: 'exists' });
          } else {
            const r = await c.query('UPDATE floe_tables SET metadata_location = $1 WHERE ns = $2 AND name = $3 AND kind = $5 AND metadata_location = $4', [ch.next, key, ch.name, ch.expected, kind]);
            if (r.rowCount !== 1) {
              const exists = (await c.query('SELECT 1 FROM floe_tables WHERE ns = $1 AND name = $2 AND kind = $3', [key, ch.name, kind])).rowCount === 1;
              throw new Refused({ ok: false, index, reason: exists ? 'conflict' : 'missing-table' });
            }
          }
        }
        return { ok: true } as const;
      });
    } catch (err) {
      if (err instanceof Refused) return err.outcome;
      throw err;
    }
  }

  async dropTable(ns: readonly string[], name: string, kind: ObjectKind = 'table'): Promise<string | undefined> {
    const r = await this.pool.query<{ metadata_location: string }>('DELETE FROM floe_tables WHERE ns = $1 AND name = $2 AND kind = $3 RETURNING metadata_location', [nsKey(ns), name, kind]);
    return r.rows[0]?.metadata_location;
  }

  async renameTable(from: { namespace: readonly string[]; name: string }, to: { namespace: readonly string[]; name: string }, kind: ObjectKind = 'table'): Promise<RenameOutcome> {
    return this.tx(async (c) => {
      if ((await c.query('SELECT 1 FROM floe_tables WHERE ns = $1 AND name = $2 AND kind = $3 FOR UPDATE', [nsKey(from.namespace), from.name, kind])).rowCount === 0) return 'missing-table';
      if ((await c.query('SELECT 1 FROM floe_namespaces WHERE ns = $1 FOR SHARE', [nsKey(to.namespace)])).rowCount === 0) return 'missing-namespace';
      const r = await c.query('INSERT INTO floe_tables (ns, name, metadata_location, kind) SELECT $1, $2, metadata_location, kind FROM floe_tables WHERE ns = $3 AND name = $4 ON CONFLICT DO NOTHING', [nsKey(to.namespace), to.name, nsKey(from.namespace), from.name]);
      if (r.rowCount !== 1) return 'exists';
      await c.query('DELETE FROM floe_tables WHERE ns = $1 AND name = $2', [nsKey(from.namespace), from.name]);
      return 'renamed';
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
