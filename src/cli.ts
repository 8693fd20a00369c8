import { Command, Option } from 'commander';
import { VERSION } from './version.js';
import { FloeError, isFloeError } from './errors.js';
import { deadLetterTable, loadConfig, mappingTables, type FloeConfig } from './config/index.js';
import { createLogger } from './observability/index.js';
import { createClients, embeddedStore, embeddedWarehouse, runService } from './service.js';
import { topicOffsets } from './kafka/consumer.js';
import { storedOffsets } from './commit/index.js';
import { ancestors, branchHead, currentSchema, defaultSpec } from './spec/metadata.js';
import { specDifference } from './spec/partition.js';
import { parseIdent, type TableOps } from './iceberg/index.js';
import { applyTableShape, compactTable, expireSnapshots, planExpiry, removeOrphanFiles, rollupColumns, wantedShape } from './maintenance/index.js';
import { parseDuration } from './config/units.js';
import { buildMapping, checkRollupWithRegistry, mappingPartitioning, propertyDifferences } from './pipeline/index.js';
import { registerCatalogCommand } from '../catalog/index.js';

function configOrExit(path: string): FloeConfig {
  try {
    return loadConfig(path);
  } catch (err) {
    if (isFloeError(err, 'CONFIG_INVALID')) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** A usage error: the message on stderr, exit code 2. */
function usageExit(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usageExit(`${flag}: expected a whole number of at least ${min} (got '${v}')`);
  return n;
}

/** Every table the mappings write, dead-letter tables included; `only` picks one (else exit 2). */
function maintainedTables(config: FloeConfig, only: string | undefined): Set<string> {
  const tables = new Set<string>();
  for (const m of config.mappings) {
    const dlq = deadLetterTable(m, config);
    for (const t of [...mappingTables(m), ...(dlq ? [dlq] : [])]) if (!only || t === only) tables.add(t);
  }
  if (only && !tables.size) usageExit(`--table: no mapping writes ${only}`);
  return tables;
}

/**
 * Runs a maintenance job on each table with the config's clients; a table not created yet is
 * said so. `job` returns how many files it could not delete: any makes the exit code 1.
 */
async function eachTable(config: FloeConfig, tables: Iterable<string>, job: (ops: TableOps, table: string) => Promise<number>): Promise<never> {
  const c = await createClients(config, createLogger({ level: 'warn' }), { embeddedPort: 0 });
  let failed = 0;
  for (const table of tables) {
    try {
      failed += await job(c.ops, table);
    } catch (err) {
      if (!isFloeError(err, 'NOT_FOUND')) throw err;
      console.log(`${table}: not created yet`);
    }
  }
  await c.close();
  process.exit(failed ? 1 : 0);
}

const configOption = () => new Option('-c, --config <file>', 'the Floe config file (YAML)').makeOptionMandatory();

/** Builds the `floe` command line. */
export function buildCli(): Command {
  const program = new Command();
  program
    .name('floe')
    .description('Keeps Apache Iceberg tables in step with Kafka topics, exactly once.')
    .version(VERSION, '-v, --version', 'print the Floe version')
    .showHelpAfterError();

  program
    .command('run')
    .description('run the sink: consume the mapped topics and commit them to their tables')
    .addOption(configOption())
    .option('--stop-timeout <seconds>', 'bound on the graceful stop after SIGTERM', '60')
    .action(async (opts: { config: string; stopTimeout: string }) => {
      const config = configOrExit(opts.config);
      const log = createLogger();
      let svc: Awaited<ReturnType<typeof runService>>;
      try {
        svc = await runService(config, log);
      } catch (err) {
        // Checks that need the registry (a rollup against the value schema) run at start.
        if (isFloeError(err, 'CONFIG_INVALID')) {
          process.stderr.write(`${opts.config}: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: no more fetching; committing what is buffered, then leaving the group');
        const bound = setTimeout(() => {
          log.error('graceful stop took too long; exiting (uncommitted records are re-read on the next start)');
          process.exit(1);
        }, Number(opts.stopTimeout) * 1000);
        svc.stop().then(
          () => {
            clearTimeout(bound);
            log.info('stopped');
            process.exit(0);
          },
          (err: unknown) => {
            log.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });

  program
    .command('check')
    .description('validate the config and connect to Kafka, the registry, the catalog and the store')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      const config = configOrExit(opts.config);
      const log = createLogger({ level: 'warn' });
      // With no catalog section this opens the embedded catalog's store on a private port.
      const c = await createClients(config, log, { embeddedPort: 0 });
      const results: Array<[string, string]> = [];
      const probe = async (name: string, fn: () => Promise<string>) => {
        try {
          results.push([name, `ok  ${await fn()}`]);
        } catch (err) {
          results.push([name, `FAIL ${(err as Error).message}`]);
        }
      };
      await probe('kafka', async () => {
        const admin = c.kafka.admin();
        await admin.connect();
        const topics = await admin.listTopics();
        await admin.disconnect();
        return `${config.kafka.brokers.join(',')}: ${topics.length} topics`;
      });
      if (c.registry) await probe('registry', async () => `${config.registry?.url}: reachable (${(await fetch(`${config.registry?.url}/subjects`)).status})`);
      await probe('catalog', async () => `${config.catalog?.uri ?? `embedded (${embeddedStore(config)}, warehouse ${embeddedWarehouse(config)})`}: ${(await c.catalog.listNamespaces()).length} namespaces`);
      for (const [i, m] of config.mappings.entries()) {
        await probe(`table ${m.table}`, async () => {
          const meta = await c.catalog.loadTable(parseIdent(m.table)).then(
            (t) => t.metadata,
            (err: unknown) => {
              if (isFloeError(err, 'NOT_FOUND')) return undefined;
              throw err;
            },
          );
          if (!meta) return m.autoCreate ? 'will be created on the first record' : 'MISSING and autoCreate is off';
          const diff = specDifference(defaultSpec(meta), currentSchema(meta), mappingPartitioning(m));
          const props = propertyDifferences(meta.properties, m.tableProperties);
          const warnings = [...(diff ? [`mappings[${i}].partitionBy: ${diff}`] : []), ...(props.length ? [`mappings[${i}].tableProperties: ${props.join(', ')}`] : [])];
          return warnings.length ? `exists; WARNING ${warnings.join('; ')} (Floe keeps the table's; floe apply changes it)` : 'exists';
        });
      }
      for (const [i, m] of config.mappings.entries()) {
        if (m.mode !== 'rollup') continue;
        await probe(`rollup mappings[${i}]`, async () => {
          const fits = await checkRollupWithRegistry(buildMapping(m, config, c.registry, i), c.registry);
          return m.schema ? 'fits the declared schema' : fits.length ? `fits ${fits.join(', ')}` : 'no value schema registered yet: checked at the first record';
        });
      }
      for (const [k, v] of results) console.log(`${k.padEnd(28)} ${v}`);
      await c.close();
      process.exit(results.some(([, v]) => v.startsWith('FAIL')) ? 1 : 0);
    });

  program
    .command('compact')
    .description("compaction: rewrite each partition's small files as fewer files (a rollup's partial rows combined into one row per window and group); safe while `floe run` writes")
    .addOption(configOption())
    .option('--table <name>', 'only this table (one a mapping writes)')
    .option('--min-files <n>', 'rewrite a partition once it has this many small files', '4')
    .option('--max-rows <n>', 'input rows per commit at most (bounds memory)', '1000000')
    .action(async (opts: { config: string; table?: string; minFiles: string; maxRows: string }) => {
      const config = configOrExit(opts.config);
      const minFiles = wholeNumber('--min-files', opts.minFiles, 2);
      const maxRows = wholeNumber('--max-rows', opts.maxRows, 1);
      // Every table a mapping writes (routes too), with its mapping's kind: combine or bin-pack.
      const targets = new Map<string, ReturnType<typeof rollupColumns> | undefined>();
      for (const m of config.mappings) {
        for (const t of mappingTables(m)) if (!opts.table || t === opts.table) targets.set(t, m.mode === 'rollup' && m.rollup ? rollupColumns(m.rollup) : undefined);
      }
      if (opts.table && !targets.size) usageExit(`--table: no mapping writes ${opts.table}`);
      const writer = { targetFileBytes: config.writer.targetFileSize, compression: config.writer.compression, rowGroupRows: config.writer.rowGroupSize };
      await eachTable(config, targets.keys(), async (ops, table) => {
        const combine = targets.get(table);
        const res = await compactTable(ops, parseIdent(table), { ...(combine ? { combine } : {}), minFiles, maxRows, writer }, (msg: string) => console.log(msg));
        console.log(`${table}: ${res.partitions} partitions rewritten, ${res.filesIn} files → ${res.filesOut}, ${res.rowsIn} rows → ${res.rowsOut}`);
        return 0;
      });
    });

  program
    .command('expire')
    .description('snapshot expiry: remove old snapshots of the tables the mappings write (dead-letter tables too) and the files only they reached; offset maps are kept; safe while `floe run` writes')
    .addOption(configOption())
    .option('--table <name>', 'only this table (one a mapping writes)')
    .option('--older-than <duration>', "snapshots older than this may go (default: the table's history.expire.max-snapshot-age-ms, else 1d)")
    .option('--retain-last <n>', "snapshots kept on each branch at least (default: the table's history.expire.min-snapshots-to-keep, else 100)")
    .option('--max-snapshots <n>', 'snapshots of each branch that --older-than keeps at most (default 10000); --retain-last wins over it')
    .option('--dry-run', 'say what would be removed, change nothing')
    .action(async (opts: { config: string; table?: string; olderThan?: string; retainLast?: string; maxSnapshots?: string; dryRun?: boolean }) => {
      const config = configOrExit(opts.config);
      const olderThanMs = opts.olderThan === undefined ? undefined : parseDuration(opts.olderThan);
      if (olderThanMs === undefined && opts.olderThan !== undefined) usageExit(`--older-than: '${opts.olderThan}' is not a duration; write e.g. 30m, 12h or 7d`);
      const retainLast = opts.retainLast === undefined ? undefined : wholeNumber('--retain-last', opts.retainLast, 1);
      const maxSnapshots = opts.maxSnapshots === undefined ? undefined : wholeNumber('--max-snapshots', opts.maxSnapshots, 1);
      const tables = maintainedTables(config, opts.table);
      const o = { ...(olderThanMs !== undefined ? { olderThanMs } : {}), ...(retainLast !== undefined ? { retainLast } : {}), ...(maxSnapshots !== undefined ? { maxSnapshots } : {}) };
      await eachTable(config, tables, async (ops, table) => {
        if (opts.dryRun) {
          const meta = (await ops.load(parseIdent(table))).metadata;
          const plan = planExpiry(meta, o);
          const carry = Object.keys(plan.carry);
          console.log(`${table}: would remove ${plan.expire.length} of ${meta.snapshots.length} snapshots${plan.removeRefs.length ? ` and the refs ${plan.removeRefs.join(', ')}` : ''}${carry.length ? ` after carrying ${carry.join(', ')} forward` : ''}`);
          return 0;
        }
        const r = await expireSnapshots(ops, parseIdent(table), o, (msg: string) => console.log(msg));
        const d = r.filesDeleted;
        console.log(`${table}: ${r.snapshotsRemoved} snapshots removed, ${r.snapshotsKept} kept; deleted ${d.manifestLists} manifest lists, ${d.manifests} manifests, ${d.dataFiles} data files`);
        return r.undeleted.length;
      });
    });

  program
    .command('orphans')
    .description("orphan files: delete objects under each table's location that the table does not reach (left by a killed sink or compaction), once older than --older-than")
    .addOption(configOption())
    .option('--table <name>', 'only this table (one a mapping writes)')
    .option('--older-than <duration>', 'only files last written longer ago than this; longer than any commit can be held up by an outage (at least 1h)', '3d')
    .option('--dry-run', 'list them, delete nothing')
    .action(async (opts: { config: string; table?: string; olderThan: string; dryRun?: boolean }) => {
      const config = configOrExit(opts.config);
      const olderThanMs = parseDuration(opts.olderThan);
      if (olderThanMs === undefined) usageExit(`--older-than: '${opts.olderThan}' is not a duration; write e.g. 12h or 3d`);
      if (olderThanMs < 3_600_000) usageExit(`--older-than: '${opts.olderThan}' is too short; at least 1h: a sink holds the files of a batch it could not commit yet (catalog outage) and commits them later`);
      const tables = maintainedTables(config, opts.table);
      await eachTable(config, tables, async (ops, table) => {
        const r = await removeOrphanFiles(ops, parseIdent(table), { olderThanMs, ...(opts.dryRun ? { dryRun: true } : {}) });
        for (const f of r.orphans) console.log(`${opts.dryRun ? 'orphan' : 'deleted'} ${f}`);
        for (const u of r.undeleted) console.log(`NOT deleted ${u}`);
        console.log(`${table}: ${r.listed} files, ${r.orphans.length} orphans${opts.dryRun ? '' : ` (${r.deleted} deleted)`}, ${r.tooNew} unreachable but newer than ${opts.olderThan} (kept)`);
        return r.undeleted.length;
      });
    });

  program
    .command('apply')
    .description("make existing tables match their mappings' partitionBy (a new partition spec; files already written keep theirs) and tableProperties; the service itself never changes an existing table")
    .addOption(configOption())
    .option('--table <name>', 'only this table (one a mapping writes)')
    .option('--dry-run', 'say what would change, change nothing')
    .action(async (opts: { config: string; table?: string; dryRun?: boolean }) => {
      const config = configOrExit(opts.config);
      const asks = new Map<string, Array<{ key: string; partitioning: ReturnType<typeof mappingPartitioning>; properties: Record<string, string> }>>();
      for (const [i, m] of config.mappings.entries()) {
        for (const t of mappingTables(m)) {
          if (opts.table && t !== opts.table) continue;
          asks.set(t, [...(asks.get(t) ?? []), { key: `mappings[${i}]`, partitioning: mappingPartitioning(m), properties: m.tableProperties }]);
        }
      }
      if (opts.table && !asks.size) usageExit(`--table: no mapping writes ${opts.table}`);
      await eachTable(config, asks.keys(), async (ops, table) => {
        let want;
        try {
          want = wantedShape(table, asks.get(table) ?? []);
        } catch (err) {
          console.log(`${table}: FAIL ${(err as Error).message}`);
          return 1;
        }
        const r = await applyTableShape(ops, parseIdent(table), want, { dryRun: opts.dryRun ?? false });
        const changes = [
          ...(r.partitioning ? [`partitioning [${r.partitioning.from.join(', ')}] → [${r.partitioning.to.join(', ')}] (${r.partitioning.existing ? 'its' : 'new'} spec ${r.partitioning.specId})`] : []),
          ...(r.properties.length ? [`properties ${r.properties.join(', ')}`] : []),
        ];
        console.log(`${table}: ${changes.length ? `${opts.dryRun ? 'would change ' : 'changed '}${changes.join('; ')}` : 'matches the config'}`);
        return 0;
      });
    });

  program
    .command('status')
    .description('per table and partition: offset in the table, Kafka end offset, lag, age of the last commit')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const config = configOrExit(opts.config);
      const c = await createClients(config, createLogger({ level: 'warn' }), { embeddedPort: 0 });
      const rows: Array<Record<string, unknown>> = [];
      let existing: string[] | undefined;
      for (const m of config.mappings) {
        let topics = m.topics;
        if (!topics) {
          if (!existing) {
            const admin = c.kafka.admin();
            await admin.connect();
            existing = (await admin.listTopics()).sort();
            await admin.disconnect();
          }
          topics = existing.filter((t) => (m.topicPattern as RegExp).test(t));
        }
        const offsets = await topicOffsets(c.kafka, topics, config.kafka.groupId);
        // Every table the mapping writes: its routes (or its table) and its dead-letter table.
        const targets = mappingTables(m);
        const dlq = deadLetterTable(m, config);
        const tables = [...new Set([...targets, ...(dlq ? [dlq] : [])])];
        for (const table of tables) {
          let stored = new Map<string, Map<number, number>>() as ReturnType<typeof storedOffsets>;
          let age: number | undefined;
          try {
            const meta = (await c.catalog.loadTable(parseIdent(table))).metadata;
            const head = branchHead(meta);
            stored = storedOffsets(ancestors(meta, head), config.kafka.groupId);
            age = head ? Math.round((Date.now() - head.timestampMs) / 1000) : undefined;
          } catch (err) {
            if (!isFloeError(err, 'NOT_FOUND')) throw err;
            if (!targets.includes(table)) continue; // a dead-letter table that never got a record
          }
          for (const [k, o] of offsets) {
            const [topic, p] = k.split('\u0000') as [string, string];
            const inTable = stored.get(topic)?.get(Number(p));
            rows.push({ table, topic, partition: Number(p), table_offset: inTable ?? null, end_offset: o.high, lag: o.high - (inTable ?? o.low), last_commit_age_s: age ?? null, below_log_start: inTable !== undefined && inTable < o.low });
          }
        }
      }
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else {
        console.log(['table', 'topic', 'partition', 'table_offset', 'end_offset', 'lag', 'last_commit_age_s'].join('\t'));
        for (const r of rows) console.log([r.table, r.topic, r.partition, r.table_offset ?? '-', r.end_offset, r.lag, r.last_commit_age_s ?? '-'].join('\t') + (r.below_log_start ? '\tSTORED OFFSET BELOW LOG START' : ''));
      }
      await c.close();
      process.exit(0);
    });

  registerCatalogCommand(program);

  return program;
}

export { FloeError };
