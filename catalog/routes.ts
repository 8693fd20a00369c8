/**
 * The REST routes of the Iceberg OpenAPI spec (rest-catalog-open-api.yaml) that this catalog
 * implements, as fastify handlers over Catalog. Bodies are checked with zod first (clear
 * 400s naming the field), then parsed with src/spec's JSON readers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { stringifyJson } from '../src/spec/json.js';
import { metadataToJson } from '../src/spec/metadata.js';
import { sortOrderFromJson, specFromJson } from '../src/spec/partition.js';
import { requirementFromJson } from '../src/spec/requirements.js';
import { schemaFromJson } from '../src/spec/schema.js';
import { updateFromJson } from '../src/spec/updates.js';
import type { Catalog, LoadedTable, TableChange } from './catalog.js';
import { badRequest, noSuchTable, noSuchView, parsing } from './errors.js';
import { NS_SEP } from './store/index.js';
import { viewMetadataToJson, viewVersionFromJson } from './view-metadata.js';
import { viewRequirementFromJson, viewUpdateFromJson } from './view-updates.js';
import type { LoadedView, ViewChange } from './views.js';

const props = z.record(z.string(), z.string());
const ident = z.object({ namespace: z.array(z.string()), name: z.string().min(1) });
const obj = z.record(z.string(), z.unknown());

const CreateNamespace = z.object({ namespace: z.array(z.string().min(1)).min(1), properties: props.nullish() });
const UpdateProperties = z.object({ updates: props.nullish(), removals: z.array(z.string()).nullish() });
const CreateTable = z.object({
  name: z.string().min(1),
  location: z.string().min(1).nullish(),
  schema: obj,
  'partition-spec': obj.nullish(),
  'write-order': obj.nullish(),
  'stage-create': z.boolean().nullish(),
  properties: props.nullish(),
});
const RegisterTable = z.object({ name: z.string().min(1), 'metadata-location': z.string().min(1), overwrite: z.boolean().nullish() });
const Rename = z.object({ source: ident, destination: ident });
const Commit = z.object({ identifier: ident.nullish(), requirements: z.array(obj), updates: z.array(obj) });
const CreateView = z.object({
  name: z.string().min(1),
  location: z.string().min(1).nullish(),
  schema: obj,
  'view-version': obj,
  properties: props.nullish(),
});
const CommitView = z.object({ identifier: ident.nullish(), requirements: z.array(obj).nullish(), updates: z.array(obj) });
const Transaction = z.object({ 'table-changes': z.array(Commit.extend({ identifier: ident })).min(1) });

function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
  throw badRequest(`invalid request body: ${why}`);
}

export function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(stringifyJson(body));
}

const namespaceOf = (raw: string): string[] => raw.split(NS_SEP);

type NsParams = { namespace: string };
type TableParams = { namespace: string; table: string };
type ViewParams = { namespace: string; view: string };
type Req<P = unknown, Q = Record<string, string | undefined>> = FastifyRequest<{ Params: P; Querystring: Q }>;

/** Page size and token from the query; tokens are the last key of the page, base64url. */
function paging(q: Record<string, string | undefined>): { after: string | undefined; limit: number; paged: boolean } {
  const size = q.pageSize === undefined ? undefined : Number(q.pageSize);
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) throw badRequest(`pageSize must be a positive integer (got '${q.pageSize}')`);
  const after = q.pageToken ? Buffer.from(q.pageToken, 'base64url').toString() : undefined;
  return { after, limit: Math.min(size ?? 100_000, 100_000), paged: q.pageToken !== undefined || size !== undefined };
}

const token = (next: string | undefined) => (next === undefined ? null : Buffer.from(next).toString('base64url'));

/** A LoadTableResult as JSON text, reusing the metadata file's text when the catalog has it. */
function loadResult(t: LoadedTable, withConfig = true): string {
  const meta = t.metadataJson ?? stringifyJson(metadataToJson(t.metadata));
  const loc = t.metadataLocation ? `"metadata-location":${JSON.stringify(t.metadataLocation)},` : '';
  return `{${loc}"metadata":${meta}${withConfig ? `,"config":${JSON.stringify(t.config)}` : ''}}`;
}

function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('application/json').send(text);
}

function parseChange(c: z.infer<typeof Commit>, identifier: { namespace: string[]; name: string }): TableChange {
  return {
    identifier,
    requirements: c.requirements.map((r, i) => parsing(`requirements[${i}]`, () => requirementFromJson(r))),
    updates: c.updates.map((u, i) => parsing(`updates[${i}]`, () => updateFromJson(u))),
  };
}

/** A LoadViewResult as JSON text: the metadata file's own text. */
function loadViewResult(v: LoadedView): string {
  const meta = v.metadataJson || stringifyJson(viewMetadataToJson(v.metadata));
  return `{"metadata-location":${JSON.stringify(v.metadataLocation)},"metadata":${meta},"config":${JSON.stringify(v.config)}}`;
}

