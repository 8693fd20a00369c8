/**
 * Column builders: rows in the value representation of spec/types.ts go straight into typed
 * arrays, validity bitmaps and offsets, which are handed to apache-arrow as buffers
 * (`makeData`). One builder per column, chosen once per schema (apache-arrow's generic
 * per-value builder is several times slower: bench/writer.ts prints both).
 */
import * as arrow from 'apache-arrow';
import { FloeError } from '../errors.js';
import type { IcebergType, NestedField, PrimitiveType, Schema, Value } from '../spec/types.js';
import { uuidToBytes } from '../spec/values.js';
import { arrowSchema, arrowType } from './arrow-schema.js';
import { Bitmap, Growable } from './growable.js';
import { LeafStats } from './stats.js';
import { rowValidator } from './validate.js';

export interface ColumnBuilder {
  append(v: Value, path: string): void;
  finish(): arrow.Data;
  /** Bytes buffered so far (an estimate for nested columns). */
  byteSize(): number;
}


function badValue(path: string, type: IcebergType, v: unknown): FloeError {
  const shown = typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : JSON.stringify(v);
  return new FloeError('CONVERT_FAILED', `field '${path}': ${shown} is not a valid ${type.type} value`);
}

class FixedWidthBuilder<T extends Int32Array | BigInt64Array | Float32Array | Float64Array> implements ColumnBuilder {
  private values: Growable<T>;
  private valid = new Bitmap();

  constructor(
    private readonly type: PrimitiveType,
    ctor: new (n: number) => T,
    private readonly stats: LeafStats,
    private readonly put: (buf: T, i: number, v: Value) => boolean,
  ) {
    this.values = new Growable(ctor);
  }

  append(v: Value, path: string): void {
    this.values.reserve(1);
    const i = this.values.length++;
    if (v === null || v === undefined) {
      this.valid.push(false);
      this.values.buf[i] = (this.values.buf instanceof BigInt64Array ? 0n : 0) as never;
      this.stats.observeNull();
      return;
    }
    if (!this.put(this.values.buf, i, v)) {
      this.values.length--;
      throw badValue(path, this.type, v);
    }
    this.valid.push(true);
    this.stats.observe(v);
  }

  finish(): arrow.Data {
    const length = this.values.length;
    const { bitmap, nullCount } = this.valid.take();
    return arrow.makeData({ type: arrowType(this.type), length, nullCount, nullBitmap: bitmap, data: this.values.take() } as never);
  }

  byteSize(): number {
    return this.values.byteLength + (this.values.length >> 3);
  }
}

const putInt32 = (buf: Int32Array, i: number, v: Value) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) return false;
  buf[i] = v;
  return true;
};
const putInt64 = (buf: BigInt64Array, i: number, v: Value) => {
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) return false;
    buf[i] = v;
    return true;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    buf[i] = BigInt(v);
    return true;
  }
  return false;
};
const putFloat = (buf: Float32Array | Float64Array, i: number, v: Value) => {
  if (typeof v !== 'number') return false;
  buf[i] = v;
  return true;
};

class BoolBuilder implements ColumnBuilder {
  private values = new Bitmap();
  private valid = new Bitmap();
  constructor(private readonly stats: LeafStats) {}
  append(v: Value, path: string): void {
    if (v === null || v === undefined) {
      this.values.push(false);
      this.valid.push(false);
      this.stats.observeNull();
      return;
    }
    if (typeof v !== 'boolean') throw badValue(path, { type: 'boolean' }, v);
    this.values.push(v);
    this.valid.push(true);
    this.stats.observe(v);
  }
  finish(): arrow.Data {
    const length = this.values.length;
    const bits = this.values.take().bitmap ?? new Uint8Array((length + 7) >> 3).fill(0xff);
    const { bitmap, nullCount } = this.valid.take();
    return arrow.makeData({ type: new arrow.Bool(), length, nullCount, nullBitmap: bitmap, data: bits });
  }
  byteSize(): number {
    return this.values.length >> 2;
  }
}

const TWO64 = 1n << 64n;
const MASK32 = 0xffffffffn;

