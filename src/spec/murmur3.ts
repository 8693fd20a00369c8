/**
 * Murmur3 x86 32-bit with seed 0, as Iceberg's bucket transform uses it (spec Appendix B).
 * The bucket transform runs per row, so the fixed-width cases hash their words directly
 * instead of going through a byte array.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Hash of the first `length` bytes (all by default). */
export function murmur3(bytes: Uint8Array, seed = 0, length = bytes.length): number {
  let h = seed | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(h, (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (rest >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    h ^= mixK(k);
  }
  return fmix(h, length);
}

/** Hash of a long given as its low and high 32-bit words (little-endian 8 bytes, as hashLong). */
export function murmur3Long(lo: number, hi: number): number {
  return fmix(mixH(mixH(0, lo | 0), hi | 0), 8);
}
