/**
 * Schema registry client (Confluent's REST API; Apicurio serves it under /apis/ccompat/v7).
 * Schemas by id are immutable, so they are cached (LRU) with in-flight de-duplication: a burst
 * of records with a new id costs one request. An unknown id is a record fault (DECODE_FAILED,
 * not retryable: the record goes to the dead-letter table); a registry that does not answer,
 * answers 5xx or refuses the credentials is a whole-service fault (retryable: never skip).
 */
import { FloeError } from '../errors.js';
import { LruCache } from './lru.js';

export interface RegistryConfig {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  timeoutMs?: number | undefined;
  /** Schemas kept by id (default 1000). */
  cacheSize?: number | undefined;
  /** Attempts per request on a 5xx, 429 or network error before giving up (default 4). */
  attempts?: number | undefined;
  /** First back-off in ms, doubled each attempt (default 100). */
  backoffMs?: number | undefined;
}

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface RegisteredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  /** The referenced schemas' texts, dependencies first (resolved recursively). */
  referenced: string[];
}

export interface SubjectVersion extends RegisteredSchema {
  subject: string;
  version: number;
}

/** Where a Decoder finds writer schemas: the registry, or a fixed set (benchmarks, tools). */
export interface SchemaSource {
  schemaById(id: number): Promise<RegisteredSchema>;
}

interface Wire {
  id?: number;
  schema?: string;
  schemaType?: string;
  references?: SchemaReference[];
  subject?: string;
  version?: number;
}

/** How long a 404 for an id is remembered, so a stream of records with a bad id is not a request each. */
const NOT_FOUND_TTL_MS = 30_000;

export class RegistryClient implements SchemaSource {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly cache: LruCache<number, RegisteredSchema>;
  private readonly inflight = new Map<number, Promise<RegisteredSchema>>();
  private readonly missing = new Map<number, number>();
  /** HTTP requests sent (retries included), for tests and metrics. */
  requests = 0;

  constructor(private readonly cfg: RegistryConfig) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.cache = new LruCache(cfg.cacheSize ?? 1000);
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (cfg.token) this.headers.authorization = `Bearer ${cfg.token}`;
    else if (cfg.username) this.headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
  }

  get url(): string {
    return this.base;
  }

  /** One request with retries; `undefined` for a 404 (the caller says what was not found). */
  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const attempts = Math.max(1, this.cfg.attempts ?? 4);
    let delay = this.cfg.backoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        this.requests++;
        res = await fetch(`${this.base}${path}`, {
          method,
          headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/vnd.schemaregistry.v1+json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 10_000),
        });
      } catch (err) {
        error = err;
      }
      if (res?.ok) return res.status === 204 ? undefined : res.json();
      if (res?.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      const transient = !res || res.status >= 500 || res.status === 429;
      if (transient && attempt < attempts) {
        await res?.body?.cancel();
        await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() / 2)));
        delay *= 2;
        continue;
      }
      if (!res) {
        const why = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        throw new FloeError('REGISTRY_ERROR', `schema registry ${this.base} did not answer ${method} ${path} after ${attempt} attempts: ${why}`, { cause: error, retryable: true });
      }
      const text = (await res.text()).slice(0, 300);
      if (res.status === 401 || res.status === 403) {
        throw new FloeError('UNAUTHORIZED', `schema registry ${this.base} refused ${method} ${path} (${res.status}): check registry.username/password or registry.token`, { retryable: true });
      }
      // Anything else (a 5xx that persists, a 4xx on a read) stops progress; records are never skipped for it.
      throw new FloeError('REGISTRY_ERROR', `schema registry ${method} ${path}: ${res.status} ${text}`, { retryable: transient || method === 'GET' });
    }
  }

  private toSchema(id: number, r: Wire, referenced: string[]): RegisteredSchema {
    const t = (r.schemaType ?? 'AVRO').toUpperCase();
    return { id, schemaType: (t === 'JSON' || t === 'PROTOBUF' ? t : 'AVRO') as SchemaType, schema: r.schema ?? '', references: r.references ?? [], referenced };
  }

  /** Texts of the referenced schemas, dependencies first, each once. */
  private async resolveReferences(refs: readonly SchemaReference[], seen = new Set<string>()): Promise<string[]> {
    const out: string[] = [];
    for (const ref of refs) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const v = await this.version(ref.subject, ref.version, false);
      if (!v) throw new FloeError('DECODE_FAILED', `schema reference '${ref.name}' (subject ${ref.subject} version ${ref.version}) is not in the schema registry`);
      out.push(...(await this.resolveReferences(v.references, seen)), v.schema);
    }
    return out;
  }

  /** The schema with this id. An unknown id throws DECODE_FAILED (the record goes to the dead-letter table). */
  schemaById(id: number): Promise<RegisteredSchema> {
    const hit = this.cache.get(id);
    if (hit) return Promise.resolve(hit);
    const missingAt = this.missing.get(id);
    if (missingAt !== undefined && Date.now() - missingAt < NOT_FOUND_TTL_MS) return Promise.reject(this.unknownId(id));
    let p = this.inflight.get(id);
    if (!p) {
      p = (async () => {
        const r = (await this.request('GET', `/schemas/ids/${id}`)) as Wire | undefined;
        if (!r) {
          this.missing.set(id, Date.now());
          throw this.unknownId(id);
        }
        const s = this.toSchema(id, r, r.references?.length ? await this.resolveReferences(r.references) : []);
        this.cache.set(id, s);
        this.missing.delete(id);
        return s;
      })();
      this.inflight.set(id, p);
      // Failures are not cached: a registry outage must not poison the id.
      const done = () => this.inflight.delete(id);
      p.then(done, done);
    }
    return p;
  }

  private unknownId(id: number): FloeError {
    return new FloeError('DECODE_FAILED', `schema id ${id} is not in the schema registry ${this.base}: an unknown schema id (was the record written against another registry?)`, { details: { schemaId: id } });
  }

  async subjects(): Promise<string[]> {
    return ((await this.request('GET', '/subjects')) as string[] | undefined) ?? [];
  }

  /** Version numbers of a subject; empty when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    return ((await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions`)) as number[] | undefined) ?? [];
  }

  /** One version of a subject (or 'latest'); undefined when it does not exist. */
  async version(subject: string, version: number | 'latest', resolve = true): Promise<SubjectVersion | undefined> {
    const r = (await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`)) as Wire | undefined;
    if (!r) return undefined;
    const refs = resolve && r.references?.length ? await this.resolveReferences(r.references) : [];
    return { ...this.toSchema(r.id ?? 0, r, refs), subject: r.subject ?? subject, version: r.version ?? 0 };
  }

  /** Registers a schema under a subject (tests, the demo, benchmarks); returns its id. */
  async register(subject: string, schema: string, schemaType: SchemaType = 'AVRO', references: SchemaReference[] = []): Promise<number> {
    const body = { schema, ...(schemaType === 'AVRO' ? {} : { schemaType }), ...(references.length ? { references } : {}) };
    const r = (await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body)) as { id: number } | undefined;
    if (!r) throw new FloeError('REGISTRY_ERROR', `registering a schema under '${subject}': the registry answered 404 (is the URL's path right, e.g. /apis/ccompat/v7 for Apicurio?)`);
    return r.id;
  }

  /** Deletes a subject (tests); `permanent` removes it for good after the soft delete. */
  async deleteSubject(subject: string, permanent = false): Promise<void> {
    await this.request('DELETE', `/subjects/${encodeURIComponent(subject)}`);
    if (permanent) await this.request('DELETE', `/subjects/${encodeURIComponent(subject)}?permanent=true`);
  }
}