class DecimalBuilder implements ColumnBuilder {
  private words = new Growable(Uint32Array);
  private valid = new Bitmap();
  private readonly limit: bigint;
  private length = 0;
  constructor(
    private readonly type: { type: 'decimal'; precision: number; scale: number },
    private readonly stats: LeafStats,
  ) {
    this.limit = 10n ** BigInt(type.precision);
  }
  append(v: Value, path: string): void {
    this.words.reserve(4);
    const at = this.words.length;
    this.words.length += 4;
    this.length++;
    if (v === null || v === undefined) {
      this.words.buf.fill(0, at, at + 4);
      this.valid.push(false);
      this.stats.observeNull();
      return;
    }
    if (typeof v !== 'bigint' || v >= this.limit || v <= -this.limit) {
      this.words.length -= 4;
      this.length--;
      throw typeof v === 'bigint'
        ? new FloeError('CONVERT_FAILED', `field '${path}': unscaled value ${v} does not fit decimal(${this.type.precision},${this.type.scale})`)
        : badValue(path, this.type, v);
    }
    // 128-bit two's complement, little-endian 32-bit words.
    let x = v < 0n ? v + (TWO64 << 64n) : v;
    for (let k = 0; k < 4; k++) {
      this.words.buf[at + k] = Number(x & MASK32);
      x >>= 32n;
    }
    this.valid.push(true);
    this.stats.observe(v);
  }
  finish(): arrow.Data {
    const length = this.length;
    this.length = 0;
    const { bitmap, nullCount } = this.valid.take();
    return arrow.makeData({ type: arrowType(this.type) as arrow.Decimal, length, nullCount, nullBitmap: bitmap, data: this.words.take() });
  }
  byteSize(): number {
    return this.words.byteLength;
  }
}

/** Node's Buffer.prototype.utf8Write(string, offset): bytes written (not in @types/node). */
type Utf8Writer = Buffer & { utf8Write(s: string, offset: number): number };
const HAS_UTF8_WRITE = typeof (Buffer.prototype as Partial<Utf8Writer>).utf8Write === 'function';

/** Utf8 and Binary: int32 offsets and a byte buffer. */
class VarBinaryBuilder implements ColumnBuilder {
  private offsets = new Growable(Int32Array);
  private bytes = new Growable(Uint8Array, 16384);
  private valid = new Bitmap();
  /** A Buffer over `bytes.buf` (made again when the buffer is replaced), for writing UTF-8. */
  private utf8: Buffer | undefined;
  private utf8Of: Uint8Array | undefined;
  constructor(
    private readonly type: PrimitiveType,
    private readonly stats: LeafStats,
  ) {
    this.offsets.buf[0] = 0;
    this.offsets.length = 1;
  }
  append(v: Value, path: string): void {
    if (v === null || v === undefined) {
      this.valid.push(false);
      this.stats.observeNull();
    } else if (this.type.type === 'string') {
      if (typeof v !== 'string') throw badValue(path, this.type, v);
      // A UTF-8 encoding takes at most 3 bytes per UTF-16 code unit. Written through a Buffer
      // over the same memory: TextEncoder.encodeInto needs a fresh view and returns a fresh
      // object per value, garbage that cost more than the encoding.
      this.bytes.reserve(v.length * 3);
      const buf = this.bytes.buf;
      if (this.utf8Of !== buf) {
        this.utf8 = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
        this.utf8Of = buf;
      }
      // utf8Write is Buffer.write without its argument parsing (avsc writes strings with it too).
      const out = this.utf8 as Utf8Writer;
      this.bytes.length += HAS_UTF8_WRITE ? out.utf8Write(v, this.bytes.length) : out.write(v, this.bytes.length);
      this.valid.push(true);
      this.stats.observe(v);
    } else {
      if (!(v instanceof Uint8Array)) throw badValue(path, this.type, v);
      this.bytes.reserve(v.length);
      this.bytes.buf.set(v, this.bytes.length);
      this.bytes.length += v.length;
      this.valid.push(true);
      this.stats.observe(v);
    }
    if (this.bytes.length > 0x7fffffff) throw new FloeError('CONVERT_FAILED', `field '${path}': more than 2 GiB of values in one batch`);
    this.offsets.reserve(1);
    this.offsets.buf[this.offsets.length++] = this.bytes.length;
  }
  finish(): arrow.Data {
    const length = this.offsets.length - 1;
    const valueOffsets = this.offsets.take();
    this.offsets.buf[0] = 0;
    this.offsets.length = 1;
    const { bitmap, nullCount } = this.valid.take();
    const type = this.type.type === 'string' ? new arrow.Utf8() : new arrow.Binary();
    return arrow.makeData({ type, length, nullCount, nullBitmap: bitmap, valueOffsets, data: this.bytes.take() } as never);
  }
  byteSize(): number {
    return this.bytes.length + this.offsets.byteLength;
  }
}

