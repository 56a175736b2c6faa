import { readFile } from 'node:fs/promises';
import { BackstopError } from '../domain/backstop-error.ts';
import { parseIdentityFile } from './parse-identity-file.ts';

/**
 * Reads and parses age identity files (see parseIdentityFile) and returns all their identities, in order. Throws
 * BackstopError `bad-identity` naming the file when one cannot be read or parsed.
 */
export async function readIdentityFiles(paths: string[]): Promise<string[]> {
  const identities: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      const message =
        reason === 'ENOENT'
          ? `the identity file ${path} does not exist: check the path (backstop keygen makes one)`
          : `cannot read identity file ${path} (${reason})`;
      throw new BackstopError('bad-identity', message, { userMessage: message, cause: error });
    }
    identities.push(...parseIdentityFile(text, path));
  }
  return identities;
}
