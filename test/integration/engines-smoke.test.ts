/**
 * The stack's engines agree: a table created and appended to with PyIceberg through the REST
 * catalog reads back with the same values in PyIceberg, Spark SQL and Trino SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyiceberg, pyicebergScan, readCanonical, sparkQuery, tableSchema, trinoQuery } from '../helpers/engines.js';
import { canonicalRows, type Canon } from '../helpers/canonical.js';
import { skipUnless, uniqueName } from '../helpers/stack.js';
import type { Schema } from '../../src/spec/types.js';

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: { type: 'long' } },
    { id: 2, name: 'name', required: false, type: { type: 'string' } },
    { id: 3, name: 'amount', required: false, type: { type: 'decimal', precision: 10, scale: 2 } },
    { id: 4, name: 'price', required: false, type: { type: 'double' } },
    { id: 5, name: 'day', required: false, type: { type: 'date' } },
    { id: 6, name: 'ts', required: false, type: { type: 'timestamptz' } },
    {
      id: 7,
      name: 'info',
      required: false,
      type: { type: 'struct', fields: [{ id: 9, name: 'city', required: false, type: { type: 'string' } }, { id: 10, name: 'zip', required: false, type: { type: 'int' } }] },
    },
    { id: 8, name: 'tags', required: false, type: { type: 'list', elementId: 11, elementRequired: false, element: { type: 'string' } } },
    { id: 12, name: 'local_ts', required: false, type: { type: 'timestamp' } },
    { id: 13, name: 'payload', required: false, type: { type: 'binary' } },
    {
      id: 14,
      name: 'counts',
      required: false,
      type: { type: 'map', keyId: 15, key: { type: 'string' }, valueId: 16, value: { type: 'long' }, valueRequired: false },
    },
  ],
};

const expected: Array<Record<string, Canon>> = [
  {
    id: '1', name: 'Zoë', amount: '12.50', price: 1.5, day: '1969-07-20', ts: '1969-07-20T20:17:40.000000Z', info: { city: 'Köln', zip: 50667 }, tags: ['a', 'b'],
    local_ts: '2024-02-29T12:00:00.000001', payload: '00ff10', counts: [['a', '1'], ['b', '-9007199254740993']],
  },
  {
    id: '9007199254740993', name: '', amount: '-0.01', price: -0.25, day: '2262-04-11', ts: '2262-04-11T23:47:16.854775Z', info: { city: null, zip: null }, tags: [],
    local_ts: '1900-01-01T00:00:00.000000', payload: '', counts: [],
  },
  { id: '3', name: null, amount: null, price: null, day: null, ts: null, info: null, tags: null, local_ts: null, payload: null, counts: null },
];

test('PyIceberg, Spark and Trino read the same rows from one table', { skip: skipUnless('rest', 's3', 'pyiceberg'), timeout: 900_000 }, async () => {
  const ns = uniqueName('engines');
  await pyiceberg(`
import datetime as dt, decimal, pyarrow as pa
from pyiceberg.schema import Schema
from pyiceberg.types import *
cat = catalog()
cat.create_namespace("${ns}")
schema = Schema(
  NestedField(1, "id", LongType(), required=True),
  NestedField(2, "name", StringType()),
  NestedField(3, "amount", DecimalType(10, 2)),
  NestedField(4, "price", DoubleType()),
  NestedField(5, "day", DateType()),
  NestedField(6, "ts", TimestamptzType()),
  NestedField(7, "info", StructType(NestedField(9, "city", StringType()), NestedField(10, "zip", IntegerType()))),
  NestedField(8, "tags", ListType(11, StringType(), element_required=False)),
  NestedField(12, "local_ts", TimestampType()),
  NestedField(13, "payload", BinaryType()),
  NestedField(14, "counts", MapType(15, StringType(), 16, LongType(), value_required=False)),
)
t = cat.create_table("${ns}.t", schema)
utc = dt.timezone.utc
rows = [
  dict(id=1, name="Zoë", amount=decimal.Decimal("12.50"), price=1.5, day=dt.date(1969, 7, 20),
       ts=dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=utc), info=dict(city="Köln", zip=50667), tags=["a", "b"],
       local_ts=dt.datetime(2024, 2, 29, 12, 0, 0, 1), payload=bytes([0, 255, 16]), counts=[("b", -9007199254740993), ("a", 1)]),
  dict(id=9007199254740993, name="", amount=decimal.Decimal("-0.01"), price=-0.25, day=dt.date(2262, 4, 11),
       ts=dt.datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=utc), info=dict(city=None, zip=None), tags=[],
       local_ts=dt.datetime(1900, 1, 1), payload=b"", counts=[]),
  dict(id=3, name=None, amount=None, price=None, day=None, ts=None, info=None, tags=None, local_ts=None, payload=None, counts=None),
]
t.append(pa.Table.from_pylist(rows, schema=t.schema().as_arrow()))
result = len(t.scan().to_arrow())
`);
  const ident = `${ns}.t`;
  const want = canonicalRows(expected, schema);
  // PyIceberg's create_table assigns fresh field ids: compare names, types and nullability.
  const shape = (x: Pick<Schema, 'fields'>): string =>
    JSON.stringify(x.fields, (k, v: unknown) => {
      if (k === 'id' || k.endsWith('Id')) return undefined;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    });
  assert.equal(shape(await tableSchema(ident)), shape(schema), 'the catalog holds the schema the test compares with');

  const fromPy = await readCanonical('pyiceberg', ident);
  assert.deepEqual(fromPy, want, 'PyIceberg reads what was appended');
  const fromTrino = await readCanonical('trino', ident);
  assert.deepEqual(fromTrino, want, 'Trino reads what was appended');
  const fromSpark = await readCanonical('spark', ident);
  assert.deepEqual(fromSpark, want, 'Spark reads what was appended');

  // The helpers' own options: a filter and a projection, and the raw query results.
  assert.deepEqual(await pyicebergScan(ident, { filter: 'id = 3', selectedFields: ['id', 'name'] }), [{ id: 3, name: null }]);
  const t = await trinoQuery(`SELECT id, amount, payload FROM iceberg."${ns}".t WHERE id > 9000000000000000`);
  assert.deepEqual({ columns: t.columns, rows: t.rows }, { columns: ['id', 'amount', 'payload'], rows: [{ id: '9007199254740993', amount: '-0.01', payload: '' }] });
  assert.equal(t.stats?.processedRows !== undefined, true, "Trino's query stats come with the rows");
  const sp = await sparkQuery(`SELECT id, amount, counts FROM iceberg.${ns}.t WHERE id = 1`);
  assert.deepEqual(sp, { columns: ['id', 'amount', 'counts'], rows: [{ id: 1, amount: '12.50', counts: [['b', '-9007199254740993'], ['a', 1]] }] });
});
