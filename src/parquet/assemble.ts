/**
 * Joins standalone Parquet files of one schema ("pieces", one per row group, encoded in
 * parallel) into one Parquet file: the column chunks of each piece are copied as they are, and
 * the footer is rebuilt with every file offset shifted to where the piece landed. Page indexes
 * (offset and column indexes) are moved to the end of the file, their page offsets shifted too.
 * Only the footer and the indexes are held in memory, never the data.
 */
import { FloeError } from '../errors.js';
import { T, decodeStruct, dropField, encodeStruct, field, setField, shiftI64, type TList, type TStruct } from './thrift.js';

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

// Field ids of parquet.thrift.
const FMD = { SCHEMA: 2, NUM_ROWS: 3, ROW_GROUPS: 4 } as const;
const RG = { COLUMNS: 1, FILE_OFFSET: 5, ORDINAL: 7 } as const;
const CC = { FILE_OFFSET: 2, META: 3, OI_OFFSET: 4, OI_LENGTH: 5, CI_OFFSET: 6, CI_LENGTH: 7 } as const;
const CMD = { DATA_PAGE: 9, INDEX_PAGE: 10, DICT_PAGE: 11, BLOOM: 14 } as const;
const SE = { TYPE: 1, TYPE_LENGTH: 2, FIELD_ID: 9, LOGICAL_TYPE: 10 } as const;
const FIXED_LEN_BYTE_ARRAY = 7;
/** LogicalType is a union; UUID is its member 14 (an empty struct). */
const LOGICAL_UUID = 14;

export interface AssemblerOptions {
  /**
   * Field ids of Iceberg uuid columns: their fixed_len_byte_array(16) leaves get the Parquet UUID
   * logical type, as the Iceberg spec's Parquet mapping says (arrow-rs in parquet-wasm writes
   * them without it).
   */
  uuidFieldIds?: ReadonlySet<number>;
}

const list = (s: TStruct, id: number): TList | undefined => field(s, id)?.value as TList | undefined;
const i64 = (s: TStruct, id: number): bigint | undefined => {
  const v = field(s, id)?.value;
  return typeof v === 'bigint' ? v : undefined;
};
const int = (s: TStruct, id: number): number | undefined => {
  const v = field(s, id)?.value;
  return typeof v === 'number' ? v : undefined;
};

/** The footer of a Parquet file held in memory. */
export function readFooter(file: Uint8Array): { meta: TStruct; start: number } {
  const n = file.length;
  const ok = n >= 12 && MAGIC.every((b, i) => file[i] === b && file[n - 4 + i] === b);
  if (!ok) throw new FloeError('INTERNAL', 'the Parquet encoder returned bytes that are not a Parquet file');
  const len = new DataView(file.buffer, file.byteOffset + n - 8, 4).getUint32(0, true);
  const start = n - 8 - len;
  return { meta: decodeStruct(file, start).value, start };
}

interface PendingIndex {
  chunk: TStruct;
  kind: 'column' | 'offset';
  bytes: Uint8Array;
}

export class ParquetAssembler {
  /** Bytes emitted so far. */
  private pos = 0;
  private first: TStruct | undefined;
  private schemaBytes: Uint8Array | undefined;
  private readonly rowGroups: TStruct[] = [];
  private readonly indexes: PendingIndex[] = [];
  private rows = 0n;

  constructor(private readonly opts: AssemblerOptions = {}) {}

  /** Adds the next piece; returns the bytes to append to the file, in order. */
  add(piece: Uint8Array): Uint8Array[] {
    const { meta, start: footerStart } = readFooter(piece);
    this.checkSchema(meta);
    const out: Uint8Array[] = [];
    if (this.pos === 0) {
      out.push(MAGIC);
      this.pos = 4;
    }
    const groups = (list(meta, FMD.ROW_GROUPS)?.items ?? []) as TStruct[];
    // The data region ends where the first page index (or the footer) begins.
    let dataEnd = footerStart;
    for (const rg of groups) {
      for (const cc of (list(rg, RG.COLUMNS)?.items ?? []) as TStruct[]) {
        for (const id of [CC.OI_OFFSET, CC.CI_OFFSET]) {
          const at = i64(cc, id);
          if (at !== undefined && Number(at) < dataEnd) dataEnd = Number(at);
        }
      }
    }
    const shift = BigInt(this.pos - 4);
    for (const rg of groups) {
      shiftI64(rg, RG.FILE_OFFSET, shift);
      setField(rg, RG.ORDINAL, T.I16, this.rowGroups.length);
      for (const cc of (list(rg, RG.COLUMNS)?.items ?? []) as TStruct[]) this.relocateChunk(cc, piece, shift);
      this.rowGroups.push(rg);
    }
    this.rows += i64(meta, FMD.NUM_ROWS) ?? 0n;
    if (dataEnd > 4) {
      out.push(piece.subarray(4, dataEnd));
      this.pos += dataEnd - 4;
    }
    return out;
  }

