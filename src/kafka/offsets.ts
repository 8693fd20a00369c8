/**
 * Earliest and latest offsets per partition through the admin API: for `floe status`, lag, and
 * the "stored offset below the log start" check of DESIGN §2 rule 1.
 */
import type { Kafka } from 'kafkajs';
import { FloeError } from '../errors.js';
import { toOffset, tpKey, type PartitionOffsets } from './types.js';

/** Every partition of the topics, with the group's committed offset when groupId is given. */
export async function fetchOffsets(kafka: Kafka, topics: string[], opts: { groupId?: string } = {}): Promise<PartitionOffsets[]> {
  if (topics.length === 0) return [];
  const admin = kafka.admin();
  try {
    await admin.connect();
    const out: PartitionOffsets[] = [];
    const byKey = new Map<string, PartitionOffsets>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const e: PartitionOffsets = { topic, partition: p.partition, earliest: toOffset(p.low, topic), latest: toOffset(p.high, topic) };
        out.push(e);
        byKey.set(tpKey(topic, p.partition), e);
      }
    }
    if (opts.groupId) {
      for (const t of await admin.fetchOffsets({ groupId: opts.groupId, topics })) {
        for (const p of t.partitions) {
          const e = byKey.get(tpKey(t.topic, p.partition));
          const o = Number(p.offset);
          if (e && o >= 0) e.committed = o;
        }
      }
    }
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  } catch (err) {
    throw new FloeError('KAFKA_ERROR', `reading the offsets of ${topics.join(', ')} failed: ${(err as Error).message}`, { cause: err, retryable: true });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** fetchOffsets keyed by tpKey with kafkajs' names (low, high, group), as the pipeline reads them. */
export async function topicOffsets(kafka: Kafka, topics: string[], groupId?: string): Promise<Map<string, { low: number; high: number; group?: number }>> {
  const out = new Map<string, { low: number; high: number; group?: number }>();
  for (const p of await fetchOffsets(kafka, topics, { groupId })) {
    out.set(tpKey(p.topic, p.partition), { low: p.earliest, high: p.latest, ...(p.committed === undefined ? {} : { group: p.committed }) });
  }
  return out;
}
