/** Writer schemas (Avro, JSON Schema, declared columns) -> Iceberg schemas for auto-create. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroToIceberg, declaredSchema, jsonSchemaToIceberg } from '../../../src/decode/index.js';
import { isFloeError } from '../../../src/errors.js';
import { validateSchema } from '../../../src/spec/schema.js';
import type { IcebergType, NestedField, Schema } from '../../../src/spec/types.js';

/** `name:type[?]` per field, nested types spelled out, ids shown, for compact comparisons. */
function show(t: IcebergType): string {
  switch (t.type) {
    case 'struct':
      return `struct<${t.fields.map(field).join(', ')}>`;
    case 'list':
      return `list<${t.elementId}:${show(t.element)}${t.elementRequired ? '' : '?'}>`;
    case 'map':
      return `map<${t.keyId}:${show(t.key)}, ${t.valueId}:${show(t.value)}${t.valueRequired ? '' : '?'}>`;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'fixed':
      return `fixed[${t.length}]`;
    default:
      return t.type;
  }
}
const field = (f: NestedField) => `${f.id}:${f.name}:${show(f.type)}${f.required ? '' : '?'}`;
const fields = (s: Schema) => s.fields.map(field);

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e) => isFloeError(e, 'SCHEMA_INVALID') && re.test(e.message));
}

test('Avro -> Iceberg: every logical type, optional = union with null, ids top level first', () => {
  const s = avroToIceberg({
    type: 'record',
    name: 'Order',
    namespace: 'shop',
    fields: [
      { name: 'order_id', type: 'long', doc: 'the id' },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
      { name: 'fee', type: ['null', { type: 'fixed', name: 'Fee', size: 8, logicalType: 'decimal', precision: 10, scale: 4 }], default: null },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'tod', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'tod_us', type: { type: 'long', logicalType: 'time-micros' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'at_us', type: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true } },
      { name: 'naive', type: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false } },
      { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'local_us', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'id2', type: { type: 'fixed', name: 'U', size: 16, logicalType: 'uuid' } },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
      { name: 'blob', type: 'bytes' },
      { name: 'ok', type: 'boolean' },
      { name: 'ratio', type: 'float' },
      { name: 'score', type: ['double', 'null'] },
      { name: 'n', type: { type: 'int' } },
    ],
  });
  assert.deepEqual(fields(s), [
    '1:order_id:long', '2:amount:decimal(12,2)', '3:fee:decimal(10,4)?', '4:day:date', '5:tod:time', '6:tod_us:time',
    '7:at:timestamptz', '8:at_us:timestamptz', '9:naive:timestamp', '10:local:timestamp', '11:local_us:timestamp',
    '12:id:uuid', '13:id2:uuid', '14:status:string', '15:hash:fixed[4]', '16:blob:binary', '17:ok:boolean', '18:ratio:float',
    '19:score:double?', '20:n:int',
  ]);
  assert.equal(s.fields[0]?.doc, 'the id');
  validateSchema(s);
});

test('Avro -> Iceberg: nested records, arrays, maps and named references get ids breadth-first', () => {
  const s = avroToIceberg({
    type: 'record',
    name: 'Order',
    namespace: 'shop',
    fields: [
      { name: 'customer', type: ['null', { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: ['null', 'int'] }] }] },
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'attrs', type: { type: 'map', values: 'long' } },
      { name: 'previous', type: ['null', 'shop.Customer'] },
      { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }] } } },
    ],
  });
  assert.deepEqual(fields(s), [
    '1:customer:struct<6:name:string, 7:tier:int?>?',
    '2:tags:list<8:string?>',
    '3:attrs:map<9:string, 10:long>',
    '4:previous:struct<11:name:string, 12:tier:int?>?',
    '5:lines:list<13:struct<14:sku:string>>',
  ]);
  validateSchema(s);
});

