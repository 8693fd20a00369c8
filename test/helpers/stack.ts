/**
 * Where the services of scripts/stack listen (the same FLOE_* variables and defaults as
 * scripts/lib/common.sh), and a check that lets an integration test skip with a clear message
 * only when a service is not running. Under `npm test` the services are always up.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = process.env;

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Endpoints and credentials of the stack's services. */
export interface StackEnv {
  kafkaBrokers: string[];
  /** Base URL of the Confluent-compatible API (ends in /apis/ccompat/v7). */
  registryUrl: string;
  restUrl: string;
  trinoUrl: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  postgresUrl: string;
  python: string;
}

/** The stack's endpoints from the FLOE_* variables, with scripts/lib/common.sh's defaults. */
export function stackEnv(vars: NodeJS.ProcessEnv = env): StackEnv {
  const port = (name: string, dflt: number): number => Number(vars[name] ?? dflt);
  return {
    kafkaBrokers: [`127.0.0.1:${port('FLOE_KAFKA_PORT', 9092)}`],
    registryUrl: `http://127.0.0.1:${port('FLOE_REGISTRY_PORT', 8081)}/apis/ccompat/v7`,
    restUrl: `http://127.0.0.1:${port('FLOE_REST_PORT', 8181)}`,
    trinoUrl: `http://127.0.0.1:${port('FLOE_TRINO_PORT', 8080)}`,
    s3: {
      endpoint: `http://127.0.0.1:${port('FLOE_S3_PORT', 9000)}`,
      region: vars.FLOE_S3_REGION ?? 'us-east-1',
      accessKeyId: vars.FLOE_S3_ACCESS_KEY ?? 'floe',
      secretAccessKey: vars.FLOE_S3_SECRET_KEY ?? 'floe-secret-key',
      bucket: vars.FLOE_S3_BUCKET ?? 'warehouse',
    },
    postgresUrl: vars.FLOE_POSTGRES_URL ?? `postgres://floe:floe@127.0.0.1:${port('FLOE_POSTGRES_PORT', 5432)}/floe`,
    python: vars.FLOE_PYTHON ?? `${vars.FLOE_CACHE ?? `${vars.HOME}/.cache/floe`}/py/bin/python`,
  };
}

/** stackEnv() of this process's environment. */
export const stack: StackEnv = stackEnv();

const readiness = new Map<string, boolean>();

/** Whether `scripts/stack status` reports the service ready (cached per process). */
export function isUp(service: string): boolean {
  let up = readiness.get(service);
  if (up === undefined) {
    try {
      const out = execFileSync(`${ROOT}/scripts/stack`, ['status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const line of out.split('\n')) {
        const [name, state] = line.trim().split(/\s+/);
        if (name) readiness.set(name, state === 'ready');
      }
    } catch {
      // the runner itself failed: treat everything as down
    }
    up = readiness.get(service) ?? false;
    readiness.set(service, up);
  }
  return up;
}

/**
 * For `test(name, { skip: skipUnless('kafka') }, ...)`: false, or the reason to skip. Under
 * `npm test` (FLOE_STACK_MANAGED=1) nothing is skipped: a service that is down fails the test.
 */
export function skipUnless(...services: string[]): false | string {
  if (env.FLOE_STACK_MANAGED === '1') return false;
  const down = services.filter((s) => !isUp(s));
  return down.length === 0 ? false : `needs ${down.join(', ')}: run scripts/stack up ${down.join(' ')}`;
}

/** A name unique to this run, for topics, namespaces and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
