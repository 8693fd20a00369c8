// Ensures a bucket exists on the stack's S3 store (an authenticated ListBuckets, then
// CreateBucket if missing). Exit 0 when the bucket is there. Used as the s3 readiness probe.
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

const bucket = process.argv[2] ?? 'warehouse';
const client = new S3Client({
  endpoint: `http://127.0.0.1:${process.env.FLOE_S3_PORT ?? 9000}`,
  region: process.env.FLOE_S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.FLOE_S3_ACCESS_KEY ?? 'floe', secretAccessKey: process.env.FLOE_S3_SECRET_KEY ?? 'floe-secret-key' },
  maxAttempts: 1,
});
try {
  const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
  if (!Buckets.some((b) => b.Name === bucket)) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  process.exit(0);
} catch (err) {
  console.error(`s3 not ready: ${err.name}: ${err.message}`);
  process.exit(1);
}
