import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { interpolateEnv, loadConfig, parseConfig, parsePartitionExpr } from '../../../src/config/index.js';
import { isFloeError } from '../../../src/errors.js';

const good = `
kafka:
  brokers: ["\${BROKER:-127.0.0.1:9092}"]
  groupId: floe-orders
registry:
  url: http://127.0.0.1:8081/apis/ccompat/v7
commit:
  interval: 2s
writer:
  targetFileSize: 64MiB
mappings:
  - topics: [orders]
    table: shop.orders
    partitionBy: ["day(event_time)", "bucket(16, order_id)", merchant]
    kafkaColumns: [partition, offset]
`;

/** The error text of a refused config; every line must be `floe.yaml:<line>: <key>: <message>`. */
function refused(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, 'floe.yaml', { env });
  } catch (err) {
    assert.ok(isFloeError(err, 'CONFIG_INVALID'), String(err));
    for (const line of err.message.split('\n')) assert.match(line, /^floe\.yaml(:\d+)?: (\S+|YAML syntax error): \S/, `not one line naming a key: ${line}`);
    return err.message;
  }
  assert.fail('the config was accepted');
}

/** Asserts exactly one error line and that it matches. */
function one(text: string, re: RegExp, env: NodeJS.ProcessEnv = {}): void {
  const msg = refused(text, env);
  assert.equal(msg.split('\n').length, 1, msg);
  assert.match(msg, re);
}

test('a good config parses with defaults, env interpolation, durations, sizes and partition expressions', () => {
  const c = parseConfig(good, 'floe.yaml', {});
  assert.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(c.kafka.clientId, 'floe');
  assert.equal(c.kafka.autoOffsetReset, 'earliest');
  assert.equal(c.commit.interval, 2000);
  assert.equal(c.commit.offsetsOnlyInterval, 300_000);
  assert.equal(c.writer.targetFileSize, 64 * 1024 * 1024);
  assert.equal(c.writer.compression, 'zstd');
  assert.equal(c.registry?.cacheSize, 1000);
  assert.equal(c.registry?.timeoutMs, 10_000);
  assert.equal(c.http.port, 9464);
  assert.equal(c.catalog, undefined, 'no catalog section means the embedded catalog');
  const m = c.mappings[0];
  assert.equal(m?.mode, 'append');
  assert.equal(m?.format, 'avro');
  assert.equal(m?.autoCreate, true);
  assert.equal(m?.schemaEvolution, 'none');
  assert.deepEqual(m?.partitionBy.map((p) => `${p.transform.kind}:${p.column}`), ['day:event_time', 'bucket:order_id', 'identity:merchant']);
  assert.equal(parseConfig(good, 'f', { env: { BROKER: 'kafka:29092' } }).kafka.brokers[0], 'kafka:29092');
});

