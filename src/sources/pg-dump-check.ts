import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';

/**
 * Checks that a plaintext starts like a pg_dump custom-format archive ("PGDMP"). The sha256 check in verify covers
 * every byte; this catches a backup that was consistent but never a dump (a wrong object, a misconfigured source).
 */
export async function checkPgDump(plaintext: Readable): Promise<void> {
  let head = Buffer.alloc(0);
  // Reads to the end: the caller's hashes need every byte to pass.
  for await (const chunk of plaintext) {
    if (head.length < 5) head = Buffer.concat([head, (chunk as Buffer).subarray(0, 5 - head.length)]);
  }
  if (head.toString('latin1') !== 'PGDMP') {
    throw new BackstopError('not-a-dump', 'the database part is not a pg_dump custom-format archive', {
      userMessage: 'the database part is not a pg_dump custom-format archive',
    });
  }
}
