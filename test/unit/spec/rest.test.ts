import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commitTableRequestFromJson,
  commitTableRequestToJson,
  commitTableResponseFromJson,
  commitTableResponseToJson,
  commitTransactionRequestFromJson,
  commitTransactionRequestToJson,
  createTableRequestFromJson,
  createTableRequestToJson,
  decodeNamespace,
  encodeNamespace,
  errorModel,
  loadTableResultFromJson,
  loadTableResultToJson,
  type CommitTableRequest,
} from '../../../src/spec/rest.js';
import { newTableMetadata } from '../../../src/spec/create.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import { isFloeError } from '../../../src/errors.js';

const meta = newTableMetadata({ location: 's3://wh/t', schema: { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: { type: 'long' } }] }, tableUuid: 'u-1', now: 5 });
const wire = (x: unknown) => parseJson(stringifyJson(x));

test('load-table results and commit responses round-trip with config and storage credentials', () => {
  const r = { metadataLocation: 's3://wh/t/metadata/00001.json', metadata: meta, config: { 'client.region': 'eu' }, storageCredentials: [{ prefix: 's3://wh', config: { 's3.access-key-id': 'k' } }] };
  const j = loadTableResultToJson(r);
  assert.deepEqual(Object.keys(j), ['metadata-location', 'metadata', 'config', 'storage-credentials']);
  assert.deepEqual(loadTableResultFromJson(wire(j)), r);
  assert.deepEqual(loadTableResultFromJson({ metadata: wire(j.metadata) }), { metadata: meta }, 'a staged create has no location yet');
  const c = { metadataLocation: 's3://x.json', metadata: meta };
  assert.deepEqual(commitTableResponseFromJson(wire(commitTableResponseToJson(c))), c);
  assert.throws(() => loadTableResultFromJson({ metadata: wire(j.metadata), config: { a: 1 } }), (e) => isFloeError(e, 'VALUE_INVALID') && /'config' must be an object of strings/.test(e.message));
});

test('create-table requests round-trip with spec, write order and stage-create', () => {
  const r = {
    name: 'events',
    location: 's3://wh/events',
    schema: meta.schemas[0]!,
    partitionSpec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: { kind: 'bucket' as const, n: 8 } }] },
    writeOrder: { orderId: 1, fields: [{ sourceId: 1, transform: { kind: 'identity' as const }, direction: 'asc' as const, nullOrder: 'nulls-first' as const }] },
    stageCreate: true,
    properties: { 'format-version': '2' },
  };
  const j = createTableRequestToJson(r);
  assert.equal((j['partition-spec'] as { fields: Array<{ transform: string }> }).fields[0]?.transform, 'bucket[8]');
  assert.deepEqual(createTableRequestFromJson(wire(j)), r);
  assert.deepEqual(createTableRequestFromJson({ name: 'x', schema: { type: 'struct', fields: [] } }), { name: 'x', schema: { schemaId: 0, fields: [] } });
  assert.throws(() => createTableRequestFromJson({ schema: {} }), /'name' must be a string/);
});

test('commit and transaction requests carry requirements and updates in their wire form', () => {
  const r: CommitTableRequest = {
    identifier: { namespace: ['db', 'raw'], name: 'events' },
    requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 3051729675574597004n }],
    updates: [{ action: 'set-properties', updates: { a: 'b' } }],
  };
  const text = stringifyJson(commitTableRequestToJson(r));
  assert.match(text, /"snapshot-id":3051729675574597004/);
  assert.deepEqual(commitTableRequestFromJson(parseJson(text)), r);
  const t = { tableChanges: [r] };
  assert.deepEqual(commitTransactionRequestFromJson(wire(commitTransactionRequestToJson(t))), t);
  assert.throws(() => commitTransactionRequestFromJson({ 'table-changes': [{ requirements: [], updates: [] }] }), /has no identifier/);
  assert.throws(() => commitTableRequestFromJson({ updates: [] }), (e) => isFloeError(e, 'UPDATE_INVALID'));
});

test('namespaces in paths and error bodies', () => {
  assert.equal(encodeNamespace(['db', 'raw events']), 'db%1Fraw%20events');
  assert.deepEqual(decodeNamespace('db%1Fraw%20events'), ['db', 'raw events']);
  assert.deepEqual(errorModel(409, 'CommitFailedException', 'Requirement failed: branch main has changed'), {
    error: { message: 'Requirement failed: branch main has changed', type: 'CommitFailedException', code: 409 },
  });
});
