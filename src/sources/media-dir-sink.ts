import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createBreather } from './media-breather.ts';
import { isFsError, restoreFailed } from './media-errors.ts';
import { writeNewFile } from './media-local-file.ts';
import type { MediaFileSink } from './media-tar-reader.ts';

/**
 * Writes restored files under a staging directory that the reader's path checks keep them inside. Files are created
 * exclusively, so a path that collides with another ("a" as a file and as a directory) fails instead of overwriting.
 */
export class MediaDirSink implements MediaFileSink {
  /** Directories known to exist, so that 10,000 files in one folder cost one mkdir, not 10,000. */
  private readonly directories = new Set<string>();
  private readonly breathe = createBreather();

  constructor(private readonly root: string) {
    this.directories.add(root);
  }

  async writeFile(path: string, content: AsyncIterable<Buffer>): Promise<void> {
    const target = join(this.root, path);
    try {
      this.ensureDirectory(dirname(target));
      await writeNewFile(target, content);
    } catch (error) {
      throw isFsError(error) ? restoreFailed(path, error) : error;
    }
    await this.breathe();
  }

  private ensureDirectory(directory: string): void {
    if (this.directories.has(directory)) return;
    mkdirSync(directory, { recursive: true });
    for (let parent = directory; !this.directories.has(parent); parent = dirname(parent)) {
      this.directories.add(parent);
    }
  }
}
