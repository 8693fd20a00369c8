/**
 * FileIO: the one place that knows where bytes go. Locations are URIs: `s3://bucket/key`,
 * `s3a://`/`s3n://` (read as s3), `file:///abs/path`, or a plain absolute path.
 */
export interface OutputFile {
  /** Appends bytes. Back-pressure: callers await each write. */
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes the object; returns its size in bytes. After close the object is visible. */
  close(): Promise<number>;
  /** Drops what was written (multipart uploads are aborted). Safe after a failed write. */
  abort(): Promise<void>;
}

export interface StoredFile {
  location: string;
  size: number;
  /** Last written, ms since the epoch. */
  modifiedMs: number;
}

export interface FileIO {
  read(location: string): Promise<Uint8Array>;
  /** Writes a whole object at once; returns its size. */
  write(location: string, bytes: Uint8Array): Promise<number>;
  /** Streams an object; large objects use multipart upload on S3. */
  create(location: string): OutputFile;
  exists(location: string): Promise<boolean>;
  delete(location: string): Promise<void>;
  /** Every location under a prefix (recursive). */
  list(prefix: string): AsyncIterable<string>;
  /** Every object under a prefix (recursive), with its size and when it was last written. */
  listFiles(prefix: string): AsyncIterable<StoredFile>;
  /**
   * Storage properties for every location under a prefix (a catalog's vended credentials and
   * endpoint for a table's files, Iceberg property names); `{}` forgets the prefix. A FileIO
   * without configurable storage ignores them.
   */
  useStorageProperties?(prefix: string, props: Readonly<Record<string, string>>): void;
  close(): Promise<void>;
}

export interface ParsedLocation {
  scheme: 'file' | 's3';
  /** Bucket for s3, empty for file. */
  bucket: string;
  /** Key for s3, absolute path for file. */
  path: string;
}

export function parseLocation(location: string): ParsedLocation {
  const m = /^(s3[an]?):\/\/([^/]+)\/?(.*)$/.exec(location);
  if (m) return { scheme: 's3', bucket: m[2] ?? '', path: m[3] ?? '' };
  if (location.startsWith('file://')) {
    return { scheme: 'file', bucket: '', path: decodeURIComponent(new URL(location).pathname) };
  }
  if (location.startsWith('/')) return { scheme: 'file', bucket: '', path: location };
  throw new TypeError(`unsupported location '${location}': expected s3://bucket/key, file:///path or an absolute path`);
}

/** Joins a base location and relative parts with single slashes. */
export function joinLocation(base: string, ...parts: string[]): string {
  let out = base.replace(/\/+$/, '');
  for (const p of parts) out += '/' + p.replace(/^\/+/, '').replace(/\/+$/, '');
  return out;
}
