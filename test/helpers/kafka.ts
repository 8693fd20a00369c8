/** Topics on the stack's Kafka for tests and benches. */
import kafkajs from 'kafkajs';
import { stack } from './stack.js';

/** Creates `topic` with `partitions` partitions (leaders elected) and returns a client for it. */
export async function createTopic(topic: string, partitions = 1, clientId = 'floe-test'): Promise<kafkajs.Kafka> {
  const kafka = new kafkajs.Kafka({ clientId, brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return kafka;
}
