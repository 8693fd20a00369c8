export { createLogger, silentLogger, type Logger, type LoggerConfig } from './logger.js';
export { Metrics } from './metrics.js';
export { startOpsServer, type HealthSource, type OpsServerOptions } from './server.js';
