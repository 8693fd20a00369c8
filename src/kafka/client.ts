/**
 * Connection settings for the Kafka client (kafkajs, chosen by bench/kafka-clients.ts): brokers,
 * SASL (plain, SCRAM, or OAuth bearer by client credentials) and TLS are passed through; logs go
 * to the injected logger.
 */
import kafkajs, { type Kafka, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { FloeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export interface OAuthBearerSettings {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  groupId: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  oauthbearer?: OAuthBearerSettings;
  ssl?: boolean | ConnectionOptions;
  sessionTimeout?: number;
  fetch?: { minBytes?: number; maxBytes?: number; maxBytesPerPartition?: number; maxWait?: number };
  /** Where a partition starts that no table and no group offset knows. */
  autoOffsetReset?: 'earliest' | 'latest';
  connectionTimeout?: number;
  requestTimeout?: number;
}

/** OAuth2 client credentials, the token reused until a minute before it expires. */
export function oauthTokenProvider(o: OAuthBearerSettings): () => Promise<{ value: string }> {
  let cached: { value: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return { value: cached.value };
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: o.clientId, client_secret: o.clientSecret, ...(o.scope ? { scope: o.scope } : {}) });
    const res = await fetch(o.tokenEndpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (!res.ok) throw new FloeError('KAFKA_ERROR', `OAuth token endpoint ${o.tokenEndpoint} answered ${res.status}: check kafka.sasl.clientId and clientSecret`, { retryable: res.status >= 500 });
    const json = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!json.access_token) throw new FloeError('KAFKA_ERROR', `OAuth token endpoint ${o.tokenEndpoint} returned no access_token`, { retryable: false });
    cached = { value: json.access_token, until: Date.now() + Math.max(0, (json.expires_in ?? 300) - 60) * 1000 };
    return { value: cached.value };
  };
}

export function createKafka(s: KafkaSettings, logger?: Logger): Kafka {
  const level = kafkajs.logLevel;
  const sasl: SASLOptions | undefined = s.oauthbearer ? { mechanism: 'oauthbearer', oauthBearerProvider: oauthTokenProvider(s.oauthbearer) } : (s.sasl as SASLOptions | undefined);
  return new kafkajs.Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    sasl,
    ssl: s.ssl,
    connectionTimeout: s.connectionTimeout ?? 3000,
    requestTimeout: s.requestTimeout ?? 30_000,
    logLevel: level.WARN,
    logCreator: () => (entry) => {
      const msg = `${entry.namespace}: ${entry.log.message}`;
      if (entry.level <= level.ERROR) logger?.error({ kafka: entry.log }, msg);
      else if (entry.level === level.WARN) logger?.warn({ kafka: entry.log }, msg);
    },
    // A broker restart takes seconds to tens of seconds; give up (and let the consumer restart) after about a minute.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
}