function parseViewChange(c: z.infer<typeof CommitView>): ViewChange {
  return {
    requirements: (c.requirements ?? []).map((r, i) => parsing(`requirements[${i}]`, () => viewRequirementFromJson(r))),
    updates: c.updates.map((u, i) => parsing(`updates[${i}]`, () => viewUpdateFromJson(u))),
  };
}

export const ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'POST /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'DELETE /v1/{prefix}/namespaces/{namespace}',
  'POST /v1/{prefix}/namespaces/{namespace}/properties',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'POST /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/register',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics',
  'POST /v1/{prefix}/tables/rename',
  'POST /v1/{prefix}/transactions/commit',
  'GET /v1/{prefix}/namespaces/{namespace}/views',
  'POST /v1/{prefix}/namespaces/{namespace}/views',
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/views/rename',
];

export function registerRoutes(app: FastifyInstance, catalog: Catalog, base: string): void {
  app.get(`${base}/namespaces`, async (req: Req, reply) => {
    const q = req.query;
    const parent = q.parent ? namespaceOf(q.parent) : undefined;
    const { after, limit, paged } = paging(q);
    const page = await catalog.listNamespaces(parent, after, limit);
    return json(reply, 200, { namespaces: page.items, ...(paged ? { 'next-page-token': token(page.next) } : {}) });
  });

  app.post(`${base}/namespaces`, async (req, reply) => {
    const b = validate(CreateNamespace, req.body);
    await catalog.createNamespace(b.namespace, b.properties ?? {});
    return json(reply, 200, { namespace: b.namespace, properties: b.properties ?? {} });
  });

  app.get(`${base}/namespaces/:namespace`, async (req: Req<NsParams>, reply) => {
    const ns = namespaceOf(req.params.namespace);
    return json(reply, 200, { namespace: ns, properties: await catalog.loadNamespace(ns) });
  });

  app.head(`${base}/namespaces/:namespace`, async (req: Req<NsParams>, reply) => {
    await catalog.loadNamespace(namespaceOf(req.params.namespace));
    return reply.code(204).send();
  });

  app.delete(`${base}/namespaces/:namespace`, async (req: Req<NsParams>, reply) => {
    await catalog.dropNamespace(namespaceOf(req.params.namespace));
    return reply.code(204).send();
  });

  app.post(`${base}/namespaces/:namespace/properties`, async (req: Req<NsParams>, reply) => {
    const b = validate(UpdateProperties, req.body);
    return json(reply, 200, await catalog.updateNamespace(namespaceOf(req.params.namespace), b.updates ?? {}, b.removals ?? []));
  });

  app.get(`${base}/namespaces/:namespace/tables`, async (req: Req<NsParams>, reply) => {
    const ns = namespaceOf(req.params.namespace);
    const { after, limit, paged } = paging(req.query);
    const page = await catalog.listTables(ns, after, limit);
    return json(reply, 200, { identifiers: page.items.map((name) => ({ namespace: ns, name })), ...(paged ? { 'next-page-token': token(page.next) } : {}) });
  });

  app.post(`${base}/namespaces/:namespace/tables`, async (req: Req<NsParams>, reply) => {
    const b = validate(CreateTable, req.body);
    const t = await catalog.createTable(namespaceOf(req.params.namespace), {
      name: b.name,
      schema: parsing('schema', () => schemaFromJson(b.schema)),
      ...(b['partition-spec'] ? { spec: parsing('partition-spec', () => specFromJson(b['partition-spec'])) } : {}),
      ...(b['write-order'] ? { sortOrder: parsing('write-order', () => sortOrderFromJson(b['write-order'])) } : {}),
      ...(b.location ? { location: b.location } : {}),
      properties: b.properties ?? {},
      stageCreate: b['stage-create'] ?? false,
    });
    return sendText(reply, 200, loadResult(t));
  });

  app.post(`${base}/namespaces/:namespace/register`, async (req: Req<NsParams>, reply) => {
    const b = validate(RegisterTable, req.body);
    return sendText(reply, 200, loadResult(await catalog.registerTable(namespaceOf(req.params.namespace), b.name, b['metadata-location'], b.overwrite ?? false)));
  });

  app.get(`${base}/namespaces/:namespace/tables/:table`, async (req: Req<TableParams>, reply) => {
    const snapshots = req.query.snapshots ?? 'all';
    if (snapshots !== 'all' && snapshots !== 'refs') throw badRequest(`snapshots must be all or refs (got '${snapshots}')`);
    const t = await catalog.loadTable({ namespace: namespaceOf(req.params.namespace), name: req.params.table }, snapshots);
    // ETag: the metadata file's name is unique per version of the table.
    if (t.metadataLocation) reply.header('etag', `"${Buffer.from(t.metadataLocation).toString('base64url')}"`);
    return sendText(reply, 200, loadResult(t));
  });

  app.head(`${base}/namespaces/:namespace/tables/:table`, async (req: Req<TableParams>, reply) => {
    const ns = namespaceOf(req.params.namespace);
    if (!(await catalog.tableExists({ namespace: ns, name: req.params.table }))) throw noSuchTable(ns, req.params.table);
    return reply.code(204).send();
  });

  app.post(`${base}/namespaces/:namespace/tables/:table`, async (req: Req<TableParams>, reply) => {
    const b = validate(Commit, req.body);
    const id = { namespace: namespaceOf(req.params.namespace), name: req.params.table };
    if (b.identifier && (b.identifier.name !== id.name || b.identifier.namespace.join(NS_SEP) !== id.namespace.join(NS_SEP))) {
      throw badRequest(`identifier ${[...b.identifier.namespace, b.identifier.name].join('.')} does not match the path's table ${[...id.namespace, id.name].join('.')}`);
    }
    const [t] = await catalog.commit([parseChange(b, id)]);
    return sendText(reply, 200, loadResult(t as LoadedTable, false));
  });

  app.delete(`${base}/namespaces/:namespace/tables/:table`, async (req: Req<TableParams>, reply) => {
    const purge = req.query.purgeRequested === 'true';
    await catalog.dropTable({ namespace: namespaceOf(req.params.namespace), name: req.params.table }, purge);
    return reply.code(204).send();
  });

  app.post(`${base}/namespaces/:namespace/tables/:table/metrics`, async (req: Req<TableParams>, reply) => {
    const ns = namespaceOf(req.params.namespace);
    if (!(await catalog.tableExists({ namespace: ns, name: req.params.table }))) throw noSuchTable(ns, req.params.table);
    validate(obj, req.body);
    return reply.code(204).send();
  });

  app.post(`${base}/tables/rename`, async (req, reply) => {
    const b = validate(Rename, req.body);
    await catalog.renameTable(b.source, b.destination);
    return reply.code(204).send();
  });

  app.post(`${base}/transactions/commit`, async (req, reply) => {
    const b = validate(Transaction, req.body);
    await catalog.commit(b['table-changes'].map((c) => parseChange(c, c.identifier)));
    return reply.code(204).send();
  });

  registerViewRoutes(app, catalog, base);
}

