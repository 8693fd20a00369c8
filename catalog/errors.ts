/**
 * The REST spec's ErrorModel: `{"error": {message, type, code}}`, with the exception type
 * names Java's, PyIceberg's and Trino's clients map back to their own exceptions. Anything
 * that is not a CatalogError answers 500 with a generic message: no stack traces leave.
 */
import { isFloeError } from '../src/errors.js';

export type ErrorType =
  | 'BadRequestException'
  | 'NotAuthorizedException'
  | 'ForbiddenException'
  | 'NoSuchNamespaceException'
  | 'NoSuchTableException'
  | 'NoSuchViewException'
  | 'NotFoundException'
  | 'AlreadyExistsException'
  | 'NamespaceNotEmptyException'
  | 'CommitFailedException'
  | 'UnsupportedOperationException'
  | 'ServiceUnavailableException'
  | 'CommitStateUnknownException'
  | 'InternalServerError';

const STATUS: Record<ErrorType, number> = {
  BadRequestException: 400,
  NotAuthorizedException: 401,
  ForbiddenException: 403,
  NoSuchNamespaceException: 404,
  NoSuchTableException: 404,
  NoSuchViewException: 404,
  NotFoundException: 404,
  AlreadyExistsException: 409,
  NamespaceNotEmptyException: 409,
  CommitFailedException: 409,
  UnsupportedOperationException: 406,
  ServiceUnavailableException: 503,
  CommitStateUnknownException: 500,
  InternalServerError: 500,
};

export class CatalogError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = STATUS[type];
  }
}

export const badRequest = (msg: string) => new CatalogError('BadRequestException', msg);
export const noSuchNamespace = (ns: readonly string[]) => new CatalogError('NoSuchNamespaceException', `Namespace does not exist: ${ns.join('.')}`);
export const noSuchTable = (ns: readonly string[], name: string) => new CatalogError('NoSuchTableException', `Table does not exist: ${[...ns, name].join('.')}`);
export const noSuchView = (ns: readonly string[], name: string) => new CatalogError('NoSuchViewException', `View does not exist: ${[...ns, name].join('.')}`);

export interface ErrorModel {
  error: { message: string; type: string; code: number };
}

/**
 * Maps what a handler threw to a status and ErrorModel. FloeErrors from src/spec carry the
 * meaning: a failed requirement is a lost race (409), an invalid update a bad request.
 */
export function toErrorModel(err: unknown): ErrorModel {
  let e: CatalogError;
  if (err instanceof CatalogError) e = err;
  else if (isFloeError(err)) {
    switch (err.code) {
      case 'REQUIREMENT_FAILED':
      case 'COMMIT_CONFLICT':
        e = new CatalogError('CommitFailedException', err.message);
        break;
      case 'UPDATE_INVALID':
      case 'METADATA_INVALID':
      case 'SCHEMA_INVALID':
      case 'TYPE_UNSUPPORTED':
      case 'VALUE_INVALID':
        e = new CatalogError('BadRequestException', err.message);
        break;
      case 'NOT_FOUND':
        e = new CatalogError('NotFoundException', err.message);
        break;
      case 'ALREADY_EXISTS':
        e = new CatalogError('AlreadyExistsException', err.message);
        break;
      case 'STORAGE_ERROR':
      case 'UNAUTHORIZED':
        // The warehouse refused a write or read: nothing was committed, the client may retry.
        e = new CatalogError('ServiceUnavailableException', `storage: ${err.message}`);
        break;
      default:
        e = new CatalogError('InternalServerError', 'internal error (see the catalog log)');
    }
  } else e = new CatalogError('InternalServerError', 'internal error (see the catalog log)');
  return { error: { message: e.message, type: e.type, code: e.status } };
}

/** Runs a parser of client input: whatever it throws is the client's fault (400). */
export function parsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CatalogError) throw err;
    throw badRequest(`${what}: ${(err as Error).message}`);
  }
}