test('every section a deployment uses is accepted and typed', () => {
  const c = parseConfig(
    `kafka:
  brokers: [b1:9093, b2:9093]
  clientId: floe-prod
  sasl: {mechanism: scram-sha-512, username: floe, password: "\${KPASS}"}
  ssl: true
  fetch: {minBytes: 1KiB, maxBytes: 32MiB, maxWait: 250ms}
  autoOffsetReset: latest
registry: {url: "https://registry.example.com", token: abc, cacheSize: 50, timeout: 3s}
catalog:
  uri: https://catalog.example.com/api
  warehouse: prod
  prefix: ws1
  oauth2: {clientId: id, clientSecret: secret, scope: PRINCIPAL_ROLE:ALL}
  properties: {header.X-Iceberg-Access-Delegation: vended-credentials}
storage:
  s3: {endpoint: "http://127.0.0.1:9000", region: eu-west-1, pathStyle: true, accessKeyId: a, secretAccessKey: b}
commit: {interval: 1s, maxBytesPerTable: 128MiB, offsetsOnlyInterval: 10m}
writer: {targetFileSize: 256MiB, compression: snappy, rowGroupSize: 50000}
memoryLimit: 1GiB
http: {host: 0.0.0.0, port: 9000}
deadLetter: {table: ops.dead_letters}
mappings:
  - topicPattern: "orders-.*"
    table: shop.orders
    route: {field: region, tables: {eu: shop.orders_eu, us: shop.orders_us}, default: shop.orders_other}
    deadLetter: {topic: orders-dlq}
  - topics: [clicks]
    table: web.clicks
    format: json
    schema:
      - {name: id, type: long, required: true}
      - {name: tags, type: "list<string>"}
      - {name: device, type: "struct<os: string, version: int not null>"}
  - topics: [orders]
    table: shop.revenue_per_minute
    mode: rollup
    rollup:
      timeField: event_time
      window: 1m
      groupBy: [merchant, customer.country]
      measures: [count, sum(amount) as revenue, min(amount), max(amount)]
      lateness: 1h
`,
    'floe.yaml',
    { env: { KPASS: 'p' } },
  );
  assert.deepEqual(c.kafka.sasl, { mechanism: 'scram-sha-512', username: 'floe', password: 'p' });
  assert.deepEqual(c.kafka.fetch, { minBytes: 1024, maxBytes: 32 * 1024 * 1024, maxBytesPerPartition: 10 * 1024 * 1024, maxWait: 250 });
  assert.equal(c.registry?.timeoutMs, 3000);
  assert.equal(c.memoryLimit, 1024 ** 3);
  assert.equal(c.commit.offsetsOnlyInterval, 600_000);
  assert.ok(c.mappings[0]?.topicPattern?.test('orders-eu') && !c.mappings[0].topicPattern.test('xorders-eu'), 'patterns are anchored');
  const r = c.mappings[2]?.rollup;
  assert.equal(r?.window, 60_000);
  assert.equal(r?.lateness, 3_600_000);
  assert.deepEqual(r?.measures.map((x) => x.name), ['count', 'revenue', 'min_amount', 'max_amount']);
  assert.deepEqual(r?.measures[1], { fn: 'sum', field: 'amount', name: 'revenue' });
});

test('SASL OAUTHBEARER is kept apart from password SASL and needs TLS', () => {
  const base = good.replace('groupId: floe-orders', 'groupId: g\n  sasl: {mechanism: oauthbearer, tokenEndpoint: "https://idp/token", clientId: c, clientSecret: s}');
  const c = parseConfig(base.replace('groupId: g', 'groupId: g\n  ssl: true'), 'floe.yaml', {});
  assert.equal(c.kafka.sasl, undefined);
  assert.deepEqual(c.kafka.oauthbearer, { tokenEndpoint: 'https://idp/token', clientId: 'c', clientSecret: 's' });
  one(base, /^floe\.yaml:\d+: kafka\.ssl: oauthbearer sends a bearer token: enable ssl as well$/);
});

test('a missing key is named', () => {
  one('registry: {url: "http://r"}\nmappings:\n  - topics: [a]\n    table: db.t\n', /^floe\.yaml:1: kafka: required key is missing \(expected object\)$/);
  one(good.replace('    table: shop.orders\n', ''), /^floe\.yaml:12: mappings\[0\]\.table: required key is missing \(expected string\)$/);
  one(good.replace('  - topics: [orders]\n', '  - format: avro\n'), /mappings\[0\]\.topics: required key is missing: give topics \(a list\) or topicPattern/);
  one(good.replace(/registry:\n.*\n/, ''), /^floe\.yaml:\d+: registry: format 'avro' reads schemas from a registry: add a registry section with its url$/);
});

test('a wrong type is named with the value', () => {
  one(good.replace('interval: 2s', 'interval: [2]'), /^floe\.yaml:8: commit\.interval: .* \(got \[2\]\)$/);
  one(good.replace('groupId: floe-orders', 'groupId: floe\nhttp: {port: "abc"}'), /^floe\.yaml:5: http\.port: expected number \(got 'abc'\)$/);
  one(good.replace('kafkaColumns: [partition, offset]', 'kafkaColumns: partition'), /mappings\[0\]\.kafkaColumns: expected array \(got 'partition'\)/);
  one(good.replace('brokers: ["${BROKER:-127.0.0.1:9092}"]', 'brokers: [localhost]'), /kafka\.brokers\[0\]: must be host:port \(got 'localhost'\)/);
});

test('an unknown mapping mode is refused; rollup and upsert need their sections', () => {
  one(good.replace('table: shop.orders', 'table: shop.orders\n    mode: merge'), /^floe\.yaml:\d+: mappings\[0\]\.mode: 'merge' is not a mapping mode; use 'append', 'rollup' or 'upsert'$/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    mode: upsert'), /^floe\.yaml:\d+: mappings\[0\]\.upsert: mode 'upsert' needs an upsert section: \{key: \[field, \.\.\.\]\}$/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    mode: rollup'), /mappings\[0\]\.rollup: mode 'rollup' needs a rollup section/);
});

