import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const floe = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', `${root}/src/main.ts`, ...args], { cwd: root, encoding: 'utf8' });

test('floe --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  assert.equal(floe('--version').trim(), pkg.version);
});

test('floe --help describes the command', () => {
  const out = floe('--help');
  assert.match(out, /^Usage: floe/m);
  assert.match(out, /Kafka topics, exactly once/);
});
