/**
 * `floe apply`: makes an existing table match its mappings' `partitionBy` and `tableProperties`.
 * The service never changes an existing table's shape (docs/decisions.md D22: instances with
 * different config versions would undo each other during a rolling deploy); this is the one
 * explicit step that does, once, from the config the operator deploys.
 *
 * Repartitioning adds a partition spec and makes it the default (field ids reused for fields the
 * table had before, as Java's UpdatePartitionSpec), or makes an older equal spec the default
 * again; files already written keep their spec (D25), new ones use the new spec. Properties are
 * set key by key; keys the config does not name are left alone. One commit per table, guarded
 * by the default spec and last partition id it was planned on (a concurrent change: re-planned).
 */
import { FloeError, isFloeError } from '../errors.js';
import type { TableIdent, TableOps } from '../iceberg/index.js';
import { currentSchema, defaultSpec, type TableMetadata } from '../spec/metadata.js';
import { evolvePartitioning, specTerms, type PartitionSpec } from '../spec/partition.js';
import type { TableRequirement } from '../spec/requirements.js';
import type { Transform } from '../spec/transforms.js';
import type { TableUpdate } from '../spec/updates.js';

export interface TableShape {
  partitioning: ReadonlyArray<{ column: string; transform: Transform }>;
  properties: Readonly<Record<string, string>>;
}

export interface ApplyResult {
  /** The default spec's terms before and after, when the partitioning changes. */
  partitioning?: { from: string[]; to: string[]; specId: number; existing: boolean };
  /** `key=value (was …)` for each property set. */
  properties: string[];
  /** Whether a commit was made (false: nothing to change, or a dry run). */
  committed: boolean;
}

/** What applying `want` to the table would change, and the commit that does it. */
export function planApply(meta: TableMetadata, want: TableShape): { result: ApplyResult; requirements: TableRequirement[]; updates: TableUpdate[] } {
  const schema = currentSchema(meta);
  const result: ApplyResult = { properties: [], committed: false };
  const requirements: TableRequirement[] = [{ type: 'assert-table-uuid', uuid: meta.tableUuid }];
  const updates: TableUpdate[] = [];
  const evolved = evolvePartitioning(meta, schema, want.partitioning);
  if (evolved) {
    const terms = (s: PartitionSpec) => specTerms(s, schema);
    result.partitioning = { from: terms(defaultSpec(meta)), to: terms(evolved.spec), specId: evolved.spec.specId, existing: evolved.existing };
    requirements.push({ type: 'assert-default-spec-id', defaultSpecId: meta.defaultSpecId }, { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: meta.lastPartitionId });
    if (!evolved.existing) updates.push({ action: 'add-spec', spec: evolved.spec });
    updates.push({ action: 'set-default-spec', specId: evolved.existing ? evolved.spec.specId : -1 });
  }
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(want.properties)) {
    // format-version is table metadata, not a property (a v1 table is not upgraded here).
    if (k === 'format-version' || meta.properties[k] === v) continue;
    props[k] = v;
    result.properties.push(`${k}=${v} (was ${meta.properties[k] ?? 'unset'})`);
  }
  if (result.properties.length) updates.push({ action: 'set-properties', updates: props });
  return { result, requirements, updates };
}

/** Applies `want` to the table (or, with `dryRun`, says what it would change). */
export async function applyTableShape(ops: TableOps, ident: TableIdent, want: TableShape, opts: { dryRun?: boolean } = {}): Promise<ApplyResult> {
  for (let attempt = 1; ; attempt++) {
    const meta = (await ops.load(ident)).metadata;
    const plan = planApply(meta, want);
    if (opts.dryRun || plan.updates.length === 0) return plan.result;
    try {
      await ops.catalog.commitTable(ident, plan.requirements, plan.updates);
      return { ...plan.result, committed: true };
    } catch (err) {
      // Another change came first (another engine, or a second `floe apply`): plan again on it.
      if (!isFloeError(err, 'COMMIT_CONFLICT') || attempt >= 5) throw err;
    }
  }
}

/**
 * The shape the mappings that write `table` ask for; their partitionBy must agree (else the
 * table cannot follow them all) and their tableProperties must not set one key two ways.
 */
export function wantedShape(table: string, asks: ReadonlyArray<{ key: string; partitioning: TableShape['partitioning']; properties: TableShape['properties'] }>): TableShape {
  const first = asks[0];
  if (!first) throw new FloeError('CONFIG_INVALID', `no mapping writes ${table}`);
  const text = (p: TableShape['partitioning']) => JSON.stringify(p.map((x) => [x.column, x.transform]));
  const properties: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  for (const a of asks) {
    if (text(a.partitioning) !== text(first.partitioning)) throw new FloeError('CONFIG_INVALID', `${a.key}.partitionBy differs from ${first.key}.partitionBy, and both write ${table}: make them the same`);
    for (const [k, v] of Object.entries(a.properties)) {
      if (properties[k] !== undefined && properties[k] !== v) throw new FloeError('CONFIG_INVALID', `${a.key}.tableProperties.${k} is '${v}' but ${setBy[k]} sets '${properties[k]}', and both write ${table}: make them the same`);
      properties[k] = v;
      setBy[k] = a.key;
    }
  }
  return { partitioning: first.partitioning, properties };
}
