import { FloeError } from '../errors.js';
import { parseLocation, type FileIO } from './file-io.js';
import { LocalFileIO } from './local.js';
import { S3FileIO, s3ConfigFromProperties, type S3Config } from './s3.js';

export { parseLocation, joinLocation, type FileIO, type OutputFile, type ParsedLocation, type StoredFile } from './file-io.js';
export { LocalFileIO } from './local.js';
export { S3FileIO, s3Error, s3ConfigFromProperties, type S3Config } from './s3.js';

/** How long a client whose settings were replaced stays open for requests still using it. */
const RETIRE_AFTER_MS = 10 * 60 * 1000;

/**
 * A FileIO that dispatches on each location's scheme, so one table may hold `file://` and
 * `s3://` paths (e.g. metadata moved between stores) and callers never choose. S3 locations
 * under a prefix given storage properties (a catalog's vended credentials for a table) use a
 * client with those settings over the base ones; the longest matching prefix wins.
 */
export class RoutingFileIO implements FileIO {
  private local = new LocalFileIO();
  /** S3 clients by their settings (JSON), the base one under ''. */
  private readonly clients = new Map<string, S3FileIO>();
  /** Per prefix, the key of its settings in `clients` and the settings. */
  private readonly prefixes = new Map<string, { key: string; config: S3Config }>();
  private readonly retired = new Set<S3FileIO>();

  constructor(private readonly s3Config: S3Config = {}) {}

  useStorageProperties(prefix: string, props: Readonly<Record<string, string>>): void {
    const overlay = s3ConfigFromProperties(props);
    const before = this.prefixes.get(prefix)?.key;
    if (Object.keys(overlay).length === 0) this.prefixes.delete(prefix);
    else {
      const config = { ...this.s3Config, ...overlay };
      this.prefixes.set(prefix, { key: JSON.stringify(config), config });
    }
    if (before !== undefined && before !== this.prefixes.get(prefix)?.key) this.retire(before);
  }

  /** Closes a client no prefix uses any more, once requests in flight have had time to finish. */
  private retire(key: string): void {
    const io = this.clients.get(key);
    if (!io || [...this.prefixes.values()].some((p) => p.key === key)) return;
    this.clients.delete(key);
    this.retired.add(io);
    setTimeout(() => {
      this.retired.delete(io);
      void io.close().catch(() => undefined);
    }, RETIRE_AFTER_MS).unref();
  }

  /** The S3 settings used for a location (for tests and diagnostics). */
  s3ConfigFor(location: string): S3Config {
    return this.s3Entry(location)?.config ?? this.s3Config;
  }

  private s3Entry(location: string): { key: string; config: S3Config } | undefined {
    let best: string | undefined;
    for (const prefix of this.prefixes.keys()) if (location.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    return best === undefined ? undefined : this.prefixes.get(best);
  }

  private pick(location: string): FileIO {
    const p = parseLocation(location);
    if (p.scheme === 'file') return this.local;
    const e = this.prefixes.size ? this.s3Entry(location) : undefined;
    const key = e?.key ?? '';
    let io = this.clients.get(key);
    if (!io) {
      io = new S3FileIO(e?.config ?? this.s3Config);
      this.clients.set(key, io);
    }
    return io;
  }

  read(location: string) { return this.pick(location).read(location); }
  write(location: string, bytes: Uint8Array) { return this.pick(location).write(location, bytes); }
  create(location: string) { return this.pick(location).create(location); }
  exists(location: string) { return this.pick(location).exists(location); }
  delete(location: string) { return this.pick(location).delete(location); }
  list(prefix: string) { return this.pick(prefix).list(prefix); }
  listFiles(prefix: string) { return this.pick(prefix).listFiles(prefix); }

  async close(): Promise<void> {
    const all = [...this.clients.values(), ...this.retired];
    this.clients.clear();
    this.retired.clear();
    await Promise.all(all.map((io) => io.close()));
  }
}

export function createFileIO(s3Config: S3Config = {}): FileIO {
  return new RoutingFileIO(s3Config);
}

export function assertLocation(location: string): void {
  try {
    parseLocation(location);
  } catch (err) {
    throw new FloeError('CONFIG_INVALID', (err as Error).message, { cause: err });
  }
}
