#!/usr/bin/env node
// The published entry point runs the compiled CLI (built by `npm run build`, which `npm ci` runs as `prepare`).
import('../dist/src/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
    console.error('floe: the CLI is not built yet; run `npm run build` (npm ci does this for you).');
    process.exit(1);
  }
  throw err;
});
