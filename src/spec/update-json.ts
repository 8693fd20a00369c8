/** Table updates in the REST spec's JSON (kebab-case, `action` as the discriminator). */
import { FloeError } from '../errors.js';
import { toLong } from './json.js';
import { refToJson, snapshotFromJson, snapshotToJson } from './metadata.js';
import { specFromJson, specToJson, sortOrderFromJson, sortOrderToJson } from './partition.js';
import { schemaFromJson, schemaToJson } from './schema.js';
import type { TableUpdate } from './updates.js';

type Json = Record<string, unknown>;

const invalid = (msg: string) => new FloeError('UPDATE_INVALID', msg);

export function updateToJson(u: TableUpdate): Json {
  switch (u.action) {
    case 'assign-uuid':
      return { action: u.action, uuid: u.uuid };
    case 'upgrade-format-version':
      return { action: u.action, 'format-version': u.formatVersion };
    case 'add-schema':
      return { action: u.action, schema: schemaToJson(u.schema), ...(u.lastColumnId !== undefined ? { 'last-column-id': u.lastColumnId } : {}) };
    case 'set-current-schema':
      return { action: u.action, 'schema-id': u.schemaId };
    case 'add-spec':
      return { action: u.action, spec: specToJson(u.spec) };
    case 'set-default-spec':
      return { action: u.action, 'spec-id': u.specId };
    case 'add-sort-order':
      return { action: u.action, 'sort-order': sortOrderToJson(u.sortOrder) };
    case 'set-default-sort-order':
      return { action: u.action, 'sort-order-id': u.sortOrderId };
    case 'add-snapshot':
      return { action: u.action, snapshot: snapshotToJson(u.snapshot, 2) };
    case 'set-snapshot-ref': {
      const { action, refName, ...ref } = u;
      return { action, 'ref-name': refName, ...refToJson(ref) };
    }
    case 'remove-snapshots':
      return { action: u.action, 'snapshot-ids': u.snapshotIds };
    case 'remove-snapshot-ref':
      return { action: u.action, 'ref-name': u.refName };
    case 'set-location':
      return { action: u.action, location: u.location };
    case 'set-properties':
      return { action: u.action, updates: u.updates };
    case 'remove-properties':
      return { action: u.action, removals: u.removals };
    case 'set-statistics':
      return { action: u.action, 'snapshot-id': u.snapshotId, statistics: { ...u.statistics, 'snapshot-id': u.snapshotId } };
    case 'remove-statistics':
      return { action: u.action, 'snapshot-id': u.snapshotId };
    case 'set-partition-statistics':
      return { action: u.action, 'partition-statistics': { ...u.partitionStatistics, 'snapshot-id': u.snapshotId } };
    case 'remove-partition-statistics':
      return { action: u.action, 'snapshot-id': u.snapshotId };
    case 'remove-partition-specs':
      return { action: u.action, 'spec-ids': u.specIds };
    case 'remove-schemas':
      return { action: u.action, 'schema-ids': u.schemaIds };
  }
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown) => typeof v === 'string';
const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLong = (v: unknown) => isNum(v) || typeof v === 'bigint';
const listOf = (ok: (v: unknown) => boolean) => (v: unknown) => Array.isArray(v) && v.every(ok);

export function updateFromJson(j: unknown): TableUpdate {
  const o = j as Json;
  const need = <T>(k: string, ok: (v: unknown) => boolean, from: Json = o): T => {
    if (!ok(from[k])) throw invalid(`update ${String(o.action)}: '${k}' is missing or of the wrong type`);
    return from[k] as T;
  };
  const snapshotIdOf = (from: Json) => toLong(need('snapshot-id', isLong, from));
  switch (o?.action) {
    case 'assign-uuid':
      return { action: o.action, uuid: need('uuid', isStr) };
    case 'upgrade-format-version':
      return { action: o.action, formatVersion: need('format-version', isNum) };
    case 'add-schema':
      return { action: o.action, schema: schemaFromJson(need('schema', isObj)), ...(isNum(o['last-column-id']) ? { lastColumnId: o['last-column-id'] as number } : {}) };
    case 'set-current-schema':
      return { action: o.action, schemaId: need('schema-id', isNum) };
    case 'add-spec':
      return { action: o.action, spec: specFromJson(need('spec', isObj)) };
    case 'set-default-spec':
      return { action: o.action, specId: need('spec-id', isNum) };
    case 'add-sort-order':
      return { action: o.action, sortOrder: sortOrderFromJson(need('sort-order', isObj)) };
    case 'set-default-sort-order':
      return { action: o.action, sortOrderId: need('sort-order-id', isNum) };
    case 'add-snapshot': {
      const s = need<Json>('snapshot', isObj);
      need('snapshot-id', isLong, s);
      need('timestamp-ms', isLong, s);
      need('manifest-list', isStr, s);
      return { action: o.action, snapshot: snapshotFromJson(s) };
    }
    case 'set-snapshot-ref': {
      const type = need<string>('type', (v) => v === 'branch' || v === 'tag');
      return {
        action: o.action,
        refName: need('ref-name', isStr),
        snapshotId: snapshotIdOf(o),
        type: type as 'branch' | 'tag',
        ...(isNum(o['min-snapshots-to-keep']) ? { minSnapshotsToKeep: o['min-snapshots-to-keep'] as number } : {}),
        ...(isLong(o['max-snapshot-age-ms']) ? { maxSnapshotAgeMs: Number(o['max-snapshot-age-ms']) } : {}),
        ...(isLong(o['max-ref-age-ms']) ? { maxRefAgeMs: Number(o['max-ref-age-ms']) } : {}),
      };
    }
    case 'remove-snapshots':
      return { action: o.action, snapshotIds: need<unknown[]>('snapshot-ids', listOf(isLong)).map(toLong) };
    case 'remove-snapshot-ref':
      return { action: o.action, refName: need('ref-name', isStr) };
    case 'set-location':
      return { action: o.action, location: need('location', isStr) };
    case 'set-properties':
      return { action: o.action, updates: need('updates', (v) => isObj(v) && Object.values(v as Json).every(isStr)) };
    case 'remove-properties':
      return { action: o.action, removals: need('removals', listOf(isStr)) };
    case 'set-statistics': {
      const statistics = need<Json>('statistics', isObj);
      // `snapshot-id` beside the statistics is deprecated; the one inside wins.
      const snapshotId = toLong(statistics['snapshot-id'] ?? o['snapshot-id']);
      return { action: o.action, snapshotId, statistics: { ...statistics, 'snapshot-id': snapshotId } };
    }
    case 'remove-statistics':
      return { action: o.action, snapshotId: snapshotIdOf(o) };
    case 'set-partition-statistics': {
      const partitionStatistics = need<Json>('partition-statistics', isObj);
      const snapshotId = snapshotIdOf(partitionStatistics);
      return { action: o.action, snapshotId, partitionStatistics: { ...partitionStatistics, 'snapshot-id': snapshotId } };
    }
    case 'remove-partition-statistics':
      return { action: o.action, snapshotId: snapshotIdOf(o) };
    case 'remove-partition-specs':
      return { action: o.action, specIds: need('spec-ids', listOf(isNum)) };
    case 'remove-schemas':
      return { action: o.action, schemaIds: need('schema-ids', listOf(isNum)) };
    case 'add-encryption-key':
    case 'remove-encryption-key':
      throw invalid(`update ${o.action}: table encryption is not supported; commit without encryption keys`);
    default:
      throw invalid(`unknown or unsupported update action '${String(o?.action)}'`);
  }
}
