/**
 * The HTTP side of the REST catalog client: auth (static bearer token, OAuth2 client
 * credentials refreshed before expiry), per-request timeouts, retries of idempotent reads with
 * jittered back-off, and the mapping of the REST ErrorModel to FloeError codes the commit logic
 * branches on (DESIGN §2 rules 4 and 5). Node's built-in fetch: no other HTTP library.
 */
import { FloeError, type FloeErrorCode } from '../errors.js';
import { parseJson, stringifyJson } from '../spec/json.js';

export interface OAuth2Config {
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Token endpoint; default `<uri>/v1/oauth/tokens` (deprecated in the REST spec, still common). */
  serverUri?: string;
}

export interface HttpConfig {
  token?: string;
  oauth2?: OAuth2Config;
  /** Per request, in ms (default 30 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Attempts for idempotent requests (GET, HEAD); default 4. */
  readAttempts?: number;
}

/**
 * What a request is, for error mapping: a `commit` whose answer is lost may have happened
 * (COMMIT_STATE_UNKNOWN); a `create` answered 409 means the thing exists.
 */
export type RequestKind = 'read' | 'write' | 'create' | 'commit';

/** FloeError code and retryability for an HTTP error status of the REST catalog. */
export function errorFor(status: number, type: string | undefined, kind: RequestKind): { code: FloeErrorCode; retryable: boolean } {
  if (status === 409) {
    if (kind === 'create' || type === 'AlreadyExistsException') return { code: 'ALREADY_EXISTS', retryable: false };
    return { code: 'COMMIT_CONFLICT', retryable: true };
  }
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  // 419: the spec's "authentication timeout" — a fresh token fixes it.
  if (status === 401 || status === 403 || status === 419) return { code: 'UNAUTHORIZED', retryable: status === 419 };
  if (status >= 500 || status === 408 || status === 429) return { code: kind === 'commit' && status !== 429 ? 'COMMIT_STATE_UNKNOWN' : 'CATALOG_ERROR', retryable: true };
  return { code: 'CATALOG_ERROR', retryable: false };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => sleep(Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random()));

export interface RequestOptions {
  kind?: RequestKind;
  /** Answer undefined instead of throwing NOT_FOUND. */
  allow404?: boolean;
  headers?: Record<string, string>;
}

export class RestHttp {
  private token: string | undefined;
  private refreshAt = Infinity;
  private tokenRequest: Promise<void> | undefined;

  constructor(
    private readonly cfg: HttpConfig,
    /** Where the default OAuth2 token endpoint lives. */
    private readonly baseUri: () => string,
  ) {
    this.token = cfg.token;
  }

  private async authHeader(): Promise<Record<string, string>> {
    if (this.cfg.oauth2 && (this.token === undefined || Date.now() >= this.refreshAt)) {
      // One token request at a time, however many requests are waiting for it.
      this.tokenRequest ??= this.fetchToken().finally(() => (this.tokenRequest = undefined));
      await this.tokenRequest;
    }
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async fetchToken(): Promise<void> {
    const o = this.cfg.oauth2 as OAuth2Config;
    const url = o.serverUri ?? `${this.baseUri()}/v1/oauth/tokens`;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: o.clientId, client_secret: o.clientSecret, scope: o.scope ?? 'catalog' });
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, headers: { ...this.cfg.headers }, signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new FloeError('CATALOG_ERROR', `OAuth2 token request to ${url} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    const j = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string; error?: string };
    if (!res.ok || !j.access_token) {
      const why = `${res.status} ${j.error ?? ''} ${j.error_description ?? ''}`.replace(/\s+/g, ' ').trim();
      throw new FloeError('UNAUTHORIZED', `OAuth2 token request to ${url} was refused (${why}); check catalog.oauth2 clientId and clientSecret`, { retryable: res.status >= 500 });
    }
    this.token = j.access_token;
    // Refresh a minute before expiry, or at 90% of a short lifetime.
    this.refreshAt = j.expires_in ? Date.now() + Math.max(j.expires_in * 1000 - 60_000, j.expires_in * 900) : Infinity;
  }

  /** Sends a request; answers the parsed JSON body, null for an empty one, undefined for an allowed 404. */
  async request(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<unknown> {
    const kind = opts.kind ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'write');
    const attempts = kind === 'read' ? (this.cfg.readAttempts ?? 4) : 1;
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.cfg.headers, ...opts.headers, ...(await this.authHeader()) };
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: body === undefined ? undefined : stringifyJson(body), signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000) });
      } catch (err) {
        if (attempt < attempts) {
          await backoff(attempt);
          continue;
        }
        const e = err as Error & { cause?: { code?: string } };
        const what = e.name === 'TimeoutError' ? `timed out after ${this.cfg.timeoutMs ?? 30_000} ms` : `failed: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
        // A write that never reached the server is still "unknown" to us: the connection may
        // have dropped after the server received it.
        throw new FloeError(kind === 'commit' ? 'COMMIT_STATE_UNKNOWN' : 'CATALOG_ERROR', `${method} ${url} ${what}`, { cause: err, retryable: true });
      }
      if ((res.status === 401 || res.status === 419) && this.cfg.oauth2 && !renewed) {
        // The token expired early or was revoked: a request refused at auth did nothing, resend once.
        renewed = true;
        this.token = undefined;
        await res.body?.cancel();
        attempt--;
        continue;
      }
      const text = await res.text();
      if (res.ok) return text ? parseJson(text) : null;
      if (res.status === 404 && opts.allow404) return undefined;
      if ((res.status >= 500 || res.status === 429) && attempt < attempts) {
        await backoff(attempt);
        continue;
      }
      let model: { message?: string; type?: string } = {};
      try {
        model = (JSON.parse(text) as { error?: typeof model }).error ?? {};
      } catch {
        // not an ErrorModel (a proxy's page): the text goes into the message
      }
      const { code, retryable } = errorFor(res.status, model.type, kind);
      const message = `${method} ${url}: ${res.status} ${model.type ?? ''} ${model.message ?? text.slice(0, 300)}`.replace(/\s+/g, ' ').trim();
      throw new FloeError(code, message, { retryable, details: { status: res.status, type: model.type } });
    }
  }
}
