/** Runs `floe run` as a child process for a benchmark and watches its tables through the catalog. */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseOffsets } from '../../src/commit/index.js';
import { RestCatalog, parseIdent } from '../../src/iceberg/index.js';
import { branchHead } from '../../src/spec/metadata.js';
import type { Snapshot } from '../../src/spec/metadata.js';
import { ROOT, stack } from '../../test/helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const catalog = new RestCatalog({ uri: stack.restUrl });

/** The table's current snapshot, or undefined while it does not exist or has none. */
export async function tableHead(table: string): Promise<Snapshot | undefined> {
  try {
    return branchHead((await catalog.loadTable(parseIdent(table))).metadata);
  } catch {
    return undefined;
  }
}

/** Records of `topic` the group has committed to the table: the sum of the next offsets (topics start at 0). */
export async function committedRecords(table: string, group: string, topic: string): Promise<number> {
  const s = (await tableHead(table))?.summary[`floe.offsets.${group}`];
  if (!s) return 0;
  let n = 0;
  for (const next of parseOffsets(s).get(topic)?.values() ?? []) n += next;
  return n;
}

/** CPU seconds (user + system, every thread) a process has used so far. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 per second)
  } catch {
    return NaN;
  }
}

/** The p-th percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : NaN;
}

/** Peak resident set of a process so far (VmHWM), in KiB; 0 once it has exited. */
export function peakRssKb(pid: number | undefined): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export interface FloeRun {
  /** Records per second from the start of the process until every table held every record. */
  recordsPerS: number;
  seconds: number;
  peakRssMb: number;
  exitCode: number | null;
}

/**
 * Writes the config, starts `floe run` (FLOE_PROFILE=dir adds a CPU profile), waits until every
 * table has committed `records` records of `topic` for `group`, then stops it with SIGTERM.
 */
export async function runFloeUntil(o: { group: string; config: string; tables: string[]; topic: string; records: number; timeoutMs?: number }): Promise<FloeRun> {
  const dir = `${ROOT}/.stack/bench/${o.group}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/floe.yaml`, o.config);
  const out = createWriteStream(`${dir}/floe.log`);
  const prof = process.env.FLOE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLOE_PROFILE}`] : [];
  const started = Date.now();
  const floe = spawn(process.execPath, [...prof, '--import', 'tsx', `${ROOT}/src/main.ts`, 'run', '-c', `${dir}/floe.yaml`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOE_LOG_LEVEL: 'warn' } });
  floe.stdout?.pipe(out);
  floe.stderr?.pipe(out);
  const exited = new Promise<number | null>((r) => floe.on('exit', (code) => r(code)));
  let peakKb = 0;
  const rss = setInterval(() => (peakKb = Math.max(peakKb, peakRssKb(floe.pid))), 250);
  let done = false;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!done && !gone && Date.now() - started < (o.timeoutMs ?? 900_000)) {
    await sleep(250);
    const counts = await Promise.all(o.tables.map((t) => committedRecords(t, o.group, o.topic)));
    done = counts.every((n) => n >= o.records);
  }
  const seconds = (Date.now() - started) / 1000;
  peakKb = Math.max(peakKb, peakRssKb(floe.pid));
  floe.kill('SIGTERM');
  const exitCode = await exited;
  clearInterval(rss);
  if (!done) throw new Error(`floe (${o.group}) did not commit ${o.records} records to ${o.tables.join(', ')} (exit code ${exitCode}); see ${dir}/floe.log`);
  return { recordsPerS: o.records / seconds, seconds, peakRssMb: Math.round(peakKb / 1024), exitCode };
}