function registerViewRoutes(app: FastifyInstance, catalog: Catalog, base: string): void {
  const viewOf = (p: ViewParams) => ({ namespace: namespaceOf(p.namespace), name: p.view });

  app.get(`${base}/namespaces/:namespace/views`, async (req: Req<NsParams>, reply) => {
    const ns = namespaceOf(req.params.namespace);
    const { after, limit, paged } = paging(req.query);
    const page = await catalog.views.list(ns, after, limit);
    return json(reply, 200, { identifiers: page.items.map((name) => ({ namespace: ns, name })), ...(paged ? { 'next-page-token': token(page.next) } : {}) });
  });

  app.post(`${base}/namespaces/:namespace/views`, async (req: Req<NsParams>, reply) => {
    const b = validate(CreateView, req.body);
    const v = await catalog.views.create(namespaceOf(req.params.namespace), {
      name: b.name,
      schema: parsing('schema', () => schemaFromJson(b.schema)),
      viewVersion: parsing('view-version', () => viewVersionFromJson(b['view-version'])),
      ...(b.location ? { location: b.location } : {}),
      properties: b.properties ?? {},
    });
    return sendText(reply, 200, loadViewResult(v));
  });

  app.get(`${base}/namespaces/:namespace/views/:view`, async (req: Req<ViewParams>, reply) => {
    const v = await catalog.views.load(viewOf(req.params));
    reply.header('etag', `"${Buffer.from(v.metadataLocation).toString('base64url')}"`);
    return sendText(reply, 200, loadViewResult(v));
  });

  app.head(`${base}/namespaces/:namespace/views/:view`, async (req: Req<ViewParams>, reply) => {
    const id = viewOf(req.params);
    if (!(await catalog.views.exists(id))) throw noSuchView(id.namespace, id.name);
    return reply.code(204).send();
  });

  app.post(`${base}/namespaces/:namespace/views/:view`, async (req: Req<ViewParams>, reply) => {
    const b = validate(CommitView, req.body);
    const id = viewOf(req.params);
    if (b.identifier && (b.identifier.name !== id.name || b.identifier.namespace.join(NS_SEP) !== id.namespace.join(NS_SEP))) {
      throw badRequest(`identifier ${[...b.identifier.namespace, b.identifier.name].join('.')} does not match the path's view ${[...id.namespace, id.name].join('.')}`);
    }
    return sendText(reply, 200, loadViewResult(await catalog.views.replace(id, parseViewChange(b))));
  });

  app.delete(`${base}/namespaces/:namespace/views/:view`, async (req: Req<ViewParams>, reply) => {
    await catalog.views.drop(viewOf(req.params));
    return reply.code(204).send();
  });

  app.post(`${base}/views/rename`, async (req, reply) => {
    const b = validate(Rename, req.body);
    await catalog.views.rename(b.source, b.destination);
    return reply.code(204).send();
  });
}