class FixedBinaryBuilder implements ColumnBuilder {
  private bytes: Growable<Uint8Array>;
  private valid = new Bitmap();
  private readonly width: number;
  private length = 0;
  constructor(
    private readonly type: PrimitiveType,
    private readonly stats: LeafStats,
  ) {
    this.width = type.type === 'fixed' ? type.length : 16;
    this.bytes = new Growable(Uint8Array, 1024 * this.width);
  }
  append(v: Value, path: string): void {
    let b: Uint8Array | undefined;
    if (v !== null && v !== undefined) {
      if (this.type.type === 'uuid' && typeof v === 'string') {
        try {
          b = uuidToBytes(v);
        } catch {
          throw badValue(path, this.type, v);
        }
      } else if (v instanceof Uint8Array && v.length === this.width) b = v;
      else throw badValue(path, this.type, v);
    }
    this.bytes.reserve(this.width);
    if (b) this.bytes.buf.set(b, this.bytes.length);
    else this.bytes.buf.fill(0, this.bytes.length, this.bytes.length + this.width);
    this.bytes.length += this.width;
    this.length++;
    this.valid.push(b !== undefined);
    if (b) this.stats.observe(b);
    else this.stats.observeNull();
  }
  finish(): arrow.Data {
    const length = this.length;
    this.length = 0;
    const { bitmap, nullCount } = this.valid.take();
    return arrow.makeData({ type: new arrow.FixedSizeBinary(this.width), length, nullCount, nullBitmap: bitmap, data: this.bytes.take() });
  }
  byteSize(): number {
    return this.bytes.length;
  }
}