test('upsert mappings: the key, deleteWhen, and what upsert cannot have yet, each refused with its key', () => {
  const upsert = good.replace('table: shop.orders', 'table: shop.orders\n    mode: upsert\n    upsert: {key: [order_id], deleteWhen: {field: op, equals: d}}').replace('"day(event_time)", "bucket(16, order_id)", merchant', '"bucket(16, order_id)"');
  const c = parseConfig(upsert, 'floe.yaml', {});
  assert.equal(c.mappings[0]?.mode, 'upsert');
  assert.deepEqual(c.mappings[0]?.upsert, { key: ['order_id'], deleteWhen: { field: 'op', equals: 'd' } });
  assert.deepEqual(parseConfig(upsert.replace('equals: d', 'equals: true'), 'floe.yaml', {}).mappings[0]?.upsert?.deleteWhen, { field: 'op', equals: 'true' }, 'a YAML boolean is compared as its text');
  one(upsert.replace('"bucket(16, order_id)"', '"day(event_time)"'), /mappings\[0\]\.partitionBy\[0\]: 'day\(event_time\)' partitions by 'event_time', which is not a key field: .*partition by key fields only/);
  one(upsert.replace('key: [order_id]', 'key: []'), /mappings\[0\]\.upsert\.key: name at least one key field/);
  // Two problems: the nested key, and the partition by a field that is then not a key.
  assert.match(refused(upsert.replace('key: [order_id]', 'key: [customer.id]')), /^floe\.yaml:15: mappings\[0\]\.upsert\.key\[0\]: must be a top-level field name.*\n.*partitionBy\[0\]: .* not a key field/);
  one(upsert.replace('key: [order_id]', 'key: [order_id, order_id]'), /mappings\[0\]\.upsert\.key: a key field is listed twice/);
  one(upsert.replace('kafkaColumns:', 'compact: {every: 1m}\n    kafkaColumns:'), /mappings\[0\]\.compact: Floe does not compact tables with deletes yet/);
  one(upsert.replace('kafkaColumns:', 'schemaEvolution: add-columns\n    kafkaColumns:'), /mappings\[0\]\.schemaEvolution: schema evolution is not available with mode: upsert yet/);
  one(upsert.replace('kafkaColumns:', 'route: {field: merchant, tables: {a: shop.a}}\n    kafkaColumns:'), /mappings\[0\]\.route: routing by a field is not available with mode: upsert/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    upsert: {key: [order_id]}'), /mappings\[0\]\.mode: an upsert section needs mode: upsert/);
});

test('a bad regex is refused with the key', () => {
  one(good.replace('topics: [orders]', 'topicPattern: "orders-(["'), /^floe\.yaml:12: mappings\[0\]\.topicPattern: 'orders-\(\[' is not a valid regular expression: .*Unterminated/);
});

test('bad durations and sizes are refused with the key and the expected form', () => {
  one(good.replace('interval: 2s', 'interval: 2 weeks'), /commit\.interval: '2 weeks' is not a duration; write e\.g\. 500ms, 10s, 2m or 1h$/);
  one(good.replace('interval: 2s', 'interval: 200ms'), /commit\.interval: '200ms' is too short; the minimum is 1s$/);
  one(good.replace('targetFileSize: 64MiB', 'targetFileSize: lots'), /writer\.targetFileSize: 'lots' is not a size; write e\.g\. 64MiB, 1GB or a number of bytes$/);
  one(good.replace('targetFileSize: 64MiB', 'targetFileSize: -5'), /writer\.targetFileSize: '-5' is not a size/);
});

test('unknown keys get a did-you-mean from the schema, at every depth', () => {
  one(good.replace('groupId: floe-orders', 'groupID: floe-orders'), /^floe\.yaml:4: kafka\.groupID: unknown key; did you mean 'groupId'\?$/);
  one(good.replace('partitionBy:', 'partitonBy:'), /^floe\.yaml:14: mappings\[0\]\.partitonBy: unknown key; did you mean 'partitionBy'\?$/);
  one(`${good}memoryLimt: 1GiB\n`, /^floe\.yaml:\d+: memoryLimt: unknown key; did you mean 'memoryLimit'\?$/);
  one(good.replace('url: http', 'cacheSiz: 5\n  url: http'), /registry\.cacheSiz: unknown key; did you mean 'cacheSize'\?$/);
  const oauth = refused(`${good}catalog: {uri: "http://c", oauth2: {clientID: a, clientSecret: b}}\n`);
  assert.match(oauth, /^floe\.yaml:16: catalog\.oauth2\.clientID: unknown key; did you mean 'clientId'\?$/m);
  assert.match(oauth, /^floe\.yaml:16: catalog\.oauth2\.clientId: required key is missing \(expected string\)$/m);
  one(good.replace('kafkaColumns: [partition, offset]', 'mode: rollup\n    rollup: {timeField: t, window: 1m, measures: [count], groupby: [m]}'), /mappings\[0\]\.rollup\.groupby: unknown key; did you mean 'groupBy'\?/);
  one(good.replace('groupId: floe-orders', 'zzzzzz: 1'), /kafka\.zzzzzz: unknown key; expected one of brokers, clientId, groupId, sasl, ssl, fetch, autoOffsetReset, sessionTimeout$/);
});

test('all problems are reported at once, one line each, in file order', () => {
  const msg = refused(
    good
      .replace('groupId: floe-orders', 'groupID: x')
      .replace('interval: 2s', 'interval: soon')
      .replace('table: shop.orders', 'table: orders\n    mode: upsurt')
      .replace('"day(event_time)"', '"weekly(event_time)"'),
  );
  const lines = msg.split('\n');
  assert.equal(lines.length, 5, msg);
  assert.deepEqual(
    lines.map((l) => l.split(': ')[1]),
    ['kafka.groupID', 'commit.interval', 'mappings[0].table', 'mappings[0].mode', 'mappings[0].partitionBy[0]'],
  );
  const numbers = lines.map((l) => Number(/^floe\.yaml:(\d+):/.exec(l)?.[1]));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
});

test('environment variables: unset without default refused with name, line and key; defaults and empty values as a shell', () => {
  one('kafka:\n  brokers: ["${KAFKA}"]\n', /^floe\.yaml:2: brokers: environment variable KAFKA is not set; set it or write \$\{KAFKA:-default\}$/);
  const both = refused('kafka:\n  brokers: ["${A}"]\n  groupId: ${B}\n');
  assert.equal(both.split('\n').length, 2, 'every unset variable is reported');
  const withEmpty = good.replace('groupId: floe-orders', 'groupId: "g${SUFFIX}"\n  clientId: ${CID:-floe-x}');
  const c = parseConfig(withEmpty, 'f', { env: { SUFFIX: '', CID: '' } });
  assert.equal(c.kafka.groupId, 'g', '${X} of an empty variable is empty');
  assert.equal(c.kafka.clientId, 'floe-x', '${X:-d} of an empty variable is the default');
  // (a replacer function: a replacement string would read $$ as one $)
  const escaped = parseConfig(good.replace('groupId: floe-orders', () => 'groupId: "$${NOT_A_VAR}" # ${ALSO_NOT} in a comment'), 'f', {});
  assert.equal(escaped.kafka.groupId, '${NOT_A_VAR}');
});

test('YAML syntax errors name the line', () => {
  one('kafka:\n  brokers: [a:1\nmappings: []\n', /^floe\.yaml:\d+: YAML syntax error: /);
  one('kafka: {brokers: [a:1]}\nkafka: {brokers: [b:1]}\n', /^floe\.yaml:2: YAML syntax error: .*[Uu]nique/);
});

test('partition expressions: Iceberg and Spark spellings parse, bad ones name the entry', () => {
  const c = parseConfig(good.replace('"day(event_time)", "bucket(16, order_id)", merchant', '"days(ts)", "hour(ts)", "truncate(4, name)", "truncate(code, 2)", "bucket(8, customer.id)", "void(x)", "identity(y)"'), 'f', {});
  assert.deepEqual(c.mappings[0]?.partitionBy.map((p) => [p.column, p.transform]), [
    ['ts', { kind: 'day' }],
    ['ts', { kind: 'hour' }],
    ['name', { kind: 'truncate', width: 4 }],
    ['code', { kind: 'truncate', width: 2 }],
    ['customer.id', { kind: 'bucket', n: 8 }],
    ['x', { kind: 'void' }],
    ['y', { kind: 'identity' }],
  ]);
  one(good.replace('"day(event_time)"', '"weekly(event_time)"'), /partitionBy\[0\]: 'weekly\(event_time\)': unknown transform 'weekly'/);
  one(good.replace('"bucket(16, order_id)"', '"bucket(0, order_id)"'), /partitionBy\[1\]: 'bucket\(0, order_id\)': the width 0 must be a positive integer/);
  one(good.replace('"bucket(16, order_id)"', '"bucket(order_id)"'), /partitionBy\[1\]: 'bucket\(order_id\)': bucket needs a width: write e\.g\. bucket\(16, order_id\)/);
  one(good.replace('merchant]', 'merchant, "day(event_time)"]'), /partitionBy\[3\]: 'day\(event_time\)' repeats a partition field/);
});

test('json needs a declared schema; column types are checked; a JSON Schema object is accepted', () => {
  one(good.replace('table: shop.orders', 'table: shop.orders\n    format: json'), /^floe\.yaml:\d+: mappings\[0\]\.schema: format 'json' needs a declared schema/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    format: json\n    schema: [{name: a, type: "decimal(40, 2)"}]'), /mappings\[0\]\.schema\[0\]\.type: 'decimal\(40, 2\)' is not an Iceberg type: decimal precision 40 is outside 1\.\.38/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    format: json\n    schema: [{name: a, type: long}, {name: a, type: int}]'), /mappings\[0\]\.schema\[1\]\.name: column 'a' is declared twice/);
  const c = parseConfig(good.replace('table: shop.orders', 'table: shop.orders\n    format: json\n    schema: {type: object, properties: {id: {type: integer}}, required: [id]}'), 'f', {});
  assert.deepEqual(c.mappings[0]?.schema, { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] });
});