  private checkSchema(meta: TStruct): void {
    const schema = encodeStruct({ fields: [field(meta, FMD.SCHEMA) ?? { id: FMD.SCHEMA, type: T.LIST, value: { elemType: T.STRUCT, items: [] } }] });
    if (!this.first) {
      this.first = meta;
      this.schemaBytes = schema;
      return;
    }
    const same = schema.length === this.schemaBytes?.length && schema.every((b, i) => b === this.schemaBytes?.[i]);
    if (!same) throw new FloeError('INTERNAL', 'Parquet pieces of one file must share one schema');
  }

  private relocateChunk(cc: TStruct, piece: Uint8Array, shift: bigint): void {
    const fileOffset = i64(cc, CC.FILE_OFFSET);
    if (fileOffset !== undefined && fileOffset > 0n) shiftI64(cc, CC.FILE_OFFSET, shift);
    const md = field(cc, CC.META)?.value as TStruct | undefined;
    if (md) for (const id of [CMD.DATA_PAGE, CMD.INDEX_PAGE, CMD.DICT_PAGE, CMD.BLOOM]) shiftI64(md, id, shift);
    const ci = i64(cc, CC.CI_OFFSET);
    const ciLen = int(cc, CC.CI_LENGTH);
    if (ci !== undefined && ciLen !== undefined) {
      // A column index holds no file offsets: its bytes move as they are.
      this.indexes.push({ chunk: cc, kind: 'column', bytes: piece.slice(Number(ci), Number(ci) + ciLen) });
    }
    const oi = i64(cc, CC.OI_OFFSET);
    const oiLen = int(cc, CC.OI_LENGTH);
    if (oi !== undefined && oiLen !== undefined) {
      const index = decodeStruct(piece, Number(oi)).value;
      for (const loc of (list(index, 1)?.items ?? []) as TStruct[]) shiftI64(loc, 1, shift);
      this.indexes.push({ chunk: cc, kind: 'offset', bytes: encodeStruct(index) });
    }
    for (const id of [CC.OI_OFFSET, CC.OI_LENGTH, CC.CI_OFFSET, CC.CI_LENGTH]) dropField(cc, id);
  }

  /** The page indexes and the footer that end the file (the schema comes from the first piece). */
  finish(): Uint8Array {
    if (!this.first) throw new FloeError('INTERNAL', 'a Parquet file needs at least one piece (an empty one carries the schema)');
    const parts: Uint8Array[] = [];
    let pos = this.pos;
    // Column indexes first, then offset indexes, as arrow-rs and parquet-mr lay them out.
    for (const kind of ['column', 'offset'] as const) {
      for (const ix of this.indexes) {
        if (ix.kind !== kind) continue;
        setField(ix.chunk, kind === 'column' ? CC.CI_OFFSET : CC.OI_OFFSET, T.I64, BigInt(pos));
        setField(ix.chunk, kind === 'column' ? CC.CI_LENGTH : CC.OI_LENGTH, T.I32, ix.bytes.length);
        parts.push(ix.bytes);
        pos += ix.bytes.length;
      }
    }
    const meta: TStruct = { fields: this.first.fields.map((f) => ({ ...f })) };
    this.annotateUuids(meta);
    setField(meta, FMD.NUM_ROWS, T.I64, this.rows);
    setField(meta, FMD.ROW_GROUPS, T.LIST, { elemType: T.STRUCT, items: this.rowGroups });
    const footer = encodeStruct(meta);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, footer.length, true);
    parts.push(footer, len, MAGIC);
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private annotateUuids(meta: TStruct): void {
    const ids = this.opts.uuidFieldIds;
    if (!ids?.size) return;
    for (const el of (list(meta, FMD.SCHEMA)?.items ?? []) as TStruct[]) {
      const id = int(el, SE.FIELD_ID);
      if (id === undefined || !ids.has(id) || int(el, SE.TYPE) !== FIXED_LEN_BYTE_ARRAY || int(el, SE.TYPE_LENGTH) !== 16) continue;
      setField(el, SE.LOGICAL_TYPE, T.STRUCT, { fields: [{ id: LOGICAL_UUID, type: T.STRUCT, value: { fields: [] } }] });
    }
  }

  /** Bytes of the data region emitted so far. */
  get bytesWritten(): number {
    return this.pos;
  }
}
