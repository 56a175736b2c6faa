import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BackstopError } from '../domain/backstop-error.ts';
import { attachmentDisposition } from './attachment-disposition.ts';
import { CountedSource } from './counted-source.ts';
import { fromS3Error } from './from-s3-error.ts';
import type { Store, StoredObject } from './store.ts';
import { assertValidKey, assertValidPrefix, keyBasename } from './store-key.ts';

export interface S3StoreOptions {
  /** Built by the composition root (endpoint, region, credentials, forcePathStyle). */
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket; normalised to "" or "something/". */
  prefix?: string;
  /** Default STANDARD_IA: backups are written once and rarely read. */
  storageClass?: StorageClass;
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** Only with `serverSideEncryption: 'aws:kms'`; without it S3 uses the account's default KMS key. */
  kmsKeyId?: string;
  /** Multipart part size, at least 5 MiB (S3's minimum). Default 16 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once. A write holds at most about partSizeBytes × (queueSize + 1) in memory. Default 2. */
  queueSize?: number;
  /** Keys per ListObjectsV2 page, 1 to 1000. Default: S3's (1000). */
  listPageSize?: number;
  /** The clock presigned links are dated with. */
  now?: () => Date;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE_BYTES = 5 * MIB;
/** SigV4 presigned URLs live at most a week. */
const MAX_LINK_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A Store in an S3 bucket (or any S3-compatible service): key "a/b" is the object <prefix>a/b. */
export class S3Store implements Store {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #storageClass: StorageClass;
  readonly #serverSideEncryption: ServerSideEncryption | undefined;
  readonly #kmsKeyId: string | undefined;
  readonly #partSizeBytes: number;
  readonly #queueSize: number;
  readonly #listPageSize: number | undefined;
  readonly #now: () => Date;

  constructor(options: S3StoreOptions) {
    checkOptions(options);
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = normalisePrefix(options.prefix ?? '');
    this.#storageClass = options.storageClass ?? 'STANDARD_IA';
    this.#serverSideEncryption = options.serverSideEncryption;
    this.#kmsKeyId = options.kmsKeyId;
    this.#partSizeBytes = options.partSizeBytes ?? 16 * MIB;
    this.#queueSize = options.queueSize ?? 2;
    this.#listPageSize = options.listPageSize;
    this.#now = options.now ?? (() => new Date());
  }

