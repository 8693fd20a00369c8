/**
 * View metadata and view commits (catalog/view-metadata.ts, catalog/view-updates.ts): a new
 * view's metadata, replace through updates with Java's ViewMetadata.Builder semantics, the
 * requirement, the JSON both ways, and the invariants of version expiry under random commits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../../../src/errors.js';
import { parseJson, stringifyJson } from '../../../src/spec/json.js';
import { toErrorModel } from '../../../catalog/errors.js';
import { nextMetadataLocation } from '../../../catalog/metadata.js';
import { currentVersion, viewMetadataFromJson, viewMetadataToJson, type ViewVersion } from '../../../catalog/view-metadata.js';
import { applyViewUpdates, checkViewRequirement, newViewMetadata, viewRequirementFromJson, viewUpdateFromJson, type ViewUpdate } from '../../../catalog/view-updates.js';

const schema = { schemaId: 7, fields: [{ id: 1, name: 'x', required: false, type: { type: 'long' as const } }] };
const wider = { schemaId: 0, fields: [...schema.fields, { id: 2, name: 'y', required: false, type: { type: 'string' as const } }] };

const version = (sql: string, o: Partial<ViewVersion> = {}): ViewVersion => ({
  versionId: 1,
  timestampMs: 1_700_000_000_000,
  schemaId: 0,
  summary: { 'engine-name': 'test' },
  representations: [
    { type: 'sql', sql, dialect: 'trino' },
    { type: 'sql', sql, dialect: 'spark' },
  ],
  defaultCatalog: 'cat',
  defaultNamespace: ['ns'],
  ...o,
});

const created = () => newViewMetadata({ schema, viewVersion: version('SELECT x FROM t', { schemaId: 99 }), location: 's3://b/w/ns/v', properties: { owner: 'me' } }, 'a1b2c3d4-0000-4000-8000-000000000001');

const invalid = (code: string) => (e: unknown) => e instanceof FloeError && e.code === code;

test('a new view: its schema is schema 0, its version current (schema id replaced), one log entry', () => {
  const m = created();
  assert.equal(m.formatVersion, 1);
  assert.equal(m.viewUuid, 'a1b2c3d4-0000-4000-8000-000000000001');
  assert.equal(m.location, 's3://b/w/ns/v');
  assert.deepEqual(m.schemas, [{ ...schema, schemaId: 0 }]);
  assert.equal(m.currentVersionId, 1);
  assert.equal(currentVersion(m).schemaId, 0);
  assert.deepEqual(m.versionLog, [{ versionId: 1, timestampMs: 1_700_000_000_000 }]);
  assert.deepEqual(m.properties, { owner: 'me' });
  assert.match(nextMetadataLocation(m, undefined), /^s3:\/\/b\/w\/ns\/v\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
});

test('view metadata JSON: the spec field names, and a round trip gives the same metadata', () => {
  const m = created();
  const j = viewMetadataToJson(m) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), ['view-uuid', 'format-version', 'location', 'schemas', 'current-version-id', 'versions', 'version-log', 'properties']);
  const v = (j.versions as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['version-id', 'timestamp-ms', 'schema-id', 'summary', 'representations', 'default-catalog', 'default-namespace']);
  assert.deepEqual(viewMetadataFromJson(parseJson(stringifyJson(j))), m);
  assert.throws(() => viewMetadataFromJson({ ...j, versions: 'no' }), invalid('METADATA_INVALID'));
});

test('replace: a new schema and version, -1 for the last added, the log grows', () => {
  const base = created();
  const m = applyViewUpdates(base, [
    { action: 'add-schema', schema: wider },
    { action: 'add-view-version', viewVersion: version('SELECT x, y FROM t', { versionId: 1, schemaId: -1, timestampMs: 1_700_000_001_000 }) },
    { action: 'set-current-view-version', viewVersionId: -1 },
    { action: 'set-properties', updates: { comment: 'two' } },
    { action: 'remove-properties', removals: ['owner'] },
  ]);
  assert.deepEqual(m.schemas.map((s) => s.schemaId), [0, 1]);
  assert.equal(m.currentVersionId, 2, 'the id is one past the highest');
  assert.equal(currentVersion(m).schemaId, 1);
  assert.deepEqual(m.versionLog, [
    { versionId: 1, timestampMs: 1_700_000_000_000 },
    { versionId: 2, timestampMs: 1_700_000_001_000 },
  ]);
  assert.deepEqual(m.properties, { comment: 'two' });
  assert.equal(base.versions.length, 1, 'the base is not changed');
});

test('replace: an equal schema and an equal version are reused; an old version made current is logged at now', () => {
  const base = created();
  const two = applyViewUpdates(base, [
    { action: 'add-view-version', viewVersion: version('SELECT 2', { timestampMs: 5 }) },
    { action: 'set-current-view-version', viewVersionId: -1 },
  ]);
  const back = applyViewUpdates(
    two,
    [
      { action: 'add-schema', schema: { ...schema, schemaId: 3 } },
      { action: 'add-view-version', viewVersion: version('SELECT x FROM t', { versionId: 9, schemaId: -1, timestampMs: 6 }) },
      { action: 'set-current-view-version', viewVersionId: -1 },
    ],
    { now: () => 42 },
  );
  assert.equal(back.schemas.length, 1);
  assert.equal(back.versions.length, 2);
  assert.equal(back.currentVersionId, 1);
  assert.deepEqual(back.versionLog.at(-1), { versionId: 1, timestampMs: 42 });
  const same = applyViewUpdates(back, [{ action: 'set-current-view-version', viewVersionId: 1 }]);
  assert.equal(same.versionLog.length, back.versionLog.length, 'no entry when the current version does not change');
});

test('refused updates: unknown versions and schemas, duplicate or dropped dialects, format versions, uuids', () => {
  const base = created();
  const refused = (updates: ViewUpdate[], code = 'UPDATE_INVALID') => assert.throws(() => applyViewUpdates(base, updates), invalid(code), JSON.stringify(updates));
  refused([{ action: 'set-current-view-version', viewVersionId: 5 }]);
  refused([{ action: 'set-current-view-version', viewVersionId: -1 }]);
  refused([{ action: 'add-view-version', viewVersion: version('x', { schemaId: -1 }) }]);
  refused([{ action: 'add-view-version', viewVersion: version('x', { schemaId: 4 }) }]);
  refused([{ action: 'add-view-version', viewVersion: version('x', { representations: [{ type: 'sql', sql: 'a', dialect: 'Spark' }, { type: 'sql', sql: 'b', dialect: 'spark' }] }) }]);
  const trinoOnly = version('SELECT 3', { representations: [{ type: 'sql', sql: 'SELECT 3', dialect: 'trino' }] });
  refused([{ action: 'add-view-version', viewVersion: trinoOnly }, { action: 'set-current-view-version', viewVersionId: -1 }]);
  const allowed = applyViewUpdates(base, [
    { action: 'set-properties', updates: { 'replace.drop-dialect.allowed': 'true' } },
    { action: 'add-view-version', viewVersion: trinoOnly },
    { action: 'set-current-view-version', viewVersionId: -1 },
  ]);
  assert.equal(currentVersion(allowed).representations.length, 1);
  refused([{ action: 'upgrade-format-version', formatVersion: 2 }]);
  refused([{ action: 'upgrade-format-version', formatVersion: 0 }]);
  refused([{ action: 'assign-uuid', uuid: 'another' }]);
  assert.equal(applyViewUpdates(base, [{ action: 'assign-uuid', uuid: base.viewUuid.toUpperCase() }]).viewUuid, base.viewUuid.toUpperCase());
  refused([{ action: 'set-properties', updates: { 'version.history.num-entries': '0' } }]);
  assert.throws(() => applyViewUpdates(undefined, [{ action: 'assign-uuid', uuid: 'u' }]), invalid('METADATA_INVALID'));
  assert.equal(applyViewUpdates(base, [{ action: 'set-location', location: 's3://b/elsewhere/' }]).location, 's3://b/elsewhere');
});

test('assert-view-uuid: equal (any case) passes, another uuid is a 409 CommitFailedException', () => {
  const m = created();
  checkViewRequirement(m, viewRequirementFromJson({ type: 'assert-view-uuid', uuid: m.viewUuid.toUpperCase() }));
  const err = (() => {
    try {
      checkViewRequirement(m, { type: 'assert-view-uuid', uuid: 'other' });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.deepEqual(toErrorModel(err).error.type, 'CommitFailedException');
  assert.equal(toErrorModel(err).error.code, 409);
  assert.throws(() => viewRequirementFromJson({ type: 'assert-table-uuid', uuid: 'x' }), invalid('UPDATE_INVALID'));
  assert.throws(() => viewRequirementFromJson({ type: 'assert-view-uuid' }), invalid('UPDATE_INVALID'));
});

test('view updates from JSON: the view actions, the shared ones, and table-only actions refused', () => {
  const add = viewUpdateFromJson({
    action: 'add-view-version',
    'view-version': { 'version-id': 2, 'timestamp-ms': 10, 'schema-id': -1, summary: {}, representations: [{ type: 'sql', sql: 'SELECT 1', dialect: 'spark' }], 'default-namespace': [] },
  });
  assert.equal(add.action === 'add-view-version' && add.viewVersion.schemaId, -1);
  assert.deepEqual(viewUpdateFromJson({ action: 'set-current-view-version', 'view-version-id': -1 }), { action: 'set-current-view-version', viewVersionId: -1 });
  assert.deepEqual(viewUpdateFromJson({ action: 'set-properties', updates: { a: 'b' } }), { action: 'set-properties', updates: { a: 'b' } });
  assert.equal(viewUpdateFromJson({ action: 'add-schema', schema: { type: 'struct', 'schema-id': 0, fields: [] } }).action, 'add-schema');
  for (const bad of [{ action: 'add-spec', spec: {} }, { action: 'set-current-view-version' }, { action: 'add-view-version', 'view-version': { 'version-id': 1 } }, { action: 'nope' }, null]) {
    assert.throws(() => viewUpdateFromJson(bad), (e: unknown) => e instanceof FloeError, JSON.stringify(bad));
  }
  const other = { 'version-id': 2, 'timestamp-ms': 10, 'schema-id': 0, summary: {}, representations: [{ type: 'substrait', plan: 'AAAA' }], 'default-namespace': ['n'] };
  assert.throws(() => viewUpdateFromJson({ action: 'add-view-version', 'view-version': other }), invalid('UPDATE_INVALID'), 'a client adds SQL representations only');
  const file = viewMetadataToJson(created());
  const read = viewMetadataFromJson({ ...file, versions: [other] });
  assert.deepEqual(read.versions[0]?.representations, [{ type: 'substrait', plan: 'AAAA' }], 'a file’s other representation kinds are carried');
});

test('property: under any sequence of replaces, the current version is kept, versions are bounded and the log names only kept versions', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.record({ sql: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), back: fc.option(fc.nat(8), { nil: undefined }) }), { maxLength: 25 }),
      (history, steps) => {
        let m = applyViewUpdates(created(), [{ action: 'set-properties', updates: { 'version.history.num-entries': String(history) } }]);
        let t = 1_700_000_000_001;
        for (const s of steps) {
          const ids = m.versions.map((v) => v.versionId);
          const updates: ViewUpdate[] =
            s.back !== undefined && ids.length > 1
              ? [{ action: 'set-current-view-version', viewVersionId: ids[s.back % ids.length] as number }]
              : [
                  { action: 'add-view-version', viewVersion: version(`SELECT '${s.sql}'`, { timestampMs: t++ }) },
                  { action: 'set-current-view-version', viewVersionId: -1 },
                ];
          const before = m.versionLog.length;
          m = applyViewUpdates(m, updates, { now: () => t++ });
          assert.ok(m.versions.some((v) => v.versionId === m.currentVersionId));
          assert.ok(m.versions.length <= history, `${m.versions.length} versions kept, history ${history}`);
          const kept = new Set(m.versions.map((v) => v.versionId));
          assert.ok(m.versionLog.every((e) => kept.has(e.versionId)));
          assert.equal(m.versionLog.at(-1)?.versionId, m.currentVersionId);
          assert.ok(m.versionLog.length <= before + 1);
          assert.deepEqual(viewMetadataFromJson(parseJson(stringifyJson(viewMetadataToJson(m)))), m);
        }
      },
    ),
    { numRuns: 200 },
  );
});
