import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateIdentity } from '../src/crypto/index.ts';

/**
 * The embedded default's key: an age identity file under the data directory, made on first use. Returns the file
 * and whether it was made now (so the CLI can tell the user to keep a copy: without it no backup can be decrypted).
 * Several processes starting at once agree on one key: the first to publish it wins, the others use it.
 */
export function ensureGeneratedIdentity(path: string, now: Date): { created: boolean } {
  const { identity, recipient } = generateIdentity();
  const created = publishOnce(path, `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`);
  return { created };
}

/**
 * A random secret kept in a file under the data directory (e.g. the download-link HMAC key), made on first use;
 * processes starting at once agree on one.
 */
export function ensureSecretFile(path: string): string {
  publishOnce(path, `${randomBytes(32).toString('base64url')}\n`);
  return readFileSync(path, 'utf8').trim();
}

/**
 * Creates `path` with `content` unless it exists, atomically: the content is written in full to a temporary file
 * first and then hard-linked into place, so no reader ever sees a partly written file and a process that loses the
 * race to another simply finds the winner's file. True when this call created it.
 */
function publishOnce(path: string, content: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}
