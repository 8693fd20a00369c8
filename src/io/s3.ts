import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { FloeError } from '../errors.js';
import { parseLocation, type FileIO, type OutputFile, type StoredFile } from './file-io.js';

export interface S3Config {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  /** Static credentials; when absent the SDK's default chain (env, profile, web identity, IMDS) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Multipart part size in bytes (S3 minimum 5 MiB). Objects smaller than one part use a single PUT. */
  partSize?: number;
  maxAttempts?: number;
}

const MIN_PART = 5 * 1024 * 1024;

/**
 * S3 settings from Iceberg storage properties, as a REST catalog vends them in a loaded table's
 * `config` or `storage-credentials` (Iceberg's S3FileIOProperties and AwsClientProperties keys:
 * `s3.access-key-id`, `s3.secret-access-key`, `s3.session-token`, `s3.endpoint`,
 * `s3.path-style-access`, `client.region`; `s3.region` as PyIceberg spells it). Only the keys
 * present are returned.
 */
export function s3ConfigFromProperties(props: Readonly<Record<string, string>>): S3Config {
  const out: S3Config = {};
  const accessKeyId = props['s3.access-key-id'];
  const secretAccessKey = props['s3.secret-access-key'];
  if (accessKeyId && secretAccessKey) {
    out.accessKeyId = accessKeyId;
    out.secretAccessKey = secretAccessKey;
    // A vended key pair without a token replaces the base token too (it belongs to other keys).
    out.sessionToken = props['s3.session-token'] || undefined;
  }
  if (props['s3.endpoint']) out.endpoint = props['s3.endpoint'];
  const pathStyle = props['s3.path-style-access'];
  if (pathStyle !== undefined) out.pathStyle = pathStyle.toLowerCase() === 'true';
  const region = props['client.region'] ?? props['s3.region'];
  if (region) out.region = region;
  return out;
}

interface S3ErrorShape {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  message?: string;
}

/** Error names of refused or expired credentials (expired vended tokens included). */
const AUTH_ERRORS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'XAdminUserNotFound']);

/** Maps an SDK error to a FloeError; server and network faults are retryable, auth and 4xx are not. */
export function s3Error(op: string, location: string, err: unknown): FloeError {
  const e = err as S3ErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  // Before the 404 test: a store may answer an unknown key id with a 404 (XAdminUserNotFound).
  if (status === 403 || AUTH_ERRORS.has(name)) {
    return new FloeError('UNAUTHORIZED', `${op} ${location}: access denied (${name}); check the storage credentials (or the catalog's vended ones)`, { cause: err, retryable: true });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new FloeError('NOT_FOUND', `${op} ${location}: no such object`, { cause: err });
  }
  if (name === 'NoSuchBucket') {
    return new FloeError('STORAGE_ERROR', `${op} ${location}: the bucket does not exist; create it or fix the warehouse location`, { cause: err, retryable: true });
  }
  const retryable = status === undefined || status >= 500 || status === 429;
  return new FloeError('STORAGE_ERROR', `${op} ${location} failed: ${name}: ${e.message ?? ''}`.trim(), { cause: err, retryable });
}

export class S3FileIO implements FileIO {
  readonly client: S3Client;
  private readonly partSize: number;

  constructor(config: S3Config = {}) {
    this.partSize = Math.max(MIN_PART, config.partSize ?? 8 * 1024 * 1024);
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: config.pathStyle ?? config.endpoint !== undefined,
      maxAttempts: config.maxAttempts ?? 3,
      credentials:
        config.accessKeyId && config.secretAccessKey
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken }
          : undefined,
    });
  }

  private loc(location: string): { Bucket: string; Key: string } {
    const p = parseLocation(location);
    if (p.scheme !== 's3') throw new FloeError('STORAGE_ERROR', `S3 FileIO cannot handle '${location}'`);
    return { Bucket: p.bucket, Key: p.path };
  }

  async read(location: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand(this.loc(location)));
      if (!out.Body) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (err) {
      throw s3Error('read', location, err);
    }
  }

  async write(location: string, bytes: Uint8Array): Promise<number> {
    try {
      await this.client.send(new PutObjectCommand({ ...this.loc(location), Body: bytes, ContentLength: bytes.byteLength }));
      return bytes.byteLength;
    } catch (err) {
      throw s3Error('write', location, err);
    }
  }

  create(location: string): OutputFile {
    const target = this.loc(location);
    const parts: CompletedPart[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;
    let uploadId: string | undefined;

    const flushPart = async (): Promise<void> => {
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (!uploadId) {
        const created = await this.client.send(new CreateMultipartUploadCommand(target));
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const res = await this.client.send(new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.byteLength }));
      parts.push({ PartNumber, ETag: res.ETag });
    };

    const abort = async (): Promise<void> => {
      pending = [];
      if (uploadId) {
        const id = uploadId;
        uploadId = undefined;
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: id })).catch(() => undefined);
      }
    };

    return {
      write: async (chunk) => {
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        size += chunk.byteLength;
        try {
          if (pendingBytes >= this.partSize) await flushPart();
        } catch (err) {
          await abort();
          throw s3Error('write', location, err);
        }
      },
      close: async () => {
        try {
          if (!uploadId) {
            const body = Buffer.concat(pending, pendingBytes);
            await this.client.send(new PutObjectCommand({ ...target, Body: body, ContentLength: body.byteLength }));
            return size;
          }
          if (pendingBytes > 0) await flushPart();
          await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
          return size;
        } catch (err) {
          await abort();
          throw s3Error('write', location, err);
        }
      },
      abort,
    };
  }

  async exists(location: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand(this.loc(location)));
      return true;
    } catch (err) {
      const f = s3Error('head', location, err);
      if (f.code === 'NOT_FOUND') return false;
      throw f;
    }
  }

  async delete(location: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand(this.loc(location)));
    } catch (err) {
      throw s3Error('delete', location, err);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const f of this.listFiles(prefix)) yield f.location;
  }

  async *listFiles(prefix: string): AsyncIterable<StoredFile> {
    const { Bucket, Key } = this.loc(prefix);
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(new ListObjectsV2Command({ Bucket, Prefix: Key, ContinuationToken: token }));
      } catch (err) {
        throw s3Error('list', prefix, err);
      }
      for (const o of out.Contents ?? []) if (o.Key) yield { location: `s3://${Bucket}/${o.Key}`, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 };
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