test('rollup sections are checked for shape; semantics against the schema come later', () => {
  const rollup = (r: string) => good.replace('kafkaColumns: [partition, offset]', `mode: rollup\n    rollup: ${r}`);
  one(rollup('{window: 1m, measures: [count]}'), /mappings\[0\]\.rollup\.timeField: give exactly one of timeField \(an event-time field\) or kafkaTimestamp: true/);
  assert.equal(parseConfig(rollup('{kafkaTimestamp: true, window: 1h, measures: [count]}'), 'f', {}).mappings[0]?.rollup?.window, 3_600_000);
  one(rollup('{timeField: ts, window: 0s, measures: [count]}'), /rollup\.window: '0s' is too short; the minimum is 1s/);
  one(rollup('{timeField: ts, window: 1m, measures: []}'), /rollup\.measures: name at least one measure/);
  one(rollup('{timeField: ts, window: 1m, measures: ["avg(x)"]}'), /rollup\.measures\[0\]: 'avg\(x\)' is not a measure; write count, sum\(field\)/);
  one(rollup('{timeField: ts, window: 1m, measures: [count, "sum(x) as count"]}'), /rollup\.measures\[1\]: measure column 'count' is already used/);
  one(rollup('{timeField: ts, window: 1m, groupBy: [window_start], measures: [count]}'), /rollup\.groupBy\[0\]: 'window_start' gives a column 'window_start'/);
  one(good.replace('kafkaColumns: [partition, offset]', 'rollup: {timeField: ts, window: 1m, measures: [count]}'), /mappings\[0\]\.mode: a rollup section needs mode: rollup/);
});

