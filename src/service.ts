/** Builds the running service from a config: clients, pipeline, ops server, shutdown. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from 'prom-client';
import { CatalogMetrics, openStore, startCatalogServer, s3ClientConfig, type CatalogServer, type CatalogStore } from '../catalog/index.js';
import { FloeError } from './errors.js';
import { deadLetterTable, type FloeConfig } from './config/index.js';
import { RegistryClient } from './decode/registry.js';
import { RestCatalog, TableOps } from './iceberg/index.js';
import { createFileIO, type FileIO, type S3Config } from './io/index.js';
import { createKafka } from './kafka/consumer.js';
import { Metrics, createLogger, startOpsServer, type Logger } from './observability/index.js';
import { Pipeline } from './pipeline/index.js';
import { closeSharedEncoders } from './parquet/index.js';
import { Maintainer } from './maintenance/index.js';

export interface Clients {
  catalog: RestCatalog;
  ops: TableOps;
  io: FileIO;
  registry: RegistryClient | undefined;
  kafka: ReturnType<typeof createKafka>;
  /** The embedded catalog's URL when Floe runs it (no catalog section), else undefined. */
  embeddedCatalogUrl: string | undefined;
  /** Stops the embedded catalog (if any) and closes the storage clients. */
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Where the embedded catalog's metrics go (Floe's registry in `floe run`); its own when absent. */
  metricsRegistry?: Registry;
  /**
   * Port of the embedded catalog: the config's (`floe run`), or 0 for a private one on a free
   * port (`floe status` / `floe check` beside a running `floe run` on the same store).
   */
  embeddedPort?: number;
}

/** Where the embedded catalog keeps its tables: storage.warehouse, else `<dataDir>/warehouse`. */
export function embeddedWarehouse(config: FloeConfig): string {
  return config.storage.warehouse?.replace(/\/+$/, '') ?? pathToFileURL(join(config.embeddedCatalog.dataDir, 'warehouse')).href;
}

/** The embedded catalog's store: embeddedCatalog.store, else `sqlite:<dataDir>/catalog.db`. */
export function embeddedStore(config: FloeConfig): string {
  return config.embeddedCatalog.store ?? `sqlite:${join(config.embeddedCatalog.dataDir, 'catalog.db')}`;
}

export async function createClients(config: FloeConfig, log: Logger, o: ClientOptions = {}): Promise<Clients> {
  const s3 = config.storage.s3;
  const s3Config: S3Config = {
    ...(s3?.endpoint ? { endpoint: s3.endpoint } : {}),
    region: s3?.region ?? 'us-east-1',
    ...(s3?.pathStyle !== undefined ? { pathStyle: s3.pathStyle } : {}),
    ...(s3?.accessKeyId ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : {}),
  };
  const io = createFileIO(s3Config);
  let embedded: { server: CatalogServer; store: CatalogStore } | undefined;
  let catalog: RestCatalog;
  if (config.catalog) {
    catalog = new RestCatalog({
      uri: config.catalog.uri,
      ...(config.catalog.warehouse ? { warehouse: config.catalog.warehouse } : {}),
      ...(config.catalog.prefix ? { prefix: config.catalog.prefix } : {}),
      ...(config.catalog.token ? { token: config.catalog.token } : {}),
      ...(config.catalog.oauth2 ? { oauth2: config.catalog.oauth2 } : {}),
      properties: config.catalog.properties,
    });
  } else {
    // No catalog section: the embedded catalog, in this process, reached over HTTP on 127.0.0.1
    // like any other REST catalog (one client code path), and open to engines on the same host.
    const e = config.embeddedCatalog;
    const store = await openStore(embeddedStore(config));
    const warehouse = embeddedWarehouse(config);
    const clientConfig = s3 ? s3ClientConfig(e.vendCredentials ? s3Config : { ...s3Config, accessKeyId: undefined, secretAccessKey: undefined }) : {};
    try {
      const server = await startCatalogServer({
        store,
        io,
        warehouse,
        host: e.host,
        port: o.embeddedPort ?? e.port,
        clientConfig,
        log: log.child({ component: 'catalog' }),
        ...(o.metricsRegistry ? { metrics: new CatalogMetrics({ registry: o.metricsRegistry }) } : {}),
      });
      embedded = { server, store };
    } catch (err) {
      await store.close().catch(() => undefined);
      await io.close().catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      throw new FloeError('CONFIG_INVALID', `embeddedCatalog: cannot listen on ${e.host}:${o.embeddedPort ?? e.port} (${code ?? (err as Error).message}); set embeddedCatalog.port to a free port, or 0 for any`, { cause: err });
    }
    log.info({ url: embedded.server.url, store: store.kind, warehouse }, 'embedded catalog started (no catalog section): engines can use it as their Iceberg REST catalog');
    catalog = new RestCatalog({ uri: embedded.server.url });
  }
  const registry = config.registry ? new RegistryClient(config.registry) : undefined;
  return {
    catalog,
    ops: new TableOps(catalog, io),
    io,
    registry,
    kafka: createKafka(config.kafka, log.child({ component: 'kafka' })),
    embeddedCatalogUrl: embedded?.server.url,
    async close() {
      if (embedded) {
        await embedded.server.close();
        await embedded.store.close();
      }
      await io.close();
    },
  };
}

export interface RunningService {
  stop(): Promise<void>;
  /** The ops server's URL (`/metrics`, `/healthz`, `/readyz`). */
  url: string;
  /** The embedded catalog's URL when this service runs it (no catalog section), else undefined. */
  catalogUrl: string | undefined;
}

export async function runService(config: FloeConfig, log = createLogger()): Promise<RunningService> {
  const metrics = new Metrics();
  const c = await createClients(config, log, { metricsRegistry: metrics.registry });
  const pipeline = new Pipeline({ config, kafka: c.kafka, ops: c.ops, io: c.io, registry: c.registry, log: log.child({ component: 'pipeline' }), metrics });
  const ops = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    metrics,
    health: { live: () => true, ready: () => pipeline.health() },
  });
  log.info({ url: ops.url, mappings: config.mappings.length, ...(c.embeddedCatalogUrl ? { catalog: c.embeddedCatalogUrl } : {}) }, 'floe started');
  await pipeline.start();
  const maintainer = new Maintainer({
    ops: c.ops,
    mappings: config.mappings,
    log: log.child({ component: 'maintenance' }),
    metrics,
    writer: { targetFileBytes: config.writer.targetFileSize, compression: config.writer.compression, rowGroupRows: config.writer.rowGroupSize },
    deadLetterTableOf: (m) => deadLetterTable(m, config),
    leads: () => pipeline.leadsMaintenance(),
  });
  maintainer.start();
  return {
    url: ops.url,
    catalogUrl: c.embeddedCatalogUrl,
    stop: async () => {
      await maintainer.stop();
      await pipeline.stop();
      // After the last file is closed: the encoder threads would otherwise live on with their
      // WebAssembly memory (an embedding process keeps running after stop()).
      await closeSharedEncoders();
      await ops.close();
      await c.close();
    },
  };
}
