/**
 * Messages of the Iceberg REST catalog API (rest-catalog-open-api.yaml). Messages that are plain
 * JSON keep their wire shape (kebab-case keys) as types; those that carry metadata, schemas,
 * specs, requirements or updates have an AST form and converters, shared by the REST client and
 * the embedded catalog.
 */
import { FloeError } from '../errors.js';
import { metadataFromJson, metadataToJson, type TableMetadata } from './metadata.js';
import { sortOrderFromJson, sortOrderToJson, specFromJson, specToJson, type PartitionSpec, type SortOrder } from './partition.js';
import { requirementFromJson, requirementToJson, type TableRequirement } from './requirements.js';
import { schemaFromJson, schemaToJson } from './schema.js';
import type { Schema } from './types.js';
import { updateFromJson, updateToJson, type TableUpdate } from './updates.js';

type Json = Record<string, unknown>;

// ---- Plain JSON messages (wire shape) ----

export interface TableIdentifier {
  namespace: string[];
  name: string;
}

export interface CatalogConfig {
  defaults: Record<string, string>;
  overrides: Record<string, string>;
  /** `"<METHOD> <path>"` strings of the endpoints the server supports. */
  endpoints?: string[];
}

export interface ErrorModel {
  error: { message: string; type: string; code: number; stack?: string[] };
}

export interface OAuthTokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  issued_token_type?: string;
  refresh_token?: string;
  scope?: string;
}

export interface OAuthError {
  error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';
  error_description?: string;
  error_uri?: string;
}

export interface CreateNamespaceRequest {
  namespace: string[];
  properties?: Record<string, string>;
}

export type CreateNamespaceResponse = CreateNamespaceRequest;

export interface GetNamespaceResponse {
  namespace: string[];
  properties?: Record<string, string>;
}

export interface ListNamespacesResponse {
  'next-page-token'?: string | null;
  namespaces: string[][];
}

export interface ListTablesResponse {
  'next-page-token'?: string | null;
  identifiers: TableIdentifier[];
}

export interface UpdateNamespacePropertiesRequest {
  removals?: string[];
  updates?: Record<string, string>;
}

export interface UpdateNamespacePropertiesResponse {
  updated: string[];
  removed: string[];
  missing?: string[] | null;
}

export interface RenameTableRequest {
  source: TableIdentifier;
  destination: TableIdentifier;
}

export interface RegisterTableRequest {
  name: string;
  'metadata-location': string;
  overwrite?: boolean;
}

export interface StorageCredential {
  prefix: string;
  config: Record<string, string>;
}

export interface LoadCredentialsResponse {
  'storage-credentials': StorageCredential[];
}

/** An ErrorModel body (`type` is the Java exception name clients branch on, e.g. CommitFailedException). */
export function errorModel(code: number, type: string, message: string): ErrorModel {
  return { error: { message, type, code } };
}

/** Multi-level namespaces travel in a path segment joined by the unit separator (0x1F). */
export function encodeNamespace(ns: readonly string[]): string {
  return encodeURIComponent(ns.join('\u001f'));
}

export function decodeNamespace(segment: string): string[] {
  return decodeURIComponent(segment).split('\u001f');
}

// ---- Messages with an AST form ----

export interface LoadTableResult {
  metadataLocation?: string;
  metadata: TableMetadata;
  config?: Record<string, string>;
  storageCredentials?: StorageCredential[];
}

export interface CreateTableRequest {
  name: string;
  location?: string;
  schema: Schema;
  partitionSpec?: PartitionSpec;
  writeOrder?: SortOrder;
  stageCreate?: boolean;
  properties?: Record<string, string>;
}

export interface CommitTableRequest {
  identifier?: TableIdentifier;
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

export interface CommitTableResponse {
  metadataLocation: string;
  metadata: TableMetadata;
}

export interface CommitTransactionRequest {
  tableChanges: CommitTableRequest[];
}

const bad = (what: string, msg: string) => new FloeError('VALUE_INVALID', `${what}: ${msg}`);

function obj(j: unknown, what: string): Json {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad(what, `expected a JSON object, got ${JSON.stringify(j)}`);
  return j as Json;
}

function str(o: Json, k: string, what: string): string {
  if (typeof o[k] !== 'string') throw bad(what, `'${k}' must be a string`);
  return o[k] as string;
}

function strMap(v: unknown, k: string, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v as Json).every((x) => typeof x === 'string')) throw bad(what, `'${k}' must be an object of strings`);
  return v as Record<string, string>;
}

export function tableIdentifierFromJson(j: unknown, what = 'table identifier'): TableIdentifier {
  const o = obj(j, what);
  if (!Array.isArray(o.namespace) || !o.namespace.every((x) => typeof x === 'string')) throw bad(what, "'namespace' must be a list of strings");
  return { namespace: o.namespace as string[], name: str(o, 'name', what) };
}

