import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { durationSeconds, type S3ConnectionConfig } from '../src/config/config-schema.ts';

/**
 * An S3 client for AWS or any S3-compatible endpoint. Checksums are computed only where S3 requires them: several
 * S3-compatible servers mishandle the SDK's newer default (streamed bodies are then stored with their aws-chunked
 * framing), and Backstop checks every object's sha256 itself. Every call has a connect and an idle timeout (an
 * endpoint that accepts connections and never answers fails the call, retryable, instead of holding it for ever).
 */
export function createS3Client(connection: S3ConnectionConfig): S3Client {
  return new S3Client({
    region: connection.region,
    forcePathStyle: connection.forcePathStyle,
    ...(connection.endpoint !== undefined && { endpoint: connection.endpoint }),
    ...(connection.accessKeyId !== undefined &&
      connection.secretAccessKey !== undefined && {
        credentials: {
          accessKeyId: connection.accessKeyId,
          secretAccessKey: connection.secretAccessKey,
          ...(connection.sessionToken !== undefined && { sessionToken: connection.sessionToken }),
        },
      }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: durationSeconds(connection.timeouts.connect) * 1000,
      socketTimeout: durationSeconds(connection.timeouts.idle) * 1000,
    }),
  });
}
