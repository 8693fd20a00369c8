/** Floe as a child process for tests, benchmarks and the demo: a config on the local stack and `floe run`. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ROOT, stack } from './stack.js';

/** The stack's S3 store as a config's `storage.s3` value, in YAML flow style. */
export const stackS3 = `{ endpoint: "${stack.s3.endpoint}", region: ${stack.s3.region}, pathStyle: true, accessKeyId: ${stack.s3.accessKeyId}, secretAccessKey: ${stack.s3.secretAccessKey} }`;

/**
 * A config file on the stack's Kafka, registry, REST catalog and S3 store. `extra` is YAML put
 * before `mappings:` (commit interval, memory limit...), `kafka` lines added to the kafka section
 * (indented two spaces); `mappings` is the YAML list that follows.
 */
export function stackConfig(o: { group: string; mappings: string; extra?: string; kafka?: string; catalogUri?: string }): string {
  return `kafka:
  brokers: ["${stack.kafkaBrokers[0]}"]
  groupId: ${o.group}
${o.kafka ?? ''}registry:
  url: ${stack.registryUrl}
catalog:
  uri: ${o.catalogUri ?? stack.restUrl}
storage:
  s3: ${stackS3}
http:
  port: 0
${o.extra ?? ''}mappings:
${o.mappings}`;
}

/** Writes `config` to `dir`/floe.yaml and returns its path. */
export function writeConfig(dir: string, config: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/floe.yaml`, config);
  return `${dir}/floe.yaml`;
}

/**
 * Starts `floe run -c config`, its output appended to `log`. `nodeArgs` go to node (e.g.
 * --cpu-prof); `env` is added to this process's environment.
 */
export function spawnFloe(config: string, log: string, o: { nodeArgs?: string[]; env?: Record<string, string> } = {}): ChildProcess {
  const out = createWriteStream(log, { flags: 'a' });
  const p = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  p.stdout?.pipe(out);
  p.stderr?.pipe(out);
  return p;
}

/** The Prometheus text of a running `floe run`, found by the ops URL of its "floe started" log line. */
export async function floeMetrics(logText: string): Promise<string> {
  const url = /"url":"(http:[^"]+)"[^\n]*"msg":"floe started"/.exec(logText)?.[1];
  assert.ok(url, 'floe run logged its ops URL');
  return (await fetch(`${url}/metrics`)).text();
}

/**
 * Named `floe run` members of one consumer group, for tests that kill and restart them: each
 * start of a name logs to a new file; `assigned(name, n)` waits until the member has taken n
 * assignments (each one resumes from the tables); `all` holds every process started.
 */
export function floeMembers(config: string, dir: string) {
  let seq = 0;
  const logs: Record<string, string> = {};
  const all: ChildProcess[] = [];
  const count = (name: string) => ((existsSync(logs[name] as string) ? readFileSync(logs[name] as string, 'utf8') : '').match(/assigned: resuming from the offsets stored in the tables/g) ?? []).length;
  return {
    all,
    logs,
    count,
    /** How many processes were started. */
    started: () => seq,
    start(name: string): ChildProcess {
      const p = spawnFloe(config, (logs[name] = `${dir}/${name}-${seq++}.log`));
      all.push(p);
      return p;
    },
    async assigned(name: string, n = 1): Promise<void> {
      for (let i = 0; i < 300; i++) {
        if (count(name) >= n) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`member ${name} was not assigned ${n} time(s) in 30 s (log: ${logs[name]})`);
    },
  };
}