test('Avro -> Iceberg: what has no Iceberg type is refused with the field path', () => {
  refused(() => avroToIceberg({ type: 'record', name: 'R', fields: [{ name: 'v', type: ['string', 'long'] }] }), /^v: the union .* has 2 non-null branches/);
  refused(() => avroToIceberg({ type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] }), /^next: the record 'Node' contains itself/);
  refused(() => avroToIceberg({ type: 'record', name: 'R', fields: [{ name: 'x', type: { type: 'record', name: 'S', fields: [{ name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 40, scale: 0 } }] } }] }), /^x\.d: decimal precision 40 is outside Iceberg's 1\.\.38/);
  refused(() => avroToIceberg('string'), /must be an Avro record/);
  refused(() => avroToIceberg({ type: 'record', name: 'R', fields: [{ name: 'c', type: 'other.Thing' }] }), /^c: Avro type 'other\.Thing' is not defined/);
});

test('Avro -> Iceberg: referenced schemas (registry references) define named types', () => {
  const s = avroToIceberg({ type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'c', type: 'shop.Customer' }] }, [
    { type: 'record', name: 'Customer', namespace: 'shop', fields: [{ name: 'id', type: 'long' }] },
  ]);
  assert.deepEqual(fields(s), ['1:c:struct<2:id:long>']);
});

test('JSON Schema -> Iceberg: formats, nullability, required, $ref, maps and Connect types', () => {
  const s = jsonSchemaToIceberg({
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      id: { type: 'integer', description: 'the id' },
      small: { type: 'integer', 'connect.type': 'int32' },
      price: { type: 'number' },
      f: { type: 'number', 'connect.type': 'float32' },
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      tod: { type: 'string', format: 'time' },
      uid: { type: 'string', format: 'uuid' },
      raw: { type: 'string', contentEncoding: 'base64' },
      note: { type: ['null', 'string'] },
      status: { enum: ['NEW', 'PAID'] },
      customer: { $ref: '#/$defs/Customer' },
      tags: { type: 'array', items: { type: 'string' } },
      attrs: { type: 'object', additionalProperties: { type: 'integer' } },
      maybe: { oneOf: [{ type: 'null' }, { type: 'boolean' }] },
    },
    required: ['id', 'note', 'customer'],
    $defs: { Customer: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  });
  assert.deepEqual(fields(s), [
    '1:id:long', '2:small:int?', '3:price:double?', '4:f:float?', '5:at:timestamptz?', '6:day:date?', '7:tod:time?', '8:uid:uuid?',
    '9:raw:binary?', '10:note:string?', '11:status:string?', '12:customer:struct<16:name:string>', '13:tags:list<17:string>?',
    '14:attrs:map<18:string, 19:long>?', '15:maybe:boolean?',
  ]);
  assert.equal(s.fields[0]?.doc, 'the id');
  validateSchema(s);
  refused(() => jsonSchemaToIceberg({ type: 'object', properties: { n: { $ref: '#/$defs/N' } }, $defs: { N: { type: 'object', properties: { n: { $ref: '#/$defs/N' } } } } }), /^n\.n: \$ref '#\/\$defs\/N' refers to itself/);
  refused(() => jsonSchemaToIceberg({ type: 'object', properties: { v: { type: ['string', 'integer'] } } }), /^v: type \["string","integer"\] has no Iceberg type/);
  refused(() => jsonSchemaToIceberg({ type: 'array', items: { type: 'string' } }), /must be an object to become a table/);
});

test('declared columns -> Iceberg: top-level ids 1..n, nested after, Iceberg type syntax', () => {
  const s = declaredSchema([
    { name: 'id', type: 'long', required: true },
    { name: 'amount', type: 'decimal(10, 2)', required: false },
    { name: 'device', type: 'struct<os: string not null, sizes: list<int>>', required: false },
    { name: 'attrs', type: 'map<string, fixed[4]>', required: false },
  ]);
  assert.deepEqual(fields(s), ['1:id:long', '2:amount:decimal(10,2)?', '3:device:struct<5:os:string, 6:sizes:list<7:int?>?>?', '4:attrs:map<8:string, 9:fixed[4]?>?']);
  validateSchema(s);
  assert.throws(() => declaredSchema([{ name: 'x', type: 'map<list<int>, int>', required: false }]), (e) => isFloeError(e, 'SCHEMA_INVALID') && /map keys must be a primitive type/.test(e.message));
  assert.deepEqual(fields(declaredSchema({ type: 'object', properties: { a: { type: 'string' } } })), ['1:a:string?']);
});
