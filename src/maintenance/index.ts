export { combineRows, compactTable, rollupColumns, type CompactOptions, type CompactResult, type MeasureColumn } from './compact.js';
export { Maintainer } from './maintainer.js';
