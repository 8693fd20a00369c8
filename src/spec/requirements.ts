/**
 * Table requirements of the REST spec, checked by one pure function that both the REST client
 * (before sending, to fail fast) and the embedded catalog (under compare-and-swap) run.
 */
import { FloeError } from '../errors.js';
import { toLong } from './json.js';
import type { TableMetadata } from './metadata.js';

export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; snapshotId: bigint | null }
  | { type: 'assert-last-assigned-field-id'; lastAssignedFieldId: number }
  | { type: 'assert-current-schema-id'; currentSchemaId: number }
  | { type: 'assert-last-assigned-partition-id'; lastAssignedPartitionId: number }
  | { type: 'assert-default-spec-id'; defaultSpecId: number }
  | { type: 'assert-default-sort-order-id'; defaultSortOrderId: number };

/** Java's wording, with the requirement's name appended so that logs say which one failed. */
export function checkRequirement(meta: TableMetadata | undefined, r: TableRequirement): void {
  const failed = (msg: string) => new FloeError('REQUIREMENT_FAILED', `Requirement failed: ${msg} (${r.type})`, { details: { requirement: r.type } });
  if (r.type === 'assert-create') {
    if (meta) throw failed('table already exists');
    return;
  }
  if (!meta) {
    // Java skips these two on a table being created; the others need a table.
    if (r.type === 'assert-last-assigned-field-id' || r.type === 'assert-last-assigned-partition-id') return;
    throw failed('the table does not exist');
  }
  switch (r.type) {
    case 'assert-table-uuid':
      if (meta.tableUuid.toLowerCase() !== r.uuid.toLowerCase()) throw failed(`UUID does not match: expected ${r.uuid} != ${meta.tableUuid}`);
      return;
    case 'assert-ref-snapshot-id': {
      const ref = meta.refs[r.ref];
      if (r.snapshotId === null) {
        if (ref) throw failed(`${ref.type} ${r.ref} was created concurrently`);
      } else if (!ref) throw failed(`branch or tag ${r.ref} is missing, expected ${r.snapshotId}`);
      else if (ref.snapshotId !== r.snapshotId) throw failed(`${ref.type} ${r.ref} has changed: expected id ${r.snapshotId} != ${ref.snapshotId}`);
      return;
    }
    case 'assert-last-assigned-field-id':
      if (meta.lastColumnId !== r.lastAssignedFieldId) throw failed(`last assigned field id changed: expected id ${r.lastAssignedFieldId} != ${meta.lastColumnId}`);
      return;
    case 'assert-current-schema-id':
      if (meta.currentSchemaId !== r.currentSchemaId) throw failed(`current schema changed: expected id ${r.currentSchemaId} != ${meta.currentSchemaId}`);
      return;
    case 'assert-last-assigned-partition-id':
      if (meta.lastPartitionId !== r.lastAssignedPartitionId) throw failed(`last assigned partition id changed: expected id ${r.lastAssignedPartitionId} != ${meta.lastPartitionId}`);
      return;
    case 'assert-default-spec-id':
      if (meta.defaultSpecId !== r.defaultSpecId) throw failed(`default partition spec changed: expected id ${r.defaultSpecId} != ${meta.defaultSpecId}`);
      return;
    case 'assert-default-sort-order-id':
      if (meta.defaultSortOrderId !== r.defaultSortOrderId) throw failed(`default sort order changed: expected id ${r.defaultSortOrderId} != ${meta.defaultSortOrderId}`);
      return;
  }
}

/** Checks every requirement; the first that fails throws. */
export function checkRequirements(meta: TableMetadata | undefined, reqs: readonly TableRequirement[]): void {
  for (const r of reqs) checkRequirement(meta, r);
}

export function requirementToJson(r: TableRequirement): Record<string, unknown> {
  switch (r.type) {
    case 'assert-create':
      return { type: r.type };
    case 'assert-table-uuid':
      return { type: r.type, uuid: r.uuid };
    case 'assert-ref-snapshot-id':
      return { type: r.type, ref: r.ref, 'snapshot-id': r.snapshotId };
    case 'assert-last-assigned-field-id':
      return { type: r.type, 'last-assigned-field-id': r.lastAssignedFieldId };
    case 'assert-current-schema-id':
      return { type: r.type, 'current-schema-id': r.currentSchemaId };
    case 'assert-last-assigned-partition-id':
      return { type: r.type, 'last-assigned-partition-id': r.lastAssignedPartitionId };
    case 'assert-default-spec-id':
      return { type: r.type, 'default-spec-id': r.defaultSpecId };
    case 'assert-default-sort-order-id':
      return { type: r.type, 'default-sort-order-id': r.defaultSortOrderId };
  }
}

export function requirementFromJson(j: unknown): TableRequirement {
  const o = j as Record<string, unknown>;
  const num = (k: string) => {
    if (typeof o[k] !== 'number') throw new FloeError('UPDATE_INVALID', `requirement ${String(o.type)}: '${k}' must be a number`);
    return o[k] as number;
  };
  switch (o?.type) {
    case 'assert-create':
      return { type: 'assert-create' };
    case 'assert-table-uuid':
      if (typeof o.uuid !== 'string') throw new FloeError('UPDATE_INVALID', "requirement assert-table-uuid: 'uuid' must be a string");
      return { type: 'assert-table-uuid', uuid: o.uuid };
    case 'assert-ref-snapshot-id':
      if (typeof o.ref !== 'string') throw new FloeError('UPDATE_INVALID', "requirement assert-ref-snapshot-id: 'ref' must be a string");
      // A missing snapshot-id reads as null (ref must not exist): some clients drop null fields.
      return { type: 'assert-ref-snapshot-id', ref: o.ref, snapshotId: o['snapshot-id'] === null || o['snapshot-id'] === undefined ? null : toLong(o['snapshot-id']) };
    case 'assert-last-assigned-field-id':
      return { type: o.type, lastAssignedFieldId: num('last-assigned-field-id') };
    case 'assert-current-schema-id':
      return { type: o.type, currentSchemaId: num('current-schema-id') };
    case 'assert-last-assigned-partition-id':
      return { type: o.type, lastAssignedPartitionId: num('last-assigned-partition-id') };
    case 'assert-default-spec-id':
      return { type: o.type, defaultSpecId: num('default-spec-id') };
    case 'assert-default-sort-order-id':
      return { type: o.type, defaultSortOrderId: num('default-sort-order-id') };
    default:
      throw new FloeError('UPDATE_INVALID', `unknown requirement type '${String(o?.type)}'`);
  }
}
