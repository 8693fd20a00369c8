import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

export interface HealthSource {
  /** Live: the process works (event loop turns, no fatal error). */
  live(): boolean;
  /** Ready: consuming and committing; returns reasons when not. */
  ready(): { ready: boolean; reasons: string[] };
}

export interface OpsServerOptions {
  host?: string;
  port: number;
  metrics: Metrics;
  health: HealthSource;
  /** Extra JSON status for `GET /status` (per table and partition). */
  status?: () => Promise<unknown>;
}

/** `/metrics` (Prometheus), `/healthz`, `/readyz` and `/status`, bound to 127.0.0.1 by default. */
export async function startOpsServer(options: OpsServerOptions): Promise<{ server: FastifyInstance; url: string; close(): Promise<void> }> {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_req, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.text();
  });
  server.get('/healthz', async (_req, reply) => {
    const live = options.health.live();
    reply.code(live ? 200 : 503);
    return { status: live ? 'ok' : 'failed' };
  });
  server.get('/readyz', async (_req, reply) => {
    const r = options.health.ready();
    reply.code(r.ready ? 200 : 503);
    return { status: r.ready ? 'ready' : 'not ready', reasons: r.reasons };
  });
  if (options.status) {
    const status = options.status;
    server.get('/status', async () => status());
  }
  const url = await server.listen({ host: options.host ?? '127.0.0.1', port: options.port });
  return { server, url, close: () => server.close() };
}
