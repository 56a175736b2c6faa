import { lstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { createBreather } from './media-breather.ts';
import { type MediaFs, readMediaDir } from './media-dir-reader.ts';
import { restoreMediaDir } from './media-dir-restore.ts';
import { walkMediaDir } from './media-dir-walk.ts';
import { isFsError, quote, unreadable } from './media-errors.ts';
import { formatMediaSize } from './media-size.ts';
import { type MediaTarEntry, writeMediaTar } from './media-tar-writer.ts';
import type { OpenOptions, ProgressListener, RestoreSummary, Source } from './source.ts';

/**
 * A local media directory (`/srv/shop/media`) as a media tar with manifest (see media-tar-writer.ts), and restores
 * into it through a staging directory and a rename swap (see media-dir-restore.ts). Only regular files are archived;
 * symlinks, sockets, devices and names the format cannot hold are listed in the manifest's `skipped`. Empty
 * directories and file modes are not kept: restored files get the process's default mode.
 */
export class MediaDirSource implements Source {
  readonly kind = 'media';
  private readonly path: string;
  private readonly fs: MediaFs | undefined;

  /** `fs` replaces the node:fs calls that read files (tests use it to change a file mid-backup). */
  constructor(options: { path: string; fs?: MediaFs }) {
    this.path = resolve(options.path);
    this.fs = options.fs;
  }

  open(options: OpenOptions = {}): Readable {
    return writeMediaTar(this.entries(), options);
  }

  restore(
    input: Readable,
    options: { beforeCommit: () => Promise<void>; signal?: AbortSignal; onProgress?: ProgressListener },
  ): Promise<RestoreSummary> {
    return restoreMediaDir(this.path, input, options);
  }

  async describe(): Promise<string> {
    if (!(await this.isDirectory())) return `media directory ${this.path} (does not exist yet)`;
    let files = 0;
    let bytes = 0;
    const breathe = createBreather();
    for await (const item of walkMediaDir(this.path)) {
      const stats = item.kind === 'file' ? lstatSync(join(this.path, item.path), { throwIfNoEntry: false }) : undefined;
      if (stats === undefined) continue;
      files += 1;
      bytes += stats.size;
      await breathe();
    }
    return `media directory ${this.path} (${formatMediaSize(files, bytes)})`;
  }

  exists(): Promise<boolean> {
    return this.isDirectory();
  }

  private async *entries(): AsyncGenerator<MediaTarEntry> {
    if (!(await this.isDirectory())) {
      throw new BackstopError('media-source-missing', `media directory ${this.path} does not exist`, {
        userMessage: `The media directory ${quote(this.path)} does not exist or is not a directory.`,
      });
    }
    yield* readMediaDir(this.path, this.fs);
  }

  private async isDirectory(): Promise<boolean> {
    const stats = await stat(this.path).catch((error: unknown) => {
      if (isFsError(error) && error.code === 'ENOENT') return undefined;
      throw unreadable(this.path, error);
    });
    return stats?.isDirectory() ?? false;
  }
}
