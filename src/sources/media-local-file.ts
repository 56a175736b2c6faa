import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Creates `target` from `content`. "wx" creates exclusively: nothing existing is followed or overwritten. Writes are
 * synchronous for the reason given in media-breather.ts; the caller lets the event loop breathe between files.
 */
export async function writeNewFile(target: string, content: AsyncIterable<Buffer>): Promise<void> {
  const fd = openSync(target, 'wx');
  try {
    for await (const chunk of content) {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset);
    }
  } finally {
    closeSync(fd);
  }
}
