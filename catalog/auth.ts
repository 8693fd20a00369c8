/**
 * Optional bearer-token authentication: static tokens, and the OAuth2 client-credentials
 * endpoint (`POST /v1/oauth/tokens`) that Spark, Trino and PyIceberg call with a
 * `credential` of `client_id:client_secret`. Issued tokens are signed (HMAC-SHA256), not
 * stored, so they stay valid across a restart of the catalog until they expire. The
 * token-exchange grant renews a valid token (Java clients refresh that way).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface AuthOptions {
  /** Bearer tokens accepted as they are. */
  tokens?: readonly string[];
  /** OAuth2 clients that may obtain tokens. */
  clients?: ReadonlyArray<{ id: string; secret: string }>;
  /** Lifetime of issued tokens (default 3600 s). */
  tokenTtlSeconds?: number;
  /** Signing key; derived from the client secrets when absent. */
  signingKey?: string;
}

export type TokenAnswer =
  | { ok: true; body: { access_token: string; token_type: 'bearer'; expires_in: number; issued_token_type: string } }
  | { ok: false; status: 400 | 401; body: { error: string; error_description: string } };

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Auth {
  readonly enabled: boolean;
  private readonly key: Buffer;
  private readonly ttl: number;

  constructor(private readonly opts: AuthOptions = {}) {
    this.enabled = Boolean(opts.tokens?.length || opts.clients?.length);
    const material = opts.signingKey ?? ['floe-catalog-token', ...(opts.clients ?? []).map((c) => `${c.id}:${c.secret}`).sort()].join('\0');
    this.key = createHash('sha256').update(material).digest();
    this.ttl = opts.tokenTtlSeconds ?? 3600;
  }

  private sign(payload: string): string {
    return b64(createHmac('sha256', this.key).update(payload).digest());
  }

  private issue(clientId: string): TokenAnswer {
    const payload = `${b64(clientId)}.${Math.floor(Date.now() / 1000) + this.ttl}`;
    return { ok: true, body: { access_token: `floe1.${payload}.${this.sign(payload)}`, token_type: 'bearer', expires_in: this.ttl, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' } };
  }

  /** The client an issued token belongs to, when it is valid and not expired. */
  private verifyIssued(token: string): string | undefined {
    const m = /^floe1\.([A-Za-z0-9_-]*)\.(\d+)\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!m) return undefined;
    const payload = `${m[1]}.${m[2]}`;
    if (!sameText(this.sign(payload), m[3] as string)) return undefined;
    if (Number(m[2]) * 1000 < Date.now()) return undefined;
    return Buffer.from(m[1] as string, 'base64url').toString();
  }

  /** Whether an Authorization header value lets a request through. */
  allows(header: string | undefined): boolean {
    if (!this.enabled) return true;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) return false;
    const token = m[1] as string;
    return (this.opts.tokens ?? []).some((t) => sameText(t, token)) || this.verifyIssued(token) !== undefined;
  }

  /** Answers a token request (form fields, and an optional Basic authorization header). */
  token(form: Record<string, string>, authorization: string | undefined): TokenAnswer {
    const fail = (status: 400 | 401, error: string, description: string): TokenAnswer => ({ ok: false, status, body: { error, error_description: description } });
    const grant = form.grant_type;
    if (grant === 'urn:ietf:params:oauth:grant-type:token-exchange') {
      const subject = form.subject_token ?? '';
      const client = this.verifyIssued(subject) ?? ((this.opts.tokens ?? []).some((t) => sameText(t, subject)) ? 'static' : undefined);
      return client === undefined ? fail(401, 'invalid_client', 'the subject token is not valid or has expired') : this.issue(client);
    }
    if (grant !== 'client_credentials') return fail(400, 'unsupported_grant_type', `grant_type must be client_credentials (got '${grant ?? ''}')`);
    let id = form.client_id;
    let secret = form.client_secret;
    const basic = authorization ? /^Basic\s+(\S+)$/i.exec(authorization) : null;
    if (basic) {
      const [u, ...p] = Buffer.from(basic[1] as string, 'base64').toString().split(':');
      id ??= decodeURIComponent(u ?? '');
      secret ??= decodeURIComponent(p.join(':'));
    }
    if (secret === undefined) return fail(400, 'invalid_request', 'client_secret is required');
    // A credential without "id:" sends the secret alone: match it against every client.
    const client = (this.opts.clients ?? []).find((c) => (id === undefined || id === '' || sameText(c.id, id)) && sameText(c.secret, secret));
    if (!client) return fail(401, 'invalid_client', 'unknown client or wrong secret');
    return this.issue(client.id);
  }
}
