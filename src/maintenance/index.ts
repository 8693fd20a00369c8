export { combineRows, compactTable, rollupColumns, type CompactOptions, type CompactResult, type MeasureColumn } from './compact.js';
export { Maintainer } from './maintainer.js';
export { expireSnapshots, planExpiry, EXPIRE_DEFAULTS, ManifestListCache, type ExpireOptions, type ExpireResult, type ExpiryPlan } from './expire.js';
export { removeOrphanFiles, ORPHAN_DEFAULT_AGE_MS, type OrphanOptions, type OrphanResult } from './orphans.js';
export { applyTableShape, planApply, wantedShape, type ApplyResult, type TableShape } from './apply.js';
