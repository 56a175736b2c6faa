import { BackstopError } from '../domain/backstop-error.ts';
import { parseIdentity } from './parse-identity.ts';

/**
 * Parses the text of an age identity file, as `age-keygen` writes it: one `AGE-SECRET-KEY-1...` per line, with blank
 * lines and `#` comments ignored. Returns the identities in file order. Throws BackstopError `bad-identity` naming
 * `origin` (a path, or "the BACKSTOP_KEY variable") and the line when a line is not an identity, or when there is none.
 */
export function parseIdentityFile(text: string, origin: string): string[] {
  if (text.startsWith('age-encryption.org/') || text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    const message = `${origin} is an age-encrypted identity file; Backstop needs it decrypted (age -d ${origin})`;
    throw new BackstopError('bad-identity', message, { userMessage: message });
  }
  const identities: string[] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    parseIdentity(line, `${origin} line ${index + 1}`);
    identities.push(line);
  }
  if (identities.length === 0) {
    const message = `${origin} holds no identity (expected a line AGE-SECRET-KEY-1..., as age-keygen writes it)`;
    throw new BackstopError('bad-identity', message, { userMessage: message });
  }
  return identities;
}
