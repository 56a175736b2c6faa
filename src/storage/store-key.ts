import { BackstopError } from '../domain/backstop-error.ts';

/**
 * Rejects keys outside the Store namespace (see store.ts). Every driver checks keys before touching its backend, so
 * a key that would escape a directory ("../x", "/etc/x") or alias another ("a/./b", "a//b") never reaches it.
 */
export function assertValidKey(key: string): void {
  if (key === '' || !segmentsAreValid(key.split('/'))) {
    throw badKey(`invalid storage key ${JSON.stringify(key)}`);
  }
}

/** Rejects list prefixes that no valid key starts with. The last segment may be partial ("a/b" matches "a/bc"). */
export function assertValidPrefix(prefix: string): void {
  const segments = prefix.split('/');
  const partial = segments.pop() ?? '';
  if (!segmentsAreValid(segments) || hasForbiddenCharacter(partial)) {
    throw badKey(`invalid storage prefix ${JSON.stringify(prefix)}`);
  }
}

/** Orders keys by their UTF-8 bytes, as S3 does (JavaScript's `<` compares UTF-16 code units, which differs). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The last segment of a valid key: the natural download name. */
export function keyBasename(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function segmentsAreValid(segments: string[]): boolean {
  return segments.every(
    (segment) => segment !== '' && segment !== '.' && segment !== '..' && !hasForbiddenCharacter(segment),
  );
}

function hasForbiddenCharacter(segment: string): boolean {
  return segment.includes('\\') || segment.includes('\0');
}

function badKey(message: string): BackstopError {
  return new BackstopError(
    'bad-key',
    `${message}: keys are "/"-separated, relative, without "\\", NUL, or empty, "." or ".." segments`,
    {
      userMessage: 'That storage key is not valid.',
    },
  );
}
