import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIdent, storageConfigFor, type LoadedTable } from '../../../src/iceberg/rest-client.js';
import { errorFor } from '../../../src/iceberg/rest-http.js';
import { isFloeError } from '../../../src/errors.js';

test('REST error statuses map to the codes the commit logic branches on', () => {
  const cases: Array<[number, string | undefined, Parameters<typeof errorFor>[2], string, boolean]> = [
    [409, 'CommitFailedException', 'commit', 'COMMIT_CONFLICT', true],
    [409, 'AlreadyExistsException', 'create', 'ALREADY_EXISTS', false],
    [409, undefined, 'create', 'ALREADY_EXISTS', false],
    [404, 'NoSuchTableException', 'read', 'NOT_FOUND', false],
    [401, undefined, 'read', 'UNAUTHORIZED', false],
    [403, undefined, 'commit', 'UNAUTHORIZED', false],
    [419, undefined, 'read', 'UNAUTHORIZED', true],
    [500, 'CommitStateUnknownException', 'commit', 'COMMIT_STATE_UNKNOWN', true],
    [502, undefined, 'commit', 'COMMIT_STATE_UNKNOWN', true],
    [503, undefined, 'commit', 'COMMIT_STATE_UNKNOWN', true],
    [504, undefined, 'commit', 'COMMIT_STATE_UNKNOWN', true],
    [500, undefined, 'read', 'CATALOG_ERROR', true],
    [503, undefined, 'write', 'CATALOG_ERROR', true],
    [429, undefined, 'commit', 'CATALOG_ERROR', true],
    [400, 'BadRequestException', 'commit', 'CATALOG_ERROR', false],
    [422, undefined, 'write', 'CATALOG_ERROR', false],
  ];
  for (const [status, type, kind, code, retryable] of cases) assert.deepEqual(errorFor(status, type, kind), { code, retryable }, `${status} ${type ?? ''} on ${kind}`);
});

test('vended credentials: the longest matching prefix wins over the table config', () => {
  const t: Pick<LoadedTable, 'config' | 'storageCredentials'> = {
    config: { 's3.endpoint': 'http://s3', 's3.access-key-id': 'table' },
    storageCredentials: [
      { prefix: 's3://bucket/', config: { 's3.access-key-id': 'bucket' } },
      { prefix: 's3://bucket/db/t/', config: { 's3.access-key-id': 'table-path', 's3.session-token': 'tok' } },
    ],
  };
  assert.deepEqual(storageConfigFor(t, 's3://bucket/db/t/data/f.parquet'), { 's3.endpoint': 'http://s3', 's3.access-key-id': 'table-path', 's3.session-token': 'tok' });
  assert.equal(storageConfigFor(t, 's3://bucket/other/x')['s3.access-key-id'], 'bucket');
  assert.equal(storageConfigFor(t, 's3://elsewhere/x')['s3.access-key-id'], 'table');
});

test('table identifiers need a namespace', () => {
  assert.deepEqual(parseIdent('a.b.c'), { namespace: ['a', 'b'], name: 'c' });
  assert.throws(() => parseIdent('orders'), (e: unknown) => isFloeError(e, 'CONFIG_INVALID'));
  assert.throws(() => parseIdent('a..b'), (e: unknown) => isFloeError(e, 'CONFIG_INVALID'));
});