export class StructBuilder implements ColumnBuilder {
  private valid = new Bitmap();
  private length = 0;
  readonly children: Array<{ field: NestedField; builder: ColumnBuilder }>;
  constructor(
    readonly fields: readonly NestedField[],
    stats: Map<number, LeafStats>,
    inRepeated: boolean,
  ) {
    this.children = fields.map((field) => ({ field, builder: builderFor(field.type, field.id, stats, inRepeated) }));
  }
  append(v: Value, path: string): void {
    this.length++;
    if (v === null || v === undefined) {
      this.valid.push(false);
      for (const c of this.children) c.builder.append(null, `${path}.${c.field.name}`);
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw badValue(path, { type: 'struct', fields: this.fields }, v);
    this.valid.push(true);
    const obj = v as { [k: string]: Value };
    for (const c of this.children) {
      const x = obj[c.field.name];
      if ((x === null || x === undefined) && c.field.required) {
        throw new FloeError('CONVERT_FAILED', `field '${path ? `${path}.` : ''}${c.field.name}' is required but missing or null`);
      }
      c.builder.append(x ?? null, path ? `${path}.${c.field.name}` : c.field.name);
    }
  }
  /**
   * Appends a top-level row (never null), through code generated for this struct: each field is
   * read by a constant name and appended at a call site of its own, so property loads and
   * builder calls stay monomorphic (one loop over the children makes both megamorphic).
   */
  appendRow(row: { [k: string]: Value }): void {
    if (typeof row !== 'object' || row === null || Array.isArray(row) || row instanceof Uint8Array) throw badValue('', { type: 'struct', fields: this.fields }, row);
    this.length++;
    this.valid.push(true);
    (this.rowAppender ??= this.compileRowAppender())(row);
  }

  private rowAppender: ((row: { [k: string]: Value }) => void) | undefined;

  private compileRowAppender(): (row: { [k: string]: Value }) => void {
    const lines = this.children.map((c, i) => {
      const name = JSON.stringify(c.field.name);
      const read = c.field.name === '__proto__' ? `Object.getOwnPropertyDescriptor(row, "__proto__")?.value` : `row[${name}]`;
      return `x = ${read}; if (x === undefined) x = null;${c.field.required ? ` if (x === null) throw required(${name});` : ''} b${i}.append(x, ${name});`;
    });
    const params = this.children.map((_, i) => `b${i}`);
    const make = new Function('required', ...params, `return function appendRow(row) {\n  var x;\n  ${lines.join('\n  ')}\n};`) as (...a: unknown[]) => (row: { [k: string]: Value }) => void;
    const required = (name: string) => new FloeError('CONVERT_FAILED', `field '${name}' is required but missing or null`);
    return make(required, ...this.children.map((c) => c.builder));
  }
  finish(): arrow.Data {
    const length = this.length;
    this.length = 0;
    const { bitmap, nullCount } = this.valid.take();
    const children = this.children.map((c) => c.builder.finish());
    return arrow.makeData({ type: new arrow.Struct(this.children.map((c) => arrowFieldOf(c.field))), length, nullCount, nullBitmap: bitmap, children });
  }
  byteSize(): number {
    let n = this.length >> 3;
    for (const c of this.children) n += c.builder.byteSize();
    return n;
  }
  get rows(): number {
    return this.length;
  }
}

function arrowFieldOf(f: NestedField): arrow.Field {
  return arrowSchema({ fields: [f] }).fields[0] as arrow.Field;
}

/**
 * Lists and maps: int32 offsets and validity over a child column. Subclasses append one value's
 * elements to the child and say how many there were.
 */
abstract class RepeatedBuilder implements ColumnBuilder {
  private offsets = new Growable(Int32Array);
  private valid = new Bitmap();
  private total = 0;

  constructor(protected readonly child: ColumnBuilder) {
    this.offsets.buf[0] = 0;
    this.offsets.length = 1;
  }

  /** Appends the elements of one non-null value to the child; returns how many. */
  protected abstract appendElements(v: Value, path: string): number;
  protected abstract data(length: number, nullCount: number, nullBitmap: Uint8Array | undefined, valueOffsets: Int32Array): arrow.Data;

  append(v: Value, path: string): void {
    if (v === null || v === undefined) this.valid.push(false);
    else {
      this.total += this.appendElements(v, path);
      this.valid.push(true);
    }
    this.offsets.reserve(1);
    this.offsets.buf[this.offsets.length++] = this.total;
  }

  finish(): arrow.Data {
    const length = this.offsets.length - 1;
    const valueOffsets = this.offsets.take();
    this.offsets.buf[0] = 0;
    this.offsets.length = 1;
    this.total = 0;
    const { bitmap, nullCount } = this.valid.take();
    return this.data(length, nullCount, bitmap, valueOffsets);
  }

