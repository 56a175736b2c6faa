// The drivers that need the AWS SDK, in one module that compose-engine loads only when a bucket is configured.
export { MediaS3Source } from '../src/sources/media-s3-source.ts';
export { S3Store } from '../src/storage/s3-store.ts';
export { createS3Client } from './s3-client.ts';
