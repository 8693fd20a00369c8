export { createLogger, silentLogger, type Logger, type LoggerConfig } from './logger.js';
export { Metrics } from './metrics.js';
