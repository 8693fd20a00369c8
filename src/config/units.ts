/** Durations (`500ms`, `10s`, `2m`, `1h`) and sizes (`64MiB`, `1GB`, `1048576`) in config files. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/i;
const DUR_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_B: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };

/** Milliseconds; a bare number is milliseconds too. Undefined when the text is not a duration. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const m = DURATION.exec(v.trim());
  return m ? Math.round(Number(m[1]) * (DUR_MS[m[2] as string] as number)) : undefined;
}

/** Bytes; a bare number is bytes. Undefined when the text is not a size. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
  const m = SIZE.exec(v.trim());
  return m ? Math.floor(Number(m[1]) * (SIZE_B[(m[2] ?? 'b').toLowerCase()] as number)) : undefined;
}

/** The shortest exact spelling of a duration, for messages (`1s`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const [u, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}
