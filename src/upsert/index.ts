export { planUpsert, upsertTableSchema, UpsertBuffer, type UpsertPlan, type UpsertDrain } from './upsert.js';
