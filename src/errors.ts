/**
 * The one error type of Floe. Callers branch on `code` (and `retryable`), never on message text.
 * Messages say what happened, which input or key, and what to do.
 */
export type FloeErrorCode =
  | 'CONFIG_INVALID'
  | 'SCHEMA_INVALID'
  | 'TYPE_UNSUPPORTED'
  | 'VALUE_INVALID'
  | 'DECODE_FAILED'
  | 'CONVERT_FAILED'
  | 'ROUTE_FAILED'
  | 'REQUIREMENT_FAILED'
  | 'UPDATE_INVALID'
  | 'METADATA_INVALID'
  | 'COMMIT_CONFLICT'
  | 'COMMIT_STATE_UNKNOWN'
  | 'FENCED'
  | 'CATALOG_ERROR'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHORIZED'
  | 'STORAGE_ERROR'
  | 'KAFKA_ERROR'
  | 'REGISTRY_ERROR'
  | 'TIMEOUT'
  | 'INTERNAL';

export interface FloeErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Extra structured context for logs (table, topic, key...). */
  details?: Record<string, unknown>;
}

export class FloeError extends Error {
  readonly code: FloeErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: FloeErrorCode, message: string, options: FloeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FloeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export function isFloeError(err: unknown, code?: FloeErrorCode): err is FloeError {
  return err instanceof FloeError && (code === undefined || err.code === code);
}

/** A short, one-line description of any thrown value, for logs and dead-letter rows. */
export function describeError(err: unknown): string {
  if (err instanceof FloeError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
