import { encodeBech32 } from './bech32.ts';
import { parseIdentity } from './parse-identity.ts';

/** The recipient (`age1...`) of an identity (`AGE-SECRET-KEY-1...`), as `age-keygen -y` prints it. Throws like parseIdentity. */
export function recipientOf(identity: string): string {
  return encodeBech32('age', parseIdentity(identity.trim()).publicKey);
}
