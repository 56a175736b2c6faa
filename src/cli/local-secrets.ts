import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateIdentity } from '../crypto/index.ts';

/**
 * The embedded default's key: an age identity file under the data directory, made on first use. Returns the file
 * and whether it was made now (so the CLI can tell the user to keep a copy: without it no backup can be decrypted).
 */
export function ensureGeneratedIdentity(path: string, now: Date): { created: boolean } {
  if (existsSync(path)) return { created: false };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { identity, recipient } = generateIdentity();
  const text = `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  return { created: true };
}

/** A random secret kept in a file under the data directory (e.g. the download-link HMAC key), made on first use. */
export function ensureSecretFile(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
