/** Append-only typed buffers that double when full; `take()` returns the filled part and resets. */
type Typed = Int32Array | BigInt64Array | Float32Array | Float64Array | Uint8Array | Uint32Array;
type Ctor<T extends Typed> = { new (n: number): T };

export class Growable<T extends Typed> {
  buf: T;
  length = 0;
  /**
   * `buf.length`, kept as a number: reserve() runs once per value, and reading `length` from six
   * kinds of typed array at one site is a megamorphic property load.
   */
  private capacity: number;

  constructor(
    private readonly ctor: Ctor<T>,
    private readonly initial = 1024,
  ) {
    this.buf = new ctor(initial);
    this.capacity = initial;
  }

  /** Makes room for `n` more elements. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.capacity) return;
    let cap = this.capacity * 2;
    while (cap < need) cap *= 2;
    const next = new this.ctor(cap);
    (next as Uint8Array).set(this.buf as Uint8Array);
    this.buf = next;
    this.capacity = cap;
  }

  /**
   * The filled part, without a copy (the Arrow IPC writer copies it once anyway); the builder
   * goes on in a fresh buffer of the same capacity, so the next batch does not grow it again by
   * doubling and copying. A fresh buffer's pages cost memory only once they are written.
   */
  take(): T {
    const out = this.buf.subarray(0, this.length) as T;
    this.length = 0;
    this.buf = new this.ctor(this.capacity);
    return out;
  }

  get byteLength(): number {
    return this.length * this.buf.BYTES_PER_ELEMENT;
  }
}

/** A validity bitmap: bit i set when value i is present. */
export class Bitmap {
  private bytes = new Growable(Uint8Array, 128);
  length = 0;
  nullCount = 0;

  push(valid: boolean): void {
    const i = this.length++;
    const byte = i >> 3;
    if (byte >= this.bytes.length) {
      this.bytes.reserve(1);
      this.bytes.buf[this.bytes.length++] = 0;
    }
    if (valid) this.bytes.buf[byte] = (this.bytes.buf[byte] as number) | (1 << (i & 7));
    else this.nullCount++;
  }

  /** The bitmap, or undefined when nothing is null (Arrow then needs none). */
  take(): { bitmap: Uint8Array | undefined; nullCount: number } {
    const nullCount = this.nullCount;
    const bits = this.bytes.take();
    this.length = 0;
    this.nullCount = 0;
    return { bitmap: nullCount === 0 ? undefined : bits, nullCount };
  }
}
