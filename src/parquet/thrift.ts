/**
 * Thrift compact protocol, generic and lossless: a struct decodes to its fields in order with
 * their wire types, so a footer can be edited (offsets shifted) and encoded back without a
 * generated schema. Only what Parquet footers and page indexes use: no maps or sets.
 */
import { FloeError } from '../errors.js';

export const T = { BOOL: 1, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

export interface TStruct {
  fields: TField[];
}
export interface TList {
  elemType: number;
  items: TValue[];
}
export type TValue = boolean | number | bigint | Uint8Array | TStruct | TList;
export interface TField {
  id: number;
  type: number;
  value: TValue;
}

const bad = (why: string) => new FloeError('INTERNAL', `Parquet footer: ${why}`);

class Reader {
  pos: number;
  constructor(
    private readonly b: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }
  byte(): number {
    if (this.pos >= this.b.length) throw bad('unexpected end of thrift data');
    return this.b[this.pos++] as number;
  }
  varint(): bigint {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.byte();
      r |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return r;
      shift += 7n;
    }
  }
  smallVarint(): number {
    let r = 0;
    let mul = 1;
    for (;;) {
      const x = this.byte();
      r += (x & 0x7f) * mul;
      if (x < 0x80) return r;
      mul *= 128;
    }
  }
  zigzag32(): number {
    const n = this.smallVarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  zigzag64(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }
  value(type: number): TValue {
    switch (type) {
      case T.BYTE: {
        const x = this.byte();
        return x > 127 ? x - 256 : x;
      }
      case T.I16:
      case T.I32:
        return this.zigzag32();
      case T.I64:
        return this.zigzag64();
      case T.DOUBLE: {
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case T.BINARY: {
        const n = this.smallVarint();
        // A copy: a view would keep the whole source (a row group's bytes) alive with the footer.
        const v = this.b.slice(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case T.LIST: {
        const h = this.byte();
        const elemType = h & 0x0f;
        const size = h >> 4 === 0x0f ? this.smallVarint() : h >> 4;
        const items: TValue[] = [];
        for (let i = 0; i < size; i++) items.push(elemType === T.BOOL || elemType === 2 ? this.byte() === 1 : this.value(elemType));
        return { elemType: elemType === 2 ? T.BOOL : elemType, items };
      }
      case T.STRUCT:
        return this.struct();
      default:
        throw bad(`thrift type ${type} is not supported`);
    }
  }
  struct(): TStruct {
    const fields: TField[] = [];
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return { fields };
      const type = h & 0x0f;
      const delta = h >> 4;
      const id = delta === 0 ? this.zigzag32() : last + delta;
      last = id;
      if (type === 1 || type === 2) fields.push({ id, type: T.BOOL, value: type === 1 });
      else fields.push({ id, type, value: this.value(type) });
    }
  }
}

/** Decodes one struct starting at `start`; returns it and the position after it. */
export function decodeStruct(bytes: Uint8Array, start = 0): { value: TStruct; end: number } {
  const r = new Reader(bytes, start);
  const value = r.struct();
  return { value, end: r.pos };
}

class Writer {
  private buf = new Uint8Array(4096);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.length++] = x & 0xff;
  }
  varint(n: bigint): void {
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }
  zigzag(n: bigint): void {
    this.varint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
  }
  value(type: number, v: TValue): void {
    switch (type) {
      case T.BOOL:
        return this.byte(v ? 1 : 2);
      case T.BYTE:
        return this.byte(v as number);
      case T.I16:
      case T.I32:
        return this.zigzag(BigInt(v as number));
      case T.I64:
        return this.zigzag(typeof v === 'bigint' ? v : BigInt(v as number));
      case T.DOUBLE: {
        this.room(8);
        new DataView(this.buf.buffer, this.length, 8).setFloat64(0, v as number, true);
        this.length += 8;
        return;
      }
      case T.BINARY: {
        const b = v as Uint8Array;
        this.varint(BigInt(b.length));
        this.room(b.length);
        this.buf.set(b, this.length);
        this.length += b.length;
        return;
      }
      case T.LIST: {
        const l = v as TList;
        if (l.items.length < 15) this.byte((l.items.length << 4) | l.elemType);
        else {
          this.byte(0xf0 | l.elemType);
          this.varint(BigInt(l.items.length));
        }
        for (const x of l.items) this.value(l.elemType, x);
        return;
      }
      case T.STRUCT:
        return this.struct(v as TStruct);
      default:
        throw bad(`thrift type ${type} is not supported`);
    }
  }
  struct(s: TStruct): void {
    let last = 0;
    for (const f of s.fields) {
      const wire = f.type === T.BOOL ? (f.value ? 1 : 2) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | wire);
      else {
        this.byte(wire);
        this.zigzag(BigInt(f.id));
      }
      last = f.id;
      if (f.type !== T.BOOL) this.value(f.type, f.value);
    }
    this.byte(0);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function encodeStruct(s: TStruct): Uint8Array {
  const w = new Writer();
  w.struct(s);
  return w.bytes();
}

export function field(s: TStruct, id: number): TField | undefined {
  return s.fields.find((f) => f.id === id);
}

/** Sets (or adds, keeping ids ascending) a field. */
export function setField(s: TStruct, id: number, type: number, value: TValue): void {
  const f = field(s, id);
  if (f) {
    f.type = type;
    f.value = value;
    return;
  }
  const at = s.fields.findIndex((x) => x.id > id);
  s.fields.splice(at < 0 ? s.fields.length : at, 0, { id, type, value });
}

export function dropField(s: TStruct, id: number): void {
  s.fields = s.fields.filter((f) => f.id !== id);
}

/** Adds `by` to an i64 field when present. */
export function shiftI64(s: TStruct, id: number, by: bigint): void {
  const f = field(s, id);
  if (f && typeof f.value === 'bigint') f.value += by;
}