  byteSize(): number {
    return this.offsets.byteLength + this.child.byteSize();
  }
}

class ListBuilder extends RepeatedBuilder {
  constructor(
    private readonly type: Extract<IcebergType, { type: 'list' }>,
    stats: Map<number, LeafStats>,
  ) {
    super(builderFor(type.element, type.elementId, stats, true));
  }
  protected appendElements(v: Value, path: string): number {
    if (!Array.isArray(v)) throw badValue(path, this.type, v);
    for (const e of v as Value[]) {
      if ((e === null || e === undefined) && this.type.elementRequired) throw new FloeError('CONVERT_FAILED', `field '${path}': null element in a list of required elements`);
      this.child.append(e ?? null, `${path}[]`);
    }
    return v.length;
  }
  protected data(length: number, nullCount: number, nullBitmap: Uint8Array | undefined, valueOffsets: Int32Array): arrow.Data {
    return arrow.makeData({ type: arrowType(this.type) as arrow.List, length, nullCount, nullBitmap, valueOffsets, child: this.child.finish() });
  }
}

class MapBuilder extends RepeatedBuilder {
  constructor(
    private readonly type: Extract<IcebergType, { type: 'map' }>,
    stats: Map<number, LeafStats>,
  ) {
    super(
      new StructBuilder(
        [
          { id: type.keyId, name: 'key', required: true, type: type.key },
          { id: type.valueId, name: 'value', required: type.valueRequired, type: type.value },
        ],
        stats,
        true,
      ),
    );
  }
  protected appendElements(v: Value, path: string): number {
    if (!Array.isArray(v)) throw badValue(path, this.type, v);
    for (const pair of v as Array<[Value, Value]>) {
      if (!Array.isArray(pair) || pair.length !== 2) throw badValue(path, this.type, v);
      this.child.append({ key: pair[0], value: pair[1] }, `${path}{}`);
    }
    return v.length;
  }
  protected data(length: number, nullCount: number, nullBitmap: Uint8Array | undefined, valueOffsets: Int32Array): arrow.Data {
    const type = arrowType(this.type) as arrow.Map_;
    const child = this.child.finish();
    // The entries struct must carry the map type's own child type (field names and ids).
    const entries = arrow.makeData({ type: type.children[0]?.type as arrow.Struct, length: child.length, nullCount: 0, children: child.children });
    return arrow.makeData({ type, length, nullCount, nullBitmap, valueOffsets, child: entries });
  }
}

function builderFor(type: IcebergType, fieldId: number, stats: Map<number, LeafStats>, inRepeated: boolean): ColumnBuilder {
  if (type.type === 'struct') return new StructBuilder(type.fields, stats, inRepeated);
  if (type.type === 'list') return new ListBuilder(type, stats);
  if (type.type === 'map') return new MapBuilder(type, stats);
  const s = new LeafStats(fieldId, type, !inRepeated);
  stats.set(fieldId, s);
  switch (type.type) {
    case 'boolean':
      return new BoolBuilder(s);
    case 'int':
    case 'date':
      return new FixedWidthBuilder(type, Int32Array, s, putInt32 as never);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return new FixedWidthBuilder(type, BigInt64Array, s, putInt64 as never);
    case 'float':
      return new FixedWidthBuilder(type, Float32Array, s, putFloat as never);
    case 'double':
      return new FixedWidthBuilder(type, Float64Array, s, putFloat as never);
    case 'decimal':
      return new DecimalBuilder(type, s);
    case 'string':
    case 'binary':
      return new VarBinaryBuilder(type, s);
    case 'uuid':
    case 'fixed':
      return new FixedBinaryBuilder(type, s);
    default:
      throw new FloeError('TYPE_UNSUPPORTED', `Iceberg type '${type.type}' cannot be written yet`);
  }
}

/**
 * Builds Arrow record batches of one schema from rows. Statistics accumulate across batches
 * until `resetStats()` (a file writer resets them per file).
 */
export class RecordBatchBuilder {
  readonly arrowSchema: arrow.Schema;
  readonly stats = new Map<number, LeafStats>();
  private readonly root: StructBuilder;
  private readonly validate: (row: { [k: string]: Value }) => void;

  constructor(readonly schema: Pick<Schema, 'fields'>) {
    this.arrowSchema = arrowSchema(schema);
    this.root = new StructBuilder(schema.fields, this.stats, false);
    this.validate = rowValidator(schema.fields);
  }

  /**
   * Appends one row. A value that does not fit its column throws CONVERT_FAILED naming the
   * field, before anything is appended, so the builder stays consistent.
   */
  append(row: { [k: string]: Value }): void {
    this.validate(row);
    this.root.appendRow(row);
  }

  get rows(): number {
    return this.root.rows;
  }

  byteSize(): number {
    return this.root.byteSize();
  }

  /** The rows appended since the last flush, as one record batch. */
  flush(): arrow.RecordBatch {
    const data = this.root.finish();
    return new arrow.RecordBatch(this.arrowSchema, arrow.makeData({ type: new arrow.Struct(this.arrowSchema.fields), length: data.length, nullCount: 0, children: data.children }));
  }

  resetStats(): void {
    for (const s of this.stats.values()) {
      s.valueCount = 0;
      s.nullCount = 0;
      s.nanCount = 0;
      s.min = null;
      s.max = null;
    }
  }
}