export function loadTableResultToJson(r: LoadTableResult): Json {
  return {
    ...(r.metadataLocation !== undefined ? { 'metadata-location': r.metadataLocation } : {}),
    metadata: metadataToJson(r.metadata),
    ...(r.config ? { config: r.config } : {}),
    ...(r.storageCredentials ? { 'storage-credentials': r.storageCredentials } : {}),
  };
}

export function loadTableResultFromJson(j: unknown): LoadTableResult {
  const o = obj(j, 'LoadTableResult');
  const config = strMap(o.config, 'config', 'LoadTableResult');
  const creds = o['storage-credentials'];
  if (creds !== undefined && creds !== null && !Array.isArray(creds)) throw bad('LoadTableResult', "'storage-credentials' must be a list");
  return {
    ...(typeof o['metadata-location'] === 'string' ? { metadataLocation: o['metadata-location'] } : {}),
    metadata: metadataFromJson(obj(o.metadata, 'LoadTableResult.metadata')),
    ...(config ? { config } : {}),
    ...(Array.isArray(creds) ? { storageCredentials: creds.map((c) => ({ prefix: str(obj(c, 'storage credential'), 'prefix', 'storage credential'), config: strMap((c as Json).config, 'config', 'storage credential') ?? {} })) } : {}),
  };
}

export function createTableRequestToJson(r: CreateTableRequest): Json {
  return {
    name: r.name,
    ...(r.location !== undefined ? { location: r.location } : {}),
    schema: schemaToJson(r.schema),
    ...(r.partitionSpec ? { 'partition-spec': specToJson(r.partitionSpec) } : {}),
    ...(r.writeOrder ? { 'write-order': sortOrderToJson(r.writeOrder) } : {}),
    ...(r.stageCreate !== undefined ? { 'stage-create': r.stageCreate } : {}),
    ...(r.properties ? { properties: r.properties } : {}),
  };
}

export function createTableRequestFromJson(j: unknown): CreateTableRequest {
  const o = obj(j, 'CreateTableRequest');
  const properties = strMap(o.properties, 'properties', 'CreateTableRequest');
  if (o.location !== undefined && o.location !== null && typeof o.location !== 'string') throw bad('CreateTableRequest', "'location' must be a string");
  return {
    name: str(o, 'name', 'CreateTableRequest'),
    ...(typeof o.location === 'string' ? { location: o.location } : {}),
    schema: schemaFromJson(obj(o.schema, 'CreateTableRequest.schema')),
    ...(o['partition-spec'] ? { partitionSpec: specFromJson(o['partition-spec']) } : {}),
    ...(o['write-order'] ? { writeOrder: sortOrderFromJson(o['write-order']) } : {}),
    ...(typeof o['stage-create'] === 'boolean' ? { stageCreate: o['stage-create'] } : {}),
    ...(properties ? { properties } : {}),
  };
}

export function commitTableRequestToJson(r: CommitTableRequest): Json {
  return {
    ...(r.identifier ? { identifier: r.identifier } : {}),
    requirements: r.requirements.map(requirementToJson),
    updates: r.updates.map(updateToJson),
  };
}

export function commitTableRequestFromJson(j: unknown): CommitTableRequest {
  const o = obj(j, 'CommitTableRequest');
  if (!Array.isArray(o.requirements) || !Array.isArray(o.updates)) throw new FloeError('UPDATE_INVALID', "CommitTableRequest: 'requirements' and 'updates' must be lists");
  return {
    ...(o.identifier ? { identifier: tableIdentifierFromJson(o.identifier) } : {}),
    requirements: o.requirements.map(requirementFromJson),
    updates: o.updates.map(updateFromJson),
  };
}

export function commitTableResponseToJson(r: CommitTableResponse): Json {
  return { 'metadata-location': r.metadataLocation, metadata: metadataToJson(r.metadata) };
}

export function commitTableResponseFromJson(j: unknown): CommitTableResponse {
  const o = obj(j, 'CommitTableResponse');
  return { metadataLocation: str(o, 'metadata-location', 'CommitTableResponse'), metadata: metadataFromJson(obj(o.metadata, 'CommitTableResponse.metadata')) };
}

export function commitTransactionRequestToJson(r: CommitTransactionRequest): Json {
  return { 'table-changes': r.tableChanges.map(commitTableRequestToJson) };
}

export function commitTransactionRequestFromJson(j: unknown): CommitTransactionRequest {
  const o = obj(j, 'CommitTransactionRequest');
  if (!Array.isArray(o['table-changes'])) throw new FloeError('UPDATE_INVALID', "CommitTransactionRequest: 'table-changes' must be a list");
  const tableChanges = o['table-changes'].map(commitTableRequestFromJson);
  // Each change must say which table it is for: there is no table in the path.
  for (const [i, c] of tableChanges.entries()) if (!c.identifier) throw new FloeError('UPDATE_INVALID', `CommitTransactionRequest: table-changes[${i}] has no identifier`);
  return { tableChanges };
}
