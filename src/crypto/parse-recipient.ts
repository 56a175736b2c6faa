import { BackstopError } from '../domain/backstop-error.ts';
import { decodeBech32 } from './bech32.ts';
import { X25519_KEY_LENGTH } from './x25519-keys.ts';

const SHAPE =
  'an age recipient is "age1" followed by 58 lower-case letters and digits, like ' +
  'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p; `age-keygen -y <identity file>` prints it';

function problemWith(text: string): string | { publicKey: Buffer } {
  if (text.toUpperCase().startsWith('AGE-SECRET-KEY-')) {
    return 'this is an identity (a secret key), which must not be used as a recipient';
  }
  if (text.startsWith('ssh-')) return 'SSH recipients are not supported';
  if (text.startsWith('age1pq1')) return 'post-quantum recipients are not supported';
  if (!text.startsWith('age1')) return 'it does not start with "age1"';
  const decoded = decodeBech32(text);
  if (!decoded.ok) return decoded.reason;
  // Plugin recipients (age1yubikey1...) decode fine but under another prefix.
  if (decoded.hrp !== 'age') return `recipients of type "${decoded.hrp}" (age plugins) are not supported`;
  if (decoded.data.length !== X25519_KEY_LENGTH) return `it holds ${decoded.data.length} bytes instead of 32`;
  return { publicKey: decoded.data };
}

/**
 * Validates an age X25519 recipient (`age1...`, surrounding whitespace ignored) and returns its raw 32-byte public
 * key. Throws BackstopError `bad-recipient` saying what is wrong and what a recipient looks like; the message quotes
 * the input only when it looks public, so a secret key pasted by mistake stays out of logs.
 */
export function parseRecipient(text: string): Buffer {
  const trimmed = text.trim();
  const result = problemWith(trimmed);
  if (typeof result !== 'string') return result.publicKey;
  const quoted = trimmed.startsWith('age1') ? `"${trimmed.slice(0, 100)}"` : 'the value';
  const message = `${quoted} is not a valid age recipient: ${result} (${SHAPE})`;
  throw new BackstopError('bad-recipient', message, { userMessage: message });
}
