/** Builds the running service from a config: clients, pipeline, ops server, shutdown. */
import { FloeError } from './errors.js';
import type { FloeConfig } from './config/index.js';
import { RegistryClient } from './decode/registry.js';
import { RestCatalog, TableOps } from './iceberg/index.js';
import { createFileIO, type FileIO } from './io/index.js';
import { createKafka } from './kafka/consumer.js';
import { Metrics, createLogger, startOpsServer, type Logger } from './observability/index.js';
import { Pipeline } from './pipeline/index.js';
import { closeSharedEncoders } from './parquet/index.js';

export interface Clients {
  catalog: RestCatalog;
  ops: TableOps;
  io: FileIO;
  registry: RegistryClient | undefined;
  kafka: ReturnType<typeof createKafka>;
}

export function createClients(config: FloeConfig, log: Logger): Clients {
  if (!config.catalog) {
    throw new FloeError('CONFIG_INVALID', 'catalog: the embedded catalog is not available yet; set catalog.uri to an Iceberg REST catalog (e.g. http://127.0.0.1:8181)');
  }
  const catalog = new RestCatalog({
    uri: config.catalog.uri,
    ...(config.catalog.warehouse ? { warehouse: config.catalog.warehouse } : {}),
    ...(config.catalog.prefix ? { prefix: config.catalog.prefix } : {}),
    ...(config.catalog.token ? { token: config.catalog.token } : {}),
    ...(config.catalog.oauth2 ? { oauth2: config.catalog.oauth2 } : {}),
    properties: config.catalog.properties,
  });
  const s3 = config.storage.s3;
  const io = createFileIO({
    ...(s3?.endpoint ? { endpoint: s3.endpoint } : {}),
    region: s3?.region ?? 'us-east-1',
    ...(s3?.pathStyle !== undefined ? { pathStyle: s3.pathStyle } : {}),
    ...(s3?.accessKeyId ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : {}),
  });
  const registry = config.registry ? new RegistryClient(config.registry) : undefined;
  return { catalog, ops: new TableOps(catalog, io), io, registry, kafka: createKafka(config.kafka, log.child({ component: 'kafka' })) };
}

export interface RunningService {
  stop(): Promise<void>;
  url: string;
}

export async function runService(config: FloeConfig, log = createLogger()): Promise<RunningService> {
  const metrics = new Metrics();
  const c = createClients(config, log);
  const pipeline = new Pipeline({ config, kafka: c.kafka, ops: c.ops, io: c.io, registry: c.registry, log: log.child({ component: 'pipeline' }), metrics });
  const ops = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    metrics,
    health: { live: () => true, ready: () => pipeline.health() },
  });
  log.info({ url: ops.url, mappings: config.mappings.length }, 'floe started');
  await pipeline.start();
  return {
    url: ops.url,
    stop: async () => {
      await pipeline.stop();
      // After the last file is closed: the encoder threads would otherwise live on with their
      // WebAssembly memory (an embedding process keeps running after stop()).
      await closeSharedEncoders();
      await ops.close();
      await c.io.close();
    },
  };
}
