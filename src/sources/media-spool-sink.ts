import { join } from 'node:path';
import { createBreather } from './media-breather.ts';
import { isFsError, restoreFailed } from './media-errors.ts';
import { writeNewFile } from './media-local-file.ts';
import type { MediaFileSink } from './media-tar-reader.ts';

/**
 * Spools restored files into a flat temporary directory under numbered names. S3 keys need not form a valid tree
 * ("a" and "a/b" may both exist), so the spool never uses them as local paths.
 */
export class MediaSpoolSink implements MediaFileSink {
  private readonly spooled = new Map<string, string>();
  private readonly breathe = createBreather();

  constructor(private readonly directory: string) {}

  async writeFile(path: string, content: AsyncIterable<Buffer>): Promise<void> {
    const target = join(this.directory, String(this.spooled.size));
    this.spooled.set(path, target);
    try {
      await writeNewFile(target, content);
    } catch (error) {
      throw isFsError(error) ? restoreFailed(path, error) : error;
    }
    await this.breathe();
  }

  /** Where the bytes of `path` were spooled. */
  localPath(path: string): string {
    const target = this.spooled.get(path);
    if (target === undefined) throw new Error(`media spool has no ${path}`);
    return target;
  }
}
