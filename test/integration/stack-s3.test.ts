/** Smoke test of the stack's S3 store with the AWS SDK, path style, endpoint from the environment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { skipUnless, stack, uniqueName } from '../helpers/stack.js';

function client(secretAccessKey = stack.s3.secretAccessKey): S3Client {
  return new S3Client({
    endpoint: stack.s3.endpoint,
    region: stack.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

test('s3: an object put into the warehouse bucket is got back byte for byte, listed, and deleted', { skip: skipUnless('s3') }, async () => {
  const s3 = client();
  const prefix = `stack-smoke/${uniqueName('obj')}/`;
  const Key = `${prefix}data.bin`;
  const body = new Uint8Array(256 * 1024).map((_, i) => (i * 31) % 251);
  try {
    await s3.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key, Body: body, ContentType: 'application/octet-stream' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key }));
    assert.equal(got.ContentLength, body.length);
    assert.deepEqual(await got.Body?.transformToByteArray(), body);

    const range = await s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key, Range: 'bytes=1000-1009' }));
    assert.deepEqual(await range.Body?.transformToByteArray(), body.slice(1000, 1010));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), [Key]);

    await s3.send(new DeleteObjectCommand({ Bucket: stack.s3.bucket, Key }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key })), { name: 'NoSuchKey' });
    await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: stack.s3.bucket })), /BucketAlreadyOwnedByYou|BucketAlreadyExists/);
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: stack.s3.bucket, Key })).catch(() => undefined);
    s3.destroy();
  }
});

test('s3: a request signed with a wrong secret is refused', { skip: skipUnless('s3') }, async () => {
  const s3 = client('not-the-secret');
  try {
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: 'anything' })), { name: 'SignatureDoesNotMatch' });
  } finally {
    s3.destroy();
  }
});
