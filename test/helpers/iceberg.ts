/** Floe's write path pointed at the stack's REST catalog and S3 store, for integration tests. */
import { S3FileIO } from '../../src/io/index.js';
import { RestCatalog, TableOps } from '../../src/iceberg/index.js';
import { stack } from './stack.js';

export function stackIO(): S3FileIO {
  return new S3FileIO({ endpoint: stack.s3.endpoint, region: stack.s3.region, pathStyle: true, accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey });
}

export function stackCatalog(uri = stack.restUrl): RestCatalog {
  return new RestCatalog({ uri });
}

export function stackOps(uri?: string): TableOps {
  return new TableOps(stackCatalog(uri), stackIO());
}
