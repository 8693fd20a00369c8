/**
 * Per-leaf-column statistics gathered while rows are appended, for Iceberg's data file metrics:
 * value count (nulls included), null count, NaN count, lower and upper bound. Bounds are kept
 * only for leaves outside lists and maps, as Iceberg's writers do (a bound over a repeated
 * field says nothing about a row).
 */
import { compareBytes, comparatorFor } from '../spec/values.js';
import type { PrimitiveType, Value } from '../spec/types.js';

export class LeafStats {
  valueCount = 0;
  nullCount = 0;
  nanCount = 0;
  min: Value = null;
  max: Value = null;
  private readonly cmp: (a: Value, b: Value) => number;
  private readonly floating: boolean;

  constructor(
    readonly fieldId: number,
    readonly type: PrimitiveType,
    readonly keepBounds: boolean,
  ) {
    // UUIDs are observed as their 16 bytes (input may be any-case text or bytes): byte order is
    // Iceberg's order for uuid.
    this.cmp = type.type === 'uuid' ? (a, b) => compareBytes(a as Uint8Array, b as Uint8Array) : comparatorFor(type);
    this.floating = type.type === 'float' || type.type === 'double';
  }

  observeNull(): void {
    this.valueCount++;
    this.nullCount++;
  }

  observe(v: Value): void {
    this.valueCount++;
    if (this.floating && Number.isNaN(v as number)) {
      this.nanCount++;
      return;
    }
    if (!this.keepBounds) return;
    // Byte arrays are copied when kept: the caller may reuse its buffer.
    if (this.min === null || this.cmp(v, this.min) < 0) this.min = v instanceof Uint8Array ? v.slice() : v;
    if (this.max === null || this.cmp(v, this.max) > 0) this.max = v instanceof Uint8Array ? v.slice() : v;
  }
}