test('TLS files are read at load, relative to the config file; a missing one names its key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-config-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n');
    const text = good.replace('groupId: floe-orders', 'groupId: g\n  ssl: {ca: ./ca.pem, rejectUnauthorized: true}');
    writeFileSync(join(dir, 'floe.yaml'), text);
    const c = loadConfig(join(dir, 'floe.yaml'), {});
    assert.match(String((c.kafka.ssl as { ca?: string }).ca), /^-----BEGIN CERTIFICATE-----/);
    one(text.replace('./ca.pem', './missing.pem'), /^floe\.yaml:5: kafka\.ssl\.ca: cannot read '\.\/missing\.pem' \(ENOENT\); give the path of a PEM file$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('credentials in pairs, and one kind of auth at a time', () => {
  one(`${good}storage: {warehouse: "s3://lake/t", s3: {accessKeyId: a}}\n`, /storage\.s3\.secretAccessKey: give accessKeyId and secretAccessKey together/);
  one(good.replace('url: http', 'token: t\n  username: u\n  url: http'), /registry\.token: give token \(bearer\) or username\/password \(basic\), not both/);
  one(`${good}catalog: {uri: "http://c", token: t, oauth2: {clientId: a, clientSecret: b}}\n`, /catalog\.oauth2: give token or oauth2, not both/);
  one(`${good}storage: {warehouse: /data/wh}\n`, /storage\.warehouse: must be a URI: file:\/\/\/path\/to\/warehouse or s3:\/\/bucket\/prefix/);
});

test('no catalog section: the embedded catalog, its data directory relative to the config file, its warehouse from storage', () => {
  const c = parseConfig(good, 'floe.yaml', { baseDir: '/srv/floe' });
  assert.deepEqual(c.embeddedCatalog, { dataDir: '/srv/floe/floe-data', host: '127.0.0.1', port: 9181, vendCredentials: false });
  const e = parseConfig(`${good}embeddedCatalog: {dataDir: /var/lib/floe, port: 0, store: "postgres://u:p@db:5432/floe"}\nstorage: {warehouse: "s3://lake/tables", s3: {endpoint: "http://127.0.0.1:9000"}}\n`, 'floe.yaml', {});
  assert.equal(e.embeddedCatalog.dataDir, '/var/lib/floe');
  assert.equal(e.embeddedCatalog.port, 0);
  assert.equal(e.embeddedCatalog.store, 'postgres://u:p@db:5432/floe');
  one(`${good}storage: {s3: {endpoint: "http://127.0.0.1:9000"}}\n`, /^floe\.yaml:\d+: storage\.warehouse: the embedded catalog \(no catalog section\) keeps its tables under storage\.warehouse: set it to s3:\/\/bucket\/prefix, or add a catalog section$/);
  one(`${good}embeddedCatalog: {store: "mysql://x"}\n`, /embeddedCatalog\.store: must be sqlite:PATH or postgres:\/\/user:password@host:port\/db/);
  // With a catalog section, S3 without a warehouse is fine: the catalog places the tables.
  assert.ok(parseConfig(`${good}catalog: {uri: "http://c"}\nstorage: {s3: {endpoint: "http://127.0.0.1:9000"}}\n`, 'floe.yaml', {}).catalog);
});

test('a missing config file is one clear line', () => {
  assert.throws(() => loadConfig('does-not-exist.yaml'), (e) => isFloeError(e, 'CONFIG_INVALID') && /cannot read config file 'does-not-exist\.yaml': ENOENT/.test(e.message));
});

test('examples/floe.yaml is a valid config, with its rollup mapping too', () => {
  const path = new URL('../../../examples/floe.yaml', import.meta.url).pathname;
  const c = loadConfig(path, {});
  assert.equal(c.mappings.length, 3);
  assert.equal(c.kafka.groupId, 'floe-orders');
  const [head, rollup] = readFileSync(path, 'utf8').split('# Rollup (issue 7)') as [string, string];
  const text = head + '# Rollup (issue 7)' + rollup.replace(/^ {2}# ( {2}|- )/gm, (_, x: string) => `  ${x}`);
  const withRollup = parseConfig(text, 'floe.yaml', {});
  assert.equal(withRollup.mappings[3]?.mode, 'rollup');
  assert.deepEqual(withRollup.mappings[3]?.compact, { every: 600_000, minFiles: 8, maxRows: 1_000_000 });
  assert.deepEqual(withRollup.mappings[3]?.rollup?.view, { name: 'shop.revenue_per_minute_totals', catalog: 'iceberg' });
  one(text.replace('compact: { every: 10m, minFiles: 8, maxRows', 'compact: { every: 0s, minFiles: 8, maxRows'), /mappings\[3\]\.compact\.every: '0s' is too short; the minimum is 1s/);
  one(text.replace('minFiles: 8, maxRows', 'minFiles: 1, maxRows'), /mappings\[3\]\.compact\.minFiles: /);
  // Snapshot expiry: on by default (hourly, the table's retention settings), off with false.
  assert.deepEqual(withRollup.mappings[0]?.expire, { every: 3_600_000 });
  const firstMapping = /^ {2}- topics: .*$/m;
  assert.match(text, firstMapping);
  const expireLine = (v: string) => text.replace(firstMapping, (l) => `${l}\n    expire: ${v}`);
  assert.equal(parseConfig(expireLine('false'), 'floe.yaml', {}).mappings[0]?.expire, false);
  assert.deepEqual(parseConfig(expireLine('{ every: 10m, olderThan: 2h, retainLast: 20 }'), 'floe.yaml', {}).mappings[0]?.expire, { every: 600_000, olderThan: 7_200_000, retainLast: 20 });
  one(expireLine('{ olderThan: 10s }'), /mappings\[0\]\.expire\.olderThan: '10s' is too short; the minimum is 1m/);
  one(expireLine('{ keep: 3 }'), /mappings\[0\]\.expire/);
  assert.deepEqual(parseConfig(expireLine('{ maxSnapshots: 2000 }'), 'floe.yaml', {}).mappings[0]?.expire, { every: 3_600_000, maxSnapshots: 2000 });
  one(expireLine('{ maxSnapshots: 0 }'), /mappings\[0\]\.expire\.maxSnapshots/);
  // Orphan file removal: on by default (daily, files older than 3 days), off with false.
  assert.deepEqual(withRollup.mappings[0]?.orphans, { every: 86_400_000, olderThan: 259_200_000 });
  const orphansLine = (v: string) => text.replace(firstMapping, (l) => `${l}\n    orphans: ${v}`);
  assert.equal(parseConfig(orphansLine('false'), 'floe.yaml', {}).mappings[0]?.orphans, false);
  assert.deepEqual(parseConfig(orphansLine('{ every: 6h }'), 'floe.yaml', {}).mappings[0]?.orphans, { every: 21_600_000, olderThan: 259_200_000 });
  one(orphansLine('{ olderThan: 30m }'), /mappings\[0\]\.orphans\.olderThan: '30m' is too short; the minimum is 1h/);
  one(orphansLine('{ every: 5s }'), /mappings\[0\]\.orphans\.every: '5s' is too short; the minimum is 1m/);
  one(text.replace('view: { name: shop.revenue_per_minute_totals, catalog: iceberg }', 'view: yes'), /mappings\[3\]\.rollup\.view: expected false or \{name, catalog\}/);
  assert.match(text, /^ {4}mode: rollup\n {4}rollup:$/m);
  one(text.replace(/^ {4}mode: rollup$/m, '    mode: rollup\n    schemaEvolution: add-columns'), /mappings\[3\]\.schemaEvolution: a rollup table's columns come from its rollup section/);
});

test('partition expressions parse back to what they say, in either spelling', () => {
  const col = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}(\.[a-z_][a-z0-9_]{0,5})?$/);
  fc.assert(
    fc.property(col, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (c, n, numberFirst) => {
      const b = parsePartitionExpr(numberFirst ? `bucket(${n}, ${c})` : `bucket( ${c} ,${n} )`);
      assert.deepEqual([b.column, b.transform], [c, { kind: 'bucket', n }]);
      assert.deepEqual(parsePartitionExpr(`truncate(${n}, ${c})`).transform, { kind: 'truncate', width: n });
      assert.deepEqual(parsePartitionExpr(c), { column: c, transform: { kind: 'identity' }, text: c });
    }),
  );
});

test('text without variable references is left exactly as it is', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !s.includes('${')), (s) => {
      assert.equal(interpolateEnv(s, {}, 'f'), s);
    }),
  );
});

