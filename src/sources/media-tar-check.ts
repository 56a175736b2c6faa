import type { Readable } from 'node:stream';
import { readMediaTar } from './media-tar-reader.ts';

/**
 * Checks that a plaintext is a complete, consistent media tar (safe entries, every file matching the manifest's size
 * and sha256) without writing anything. Used by verify; rejects with the reader's error codes.
 */
export async function checkMediaTar(plaintext: Readable): Promise<void> {
  await readMediaTar(plaintext, {
    async writeFile(_path, content) {
      for await (const _ of content);
    },
  });
}
