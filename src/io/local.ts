import { createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FloeError } from '../errors.js';
import { parseLocation, type FileIO, type OutputFile, type StoredFile } from './file-io.js';

function localPath(location: string): string {
  const p = parseLocation(location);
  if (p.scheme !== 'file') throw new FloeError('STORAGE_ERROR', `local FileIO cannot handle '${location}'`);
  return p.path;
}

function storageError(op: string, location: string, err: unknown): FloeError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FloeError('NOT_FOUND', `${op} ${location}: no such file`, { cause: err });
  // Out of space or too many open files can clear; permission errors cannot.
  const retryable = code === 'ENOSPC' || code === 'EMFILE' || code === 'EAGAIN';
  return new FloeError('STORAGE_ERROR', `${op} ${location} failed: ${(err as Error).message}`, { cause: err, retryable });
}

/**
 * Local filesystem FileIO. Objects become visible atomically: bytes go to a temporary file in
 * the same directory which is renamed into place on close, like an object store's PUT.
 */
export class LocalFileIO implements FileIO {

  async read(location: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(localPath(location)));
    } catch (err) {
      throw storageError('read', location, err);
    }
  }

  async write(location: string, bytes: Uint8Array): Promise<number> {
    const path = localPath(location);
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, path);
      return bytes.byteLength;
    } catch (err) {
      await rm(tmp, { force: true });
      throw storageError('write', location, err);
    }
  }

  create(location: string): OutputFile {
    const path = localPath(location);
    const tmp = `${path}.${randomUUID()}.tmp`;
    let stream: WriteStream | undefined;
    let size = 0;
    const open = async (): Promise<WriteStream> => {
      if (!stream) {
        await mkdir(dirname(path), { recursive: true });
        stream = createWriteStream(tmp);
      }
      return stream;
    };
    const end = (s: WriteStream) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return {
      write: async (chunk) => {
        const s = await open();
        size += chunk.byteLength;
        if (!s.write(chunk)) await new Promise<void>((resolve) => s.once('drain', () => resolve()));
      },
      close: async () => {
        try {
          await end(await open());
          await rename(tmp, path);
          return size;
        } catch (err) {
          await rm(tmp, { force: true });
          throw storageError('write', location, err);
        }
      },
      abort: async () => {
        if (stream) await end(stream).catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  async exists(location: string): Promise<boolean> {
    try {
      await access(localPath(location));
      return true;
    } catch {
      return false;
    }
  }

  async delete(location: string): Promise<void> {
    await rm(localPath(location), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const f of this.listFiles(prefix)) yield f.location;
  }

  async *listFiles(prefix: string): AsyncIterable<StoredFile> {
    const root = localPath(prefix);
    const file = async (p: string): Promise<StoredFile | undefined> => {
      const st = await stat(p).catch(() => undefined); // gone meanwhile: not listed
      return st?.isFile() ? { location: `file://${p}`, size: st.size, modifiedMs: st.mtimeMs } : undefined;
    };
    const walk = async function* (dir: string): AsyncIterable<StoredFile> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw storageError('list', dir, err);
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) yield* walk(p);
        else if (!e.name.endsWith('.tmp')) {
          const f = await file(p);
          if (f) yield f;
        }
      }
    };
    const st = await stat(root).catch(() => undefined);
    if (st?.isFile()) {
      const f = await file(root);
      if (f) yield f;
    } else yield* walk(root);
  }

  async close(): Promise<void> {}
}