test('tableProperties are strings for the catalog; a format or version Floe does not write is refused with the key', () => {
  const c = parseConfig(good.replace('table: shop.orders', 'table: shop.orders\n    tableProperties: {commit.manifest.min-count-to-merge: 10, commit.manifest-merge.enabled: true, write.metadata.previous-versions-max: "50"}'), 'floe.yaml', {});
  assert.deepEqual(c.mappings[0]?.tableProperties, { 'commit.manifest.min-count-to-merge': '10', 'commit.manifest-merge.enabled': 'true', 'write.metadata.previous-versions-max': '50' });
  assert.deepEqual(parseConfig(good, 'floe.yaml', {}).mappings[0]?.tableProperties, {});
  one(good.replace('table: shop.orders', 'table: shop.orders\n    tableProperties: {format-version: 3}'), /^floe\.yaml:\d+: mappings\[0\]\.tableProperties\.format-version: Floe writes format v2 tables: remove format-version or set it to 2 \(got 3\)$/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    tableProperties: {write.format.default: orc}'), /mappings\[0\]\.tableProperties\.write\.format\.default: Floe writes Parquet: remove write\.format\.default or set it to parquet \(got 'orc'\)$/);
  one(good.replace('table: shop.orders', 'table: shop.orders\n    tableProperties: {a: [1]}'), /mappings\[0\]\.tableProperties\.a: expected a string, number or boolean value/);
});
