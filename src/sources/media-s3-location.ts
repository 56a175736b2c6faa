import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BackstopError } from '../domain/backstop-error.ts';

/** An S3 prefix holding media: every key that starts with `prefix` ("live/"), which ends in "/" unless empty. */
export class MediaS3Location {
  readonly prefix: string;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    prefix: string,
  ) {
    // "live" means the folder live/, not also the keys "live-old/...".
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  get url(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  /** Every object under the prefix, page after page, in S3's order (ascending UTF-8 bytes of the key). */
  async *list(): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }))
        .catch((error: unknown) => {
          throw this.failed('listing', error);
        });
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** An S3 call failed: retryable unless S3 answered with a client error (access denied, no such bucket). */
  failed(action: string, cause: unknown, key?: string): BackstopError {
    const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = cause instanceof Error ? cause.name : 'error';
    const where = key === undefined ? this.url : `s3://${this.bucket}/${key}`;
    return new BackstopError('media-s3-failed', `${action} ${where} failed: ${String(cause)}`, {
      userMessage: `S3 ${action} of ${where} failed (${name}).`,
      retryable: status === undefined || status >= 500,
      cause,
    });
  }
}
