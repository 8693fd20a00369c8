export * from './offsets.js';
export * from './fence.js';