  async write(key: string, body: Readable, options: { contentType?: string } = {}): Promise<{ sizeBytes: number }> {
    const source = new CountedSource(body);
    let upload: Upload | undefined;
    try {
      upload = new Upload({
        client: this.#client,
        params: {
          Bucket: this.#bucket,
          Key: this.#objectKey(key),
          // One chunk of read-ahead: the part buffers are the only memory a write should need.
          Body: Readable.from(source.chunks(), { highWaterMark: 1 }),
          ContentType: options.contentType,
          StorageClass: this.#storageClass,
          ServerSideEncryption: this.#serverSideEncryption,
          SSEKMSKeyId: this.#kmsKeyId,
        },
        partSize: this.#partSizeBytes,
        queueSize: this.#queueSize,
        // Upload's own abort would replace the body's error with the abort's when the abort fails (s3rver has no
        // AbortMultipartUpload); we abort ourselves below and keep the error that matters.
        leavePartsOnError: true,
      });
      await upload.done();
    } catch (error) {
      const failure = source.failWith(() => fromS3Error(error, 'write', this.#location(key)));
      if (upload?.uploadId) await this.#abortMultipartUpload(key, upload.uploadId);
      throw failure;
    }
    return { sizeBytes: source.sizeBytes };
  }

  async read(key: string): Promise<Readable> {
    const command = new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) });
    let body: unknown;
    try {
      ({ Body: body } = await this.#client.send(command));
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') {
        throw new BackstopError('not-found', `no object at ${this.#location(key)}`, {
          userMessage: `Nothing is stored under ${key}.`,
          cause: error,
        });
      }
      throw fromS3Error(error, 'read', this.#location(key));
    }
    // In Node the SDK's body is an IncomingMessage; anything else means a misconfigured client (e.g. a fetch handler).
    if (!(body instanceof Readable)) {
      throw new BackstopError('storage-failed', `S3 returned no readable stream for ${this.#location(key)}`);
    }
    return body;
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    const command = new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) });
    try {
      const head = await this.#client.send(command);
      return { key, sizeBytes: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      // A HEAD response has no body, so a missing key arrives as a bare 404 named NotFound.
      if ((error as Error).name === 'NotFound') return undefined;
      throw fromS3Error(error, 'stat', this.#location(key));
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.#listPage(prefix, continuationToken);
      for (const object of page.Contents ?? []) {
        yield {
          key: (object.Key ?? '').slice(this.#prefix.length),
          sizeBytes: object.Size ?? 0,
          modifiedAt: object.LastModified ?? new Date(0),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
    } catch (error) {
      throw fromS3Error(error, 'delete', this.#location(key));
    }
  }

  async link(key: string, ttlSeconds: number, options: { filename?: string } = {}): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_LINK_TTL_SECONDS) {
      throw new BackstopError(
        'bad-ttl',
        `an S3 link lifetime must be a whole number of seconds from 1 to ${MAX_LINK_TTL_SECONDS} (7 days), got ${ttlSeconds}`,
      );
    }
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: this.#objectKey(key),
      ResponseContentDisposition: attachmentDisposition(options.filename ?? keyBasename(key)),
    });
    return getSignedUrl(this.#client, command, { expiresIn: ttlSeconds, signingDate: this.#now() });
  }

  describe(): string {
    return `s3://${this.#bucket}/${this.#prefix}`;
  }

  #objectKey(key: string): string {
    assertValidKey(key);
    return this.#prefix + key;
  }

  #location(key: string): string {
    return `s3://${this.#bucket}/${this.#prefix}${key}`;
  }

  async #listPage(prefix: string, continuationToken: string | undefined): Promise<ListObjectsV2CommandOutput> {
    const command = new ListObjectsV2Command({
      Bucket: this.#bucket,
      Prefix: this.#prefix + prefix,
      MaxKeys: this.#listPageSize,
      ContinuationToken: continuationToken,
    });
    try {
      return await this.#client.send(command);
    } catch (error) {
      throw fromS3Error(error, 'list', this.#location(prefix));
    }
  }

  /**
   * Frees the parts of a failed multipart upload. Best effort: s3rver does not implement it, and on S3 a failure here
   * leaves parts that a lifecycle rule (AbortIncompleteMultipartUpload) removes; the write has failed either way.
   */
  async #abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    const command = new AbortMultipartUploadCommand({
      Bucket: this.#bucket,
      Key: this.#objectKey(key),
      UploadId: uploadId,
    });
    await this.#client.send(command).catch(() => undefined);
  }
}

/** Bad settings fail when the store is built, at start, rather than at the first backup. */
function checkOptions(options: S3StoreOptions): void {
  const problems = [
    options.bucket === '' && 'a bucket name is required',
    options.partSizeBytes !== undefined &&
      !(Number.isInteger(options.partSizeBytes) && options.partSizeBytes >= MIN_PART_SIZE_BYTES) &&
      `partSizeBytes must be a whole number of at least ${MIN_PART_SIZE_BYTES} (5 MiB, S3's minimum part size)`,
    options.queueSize !== undefined &&
      !(Number.isInteger(options.queueSize) && options.queueSize >= 1) &&
      'queueSize must be a whole number of at least 1',
    options.listPageSize !== undefined &&
      !(Number.isInteger(options.listPageSize) && options.listPageSize >= 1 && options.listPageSize <= 1000) &&
      'listPageSize must be a whole number from 1 to 1000',
    options.kmsKeyId !== undefined &&
      options.serverSideEncryption !== 'aws:kms' &&
      "kmsKeyId needs serverSideEncryption: 'aws:kms'",
  ].filter((problem) => typeof problem === 'string');
  if (problems.length > 0) {
    throw new BackstopError('bad-config', `S3 storage settings are invalid: ${problems.join('; ')}`, {
      userMessage: `The S3 storage settings are invalid: ${problems.join('; ')}.`,
    });
  }
}

/** "" stays ""; "backstop", "/backstop/" and "backstop/" all become "backstop/", so keys join it with no "/". */
function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  try {
    assertValidKey(trimmed);
  } catch (error) {
    throw new BackstopError('bad-config', `the S3 prefix ${JSON.stringify(prefix)} is not a valid key prefix`, {
      userMessage: `The S3 prefix ${JSON.stringify(prefix)} is not valid.`,
      cause: error,
    });
  }
  return `${trimmed}/`;
}
