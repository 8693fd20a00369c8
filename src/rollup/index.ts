export { planRollup, type RollupPlan, type MeasurePlan, type GroupPlan } from './plan.js';
export { RollupAggregator, LateEventError } from './aggregate.js';
export { rollupViewRequest, totalsQuery, type ViewRequest } from './view.js';
