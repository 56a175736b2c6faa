import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { MediaS3Location } from './media-s3-location.ts';
import { readMediaS3 } from './media-s3-reader.ts';
import { restoreMediaS3 } from './media-s3-restore.ts';
import { formatMediaSize } from './media-size.ts';
import { writeMediaTar } from './media-tar-writer.ts';
import type { OpenOptions, ProgressListener, RestoreSummary, Source } from './source.ts';

/**
 * Media kept in an S3 prefix (`s3://shop-media/live/`) as a media tar with manifest, each file carrying its object's
 * Content-Type; restores upload the files, then delete what the backup does not hold (see media-s3-restore.ts).
 * Other object metadata (Cache-Control, user metadata, ACLs) and modification times are not restored: S3 sets
 * LastModified itself.
 */
export class MediaS3Source implements Source {
  readonly kind = 'media';
  private readonly location: MediaS3Location;
  private readonly tempDir: string;

  /** `tempDir` is where a restore spools the tar before touching the bucket; it needs room for the whole media. */
  constructor(options: { client: S3Client; bucket: string; prefix: string; tempDir?: string }) {
    this.location = new MediaS3Location(options.client, options.bucket, options.prefix);
    this.tempDir = options.tempDir ?? tmpdir();
  }

  open(options: OpenOptions = {}): Readable {
    return writeMediaTar(readMediaS3(this.location), { ...options, tempDir: this.tempDir });
  }

  restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary> {
    return restoreMediaS3(this.location, input, { ...options, tempDir: this.tempDir });
  }

  /**
   * True once any object is stored under the prefix. The Source contract asks for false when there is nothing a
   * restore could overwrite, as for a media directory never created: a prefix holding nothing needs no safety backup.
   */
  async exists(): Promise<boolean> {
    for await (const _ of this.location.list()) return true;
    return false;
  }

  async describe(): Promise<string> {
    let files = 0;
    let bytes = 0;
    for await (const { size } of this.location.list()) {
      files += 1;
      bytes += size;
    }
    return `media ${this.location.url} (${formatMediaSize(files, bytes)})`;
  }
}
