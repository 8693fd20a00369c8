/**
 * The stack's engines agree: a table created and appended to with PyIceberg through the REST
 * catalog reads back with the same values in PyIceberg, Spark SQL and Trino SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyiceberg, pyicebergScan, sparkQuery, trinoQuery } from '../helpers/engines.js';
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
  ],
};

const expected: Array<Record<string, Canon>> = [
  { id: '1', name: 'Zoë', amount: '12.50', price: 1.5, day: '1969-07-20', ts: '1969-07-20T20:17:40.000000Z', info: { city: 'Köln', zip: 50667 }, tags: ['a', 'b'] },
  { id: '9007199254740993', name: '', amount: '-0.01', price: -0.25, day: '2262-04-11', ts: '2262-04-11T23:47:16.854775Z', info: { city: null, zip: null }, tags: [] },
  { id: '3', name: null, amount: null, price: null, day: null, ts: null, info: null, tags: null },
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
  NestedField(8, "tags", ListType(11, StringType())),
)
t = cat.create_table("${ns}.t", schema)
utc = dt.timezone.utc
rows = [
  dict(id=1, name="Zoë", amount=decimal.Decimal("12.50"), price=1.5, day=dt.date(1969, 7, 20),
       ts=dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=utc), info=dict(city="Köln", zip=50667), tags=["a", "b"]),
  dict(id=9007199254740993, name="", amount=decimal.Decimal("-0.01"), price=-0.25, day=dt.date(2262, 4, 11),
       ts=dt.datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=utc), info=dict(city=None, zip=None), tags=[]),
  dict(id=3, name=None, amount=None, price=None, day=None, ts=None, info=None, tags=None),
]
t.append(pa.Table.from_pylist(rows, schema=t.schema().as_arrow()))
result = len(t.scan().to_arrow())
`);
  const ident = `${ns}.t`;
  const fromPy = canonicalRows(await pyicebergScan(ident), schema);
  assert.deepEqual(fromPy, canonicalRows(expected, schema).map((r) => r), 'PyIceberg reads what was appended');
  const fromTrino = canonicalRows((await trinoQuery(`SELECT * FROM iceberg."${ns}".t`)).rows, schema);
  assert.deepEqual(fromTrino, fromPy, 'Trino reads the same rows as PyIceberg');
  const fromSpark = canonicalRows((await sparkQuery(`SELECT * FROM iceberg.${ns}.t`)).rows, schema);
  assert.deepEqual(fromSpark, fromPy, 'Spark reads the same rows as PyIceberg');
});
