/**
 * What the catalog adds to src/spec for table creation and metadata files: the defaults of a
 * create-through-commit, file names, and `snapshots=refs`. Thin adapters only: new tables
 * come from src/spec's newTableMetadata, commits from its checkRequirement and applyUpdates.
 */
import { randomUUID } from 'node:crypto';
import { emptyTableMetadata } from '../src/spec/create.js';
import type { TableMetadata } from '../src/spec/metadata.js';
import type { TableUpdate } from '../src/spec/updates.js';
import { badRequest } from './errors.js';

export { newTableMetadata } from '../src/spec/create.js';

/**
 * The base a create-through-commit (`assert-create`: a staged create, or a transaction that
 * creates) applies its updates to, like Java's TableMetadata.buildFromEmpty. The version
 * starts at 1 so that `upgrade-format-version` to any version works, and is 2 when the
 * updates do not name one; a missing uuid, spec or sort order gets the default.
 */
export function emptyMetadata(updates: readonly TableUpdate[], defaultLocation: string): { base: TableMetadata; updates: TableUpdate[] } {
  const base: TableMetadata = { ...emptyTableMetadata(1), location: defaultLocation };
  const pre: TableUpdate[] = [];
  if (!updates.some((u) => u.action === 'upgrade-format-version')) pre.push({ action: 'upgrade-format-version', formatVersion: 2 });
  if (!updates.some((u) => u.action === 'assign-uuid')) pre.push({ action: 'assign-uuid', uuid: randomUUID() });
  const post: TableUpdate[] = [];
  if (!updates.some((u) => u.action === 'add-spec')) post.push({ action: 'add-spec', spec: { specId: 0, fields: [] } }, { action: 'set-default-spec', specId: -1 });
  if (!updates.some((u) => u.action === 'add-sort-order')) post.push({ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [] } }, { action: 'set-default-sort-order', sortOrderId: -1 });
  return { base, updates: [...pre, ...updates, ...post] };
}

/** Checks what a create-through-commit produced: a table needs a current schema, spec and order. */
export function assertComplete(m: TableMetadata): void {
  if (!m.schemas.some((s) => s.schemaId === m.currentSchemaId)) throw badRequest('creating a table: the updates must add a schema and set it current (add-schema, set-current-schema)');
  if (!m.partitionSpecs.some((s) => s.specId === m.defaultSpecId)) throw badRequest('creating a table: the default partition spec is not set');
  if (!m.sortOrders.some((s) => s.orderId === m.defaultSortOrderId)) throw badRequest('creating a table: the default sort order is not set');
}

/** A table's or a view's metadata folder (both honour `write.metadata.path`). */
export function metadataDir(m: Pick<TableMetadata, 'location' | 'properties'>): string {
  return (m.properties['write.metadata.path'] ?? `${m.location}/metadata`).replace(/\/+$/, '');
}

/** `<metadata dir>/<version>-<uuid>.metadata.json`, the version one past the previous file's. */
export function nextMetadataLocation(m: Pick<TableMetadata, 'location' | 'properties'>, previous: string | undefined): string {
  const prev = previous ? /(\d+)-[^/]*\.metadata\.json$/.exec(previous) : null;
  const version = prev ? Number(prev[1]) + 1 : 0;
  return `${metadataDir(m)}/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** `snapshots=refs`: only the snapshots a branch or tag points at. */
export function refsOnly(m: TableMetadata): TableMetadata {
  const keep = new Set(Object.values(m.refs).map((r) => r.snapshotId));
  if (m.currentSnapshotId !== undefined) keep.add(m.currentSnapshotId);
  return { ...m, snapshots: m.snapshots.filter((s) => keep.has(s.snapshotId)) };
}
