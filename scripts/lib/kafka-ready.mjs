// Kafka readiness probe: an admin client lists topics (a real metadata round trip).
import kafkajs from 'kafkajs';

const kafka = new kafkajs.Kafka({
  clientId: 'floe-stack-probe',
  brokers: [`127.0.0.1:${process.env.FLOE_KAFKA_PORT ?? 9092}`],
  logLevel: kafkajs.logLevel.NOTHING,
  retry: { retries: 0 },
  connectionTimeout: 2000,
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.listTopics();
  await admin.disconnect();
  process.exit(0);
} catch (err) {
  console.error(`kafka not ready: ${err.message}`);
  process.exit(1);
}
