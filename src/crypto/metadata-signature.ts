import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeBech32 } from './bech32.ts';
import { deriveKey } from './derive-key.ts';
import { recipientOf } from './recipient-of.ts';

/** One signature of a backup's metadata: which key made it (its public recipient) and the HMAC. */
export interface MetadataSignature {
  recipient: string;
  hmacSha256: string;
}

const INFO = 'backstop backup.json signature v1';

/**
 * Signs metadata with every identity given: an HMAC-SHA256 of `canonical` under a key derived (HKDF-SHA256) from the
 * identity's secret. Whoever holds the identity can check it, also without Backstop's state (a catalogue rebuild);
 * knowing the public recipient, which anyone may, is not enough to make one.
 */
export function signMetadata(canonical: string, identities: readonly string[]): MetadataSignature[] {
  return identities.map((identity) => ({
    recipient: recipientOf(identity),
    hmacSha256: mac(identity, canonical),
  }));
}

/**
 * Checks metadata against its signatures with the identities held: `valid` when one of them signed it as it is,
 * `forged` when one of them signed it but the content or the HMAC was changed, `unsigned` when it carries no
 * signature, `unknown-signer` when none of the signatures is by a key held here.
 */
export function checkMetadataSignature(
  canonical: string,
  signatures: readonly MetadataSignature[] | undefined,
  identities: readonly string[],
): 'valid' | 'forged' | 'unsigned' | 'unknown-signer' {
  if (signatures === undefined || signatures.length === 0) return 'unsigned';
  let ours = false;
  for (const identity of identities) {
    const recipient = recipientOf(identity);
    for (const signature of signatures) {
      if (signature.recipient !== recipient) continue;
      ours = true;
      const expected = Buffer.from(mac(identity, canonical));
      const given = Buffer.from(String(signature.hmacSha256));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return 'valid';
    }
  }
  return ours ? 'forged' : 'unknown-signer';
}

function mac(identity: string, canonical: string): string {
  const decoded = decodeBech32(identity.trim());
  if (!decoded.ok) throw new Error('not an identity');
  const key = deriveKey(decoded.data, Buffer.alloc(0), INFO);
  return createHmac('sha256', key).update(canonical, 'utf8').digest('base64');
}
