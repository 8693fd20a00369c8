/**
 * A fault-injecting HTTP proxy in front of a real REST catalog or S3 store, for outage tests: it forwards
 * everything, or answers 503 to everything (an outage), or forwards a table commit and then
 * answers 500 (the commit happened; the client cannot know). `delayMs` holds every request that
 * long before forwarding it (a slow catalog).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type FaultMode = 'pass' | 'down' | 'fail-after-commit';

export interface FaultProxy {
  url: string;
  mode: FaultMode;
  /** Commits forwarded and then answered 500. */
  failedAfterCommit: number;
  /** Requests refused while down. */
  refused: number;
  /** Milliseconds every request waits before it is forwarded (0: none). */
  delayMs: number;
  /** While down, only the requests this picks are refused (a partial outage); all when undefined. */
  downOnly: ((method: string, path: string) => boolean) | undefined;
  close(): Promise<void>;
}

/** An outage as an S3 store answers it (the SDK reads the XML), or as a REST catalog does. */
const DOWN = {
  rest: { type: 'application/json', body: JSON.stringify({ error: { message: 'injected outage', type: 'ServiceUnavailableException', code: 503 } }) },
  s3: { type: 'application/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected outage</Message></Error>' },
};

export async function startFaultProxy(target: string, flavour: keyof typeof DOWN = 'rest'): Promise<FaultProxy> {
  const t = new URL(target);
  const state = { mode: 'pass' as FaultMode, failedAfterCommit: 0, refused: 0, delayMs: 0, downOnly: undefined as FaultProxy['downOnly'] };
  const server: Server = createServer((req, res) => {
    if (state.delayMs > 0) {
      req.pause();
      setTimeout(() => {
        req.resume();
        handle(req, res);
      }, state.delayMs);
    } else handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (state.mode === 'down' && (state.downOnly?.(req.method ?? 'GET', req.url ?? '/') ?? true)) {
      state.refused++;
      req.resume();
      res.writeHead(503, { 'content-type': DOWN[flavour].type });
      res.end(DOWN[flavour].body);
      return;
    }
    const isCommit = req.method === 'POST' && /\/namespaces\/[^/]+\/tables\/[^/]+$/.test(req.url ?? '');
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      if (isCommit && state.mode === 'fail-after-commit' && (r.statusCode ?? 500) < 300) {
        state.failedAfterCommit++;
        r.resume();
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'injected failure after the commit', type: 'ServerError', code: 500 } }));
        return;
      }
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${addr.port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: FaultMode) {
      state.mode = m;
    },
    get failedAfterCommit() {
      return state.failedAfterCommit;
    },
    get refused() {
      return state.refused;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get downOnly() {
      return state.downOnly;
    },
    set downOnly(f: FaultProxy['downOnly']) {
      state.downOnly = f;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return proxy;
}
