import { BackstopError } from '../domain/backstop-error.ts';

/**
 * The three ways decryption fails, as BackstopErrors whose userMessage a person can act on. `detail` says where the
 * problem was found, for the logs and for whoever investigates.
 */

/** The object does not authenticate or does not parse: it was altered or damaged (code `decrypt-corrupt`). */
export function corruptError(detail: string, cause?: unknown): BackstopError {
  return new BackstopError('decrypt-corrupt', `age decryption failed, the object is corrupt: ${detail}`, {
    userMessage: `The encrypted object was altered or damaged (${detail}).`,
    cause,
  });
}

/** The object stops before its end: it is incomplete (code `decrypt-truncated`). */
export function truncatedError(detail: string): BackstopError {
  return new BackstopError('decrypt-truncated', `age decryption failed, the object is truncated: ${detail}`, {
    userMessage: `The encrypted object ends early: it is incomplete (${detail}).`,
  });
}

function describeStanzas(types: string[]): string {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  const names: Record<string, string> = {
    X25519: 'X25519 recipient',
    scrypt: 'passphrase (scrypt) stanza',
    mlkem768x25519: 'post-quantum recipient',
  };
  return [...counts]
    .map(([type, count]) => `${count} ${names[type] ?? `"${type}" stanza`}${count > 1 ? 's' : ''}`)
    .join(', ');
}

/** No identity unwraps any recipient stanza of the header (code `decrypt-no-identity`). */
export function noIdentityError(stanzaTypes: string[], identityCount: number): BackstopError {
  const message =
    `${identityCount === 1 ? 'The identity cannot' : `None of the ${identityCount} identities can`} decrypt this object, which is ` +
    `encrypted to ${describeStanzas(stanzaTypes)}. Check that the identity files hold the secret key ` +
    '(AGE-SECRET-KEY-1...) of one of the recipients it was encrypted to.';
  return new BackstopError('decrypt-no-identity', message, { userMessage: message });
}
