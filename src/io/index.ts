import { FloeError } from '../errors.js';
import { parseLocation, type FileIO } from './file-io.js';
import { LocalFileIO } from './local.js';
import { S3FileIO, type S3Config } from './s3.js';

export { parseLocation, joinLocation, type FileIO, type OutputFile, type ParsedLocation } from './file-io.js';
export { LocalFileIO } from './local.js';
export { S3FileIO, s3Error, type S3Config } from './s3.js';

/**
 * A FileIO that dispatches on each location's scheme, so one table may hold `file://` and
 * `s3://` paths (e.g. metadata moved between stores) and callers never choose.
 */
export class RoutingFileIO implements FileIO {
  private local = new LocalFileIO();
  private s3: S3FileIO | undefined;

  constructor(private readonly s3Config: S3Config = {}) {}

  private pick(location: string): FileIO {
    const p = parseLocation(location);
    if (p.scheme === 'file') return this.local;
    this.s3 ??= new S3FileIO(this.s3Config);
    return this.s3;
  }

  read(location: string) { return this.pick(location).read(location); }
  write(location: string, bytes: Uint8Array) { return this.pick(location).write(location, bytes); }
  create(location: string) { return this.pick(location).create(location); }
  exists(location: string) { return this.pick(location).exists(location); }
  delete(location: string) { return this.pick(location).delete(location); }
  list(prefix: string) { return this.pick(prefix).list(prefix); }

  async close(): Promise<void> {
    await this.s3?.close();
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
