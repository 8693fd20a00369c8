export { planRollup, type RollupPlan, type MeasurePlan, type GroupPlan } from './plan.js';
export { RollupAggregator, LateEventError } from './aggregate.js';
export { rollupViewRequest, totalsQuery, type ViewRequest } from './view.js';
export { combineRows, compactRollup, readRows, rollupColumns, type CompactOptions, type CompactResult, type MeasureColumn, type Row } from './compact.js';
export { RollupMaintainer } from './maintainer.js';
