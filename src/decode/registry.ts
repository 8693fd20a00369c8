/**
 * Schema registry client (Confluent REST API): schemas by id, cached for the process, with
 * in-flight de-duplication. An unknown id is a record error (dead letter); a registry that does
 * not answer is a whole-service error (retry, never skip).
 */
import { FloeError } from '../errors.js';

export interface RegistryConfig {
  url: string;
  username?: string;
  password?: string;
  token?: string;
  timeoutMs?: number;
}

export interface RegisteredSchema {
  id: number;
  schemaType: 'AVRO' | 'JSON' | 'PROTOBUF';
  schema: string;
}

export class RegistryClient {
  private readonly cache = new Map<number, Promise<RegisteredSchema>>();
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly cfg: RegistryConfig) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (cfg.token) this.headers.authorization = `Bearer ${cfg.token}`;
    else if (cfg.username) this.headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
  }

  private async get(path: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 10_000) });
      } catch (err) {
        if (attempt < 3) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        throw new FloeError('REGISTRY_ERROR', `schema registry ${this.base} did not answer: ${(err as Error).message}`, { cause: err, retryable: true });
      }
      if (res.ok) return res.json();
      if (res.status === 404) return undefined;
      if (res.status >= 500 && attempt < 3) continue;
      const text = await res.text();
      throw new FloeError(res.status === 401 || res.status === 403 ? 'UNAUTHORIZED' : 'REGISTRY_ERROR', `schema registry GET ${path}: ${res.status} ${text.slice(0, 200)}`, {
        retryable: res.status >= 500 || res.status === 429,
      });
    }
  }

  /** The schema with this id; an unknown id throws DECODE_FAILED (the record goes to the dead-letter table). */
  schemaById(id: number): Promise<RegisteredSchema> {
    let p = this.cache.get(id);
    if (!p) {
      p = (async () => {
        const r = (await this.get(`/schemas/ids/${id}`)) as { schema: string; schemaType?: string } | undefined;
        if (!r) throw new FloeError('DECODE_FAILED', `schema id ${id} is not in the schema registry ${this.base}`);
        return { id, schemaType: (r.schemaType ?? 'AVRO') as RegisteredSchema['schemaType'], schema: r.schema };
      })();
      this.cache.set(id, p);
      // Failures are not cached: a registry outage must not poison the id.
      p.catch(() => this.cache.delete(id));
    }
    return p;
  }

  /** Registers a schema under a subject (for tests, the demo and benchmarks); returns its id. */
  async register(subject: string, schema: string, schemaType: 'AVRO' | 'JSON' = 'AVRO'): Promise<number> {
    const res = await fetch(`${this.base}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify(schemaType === 'AVRO' ? { schema } : { schema, schemaType }),
    });
    if (!res.ok) throw new FloeError('REGISTRY_ERROR', `registering ${subject}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }
}
