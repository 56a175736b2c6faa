import { createHmac } from 'node:crypto';
import { deriveKey } from './derive-key.ts';
import { encodeRawBase64 } from './strict-base64.ts';

/** A recipient stanza of the age header: `-> type args...` and a binary body. */
export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Buffer;
}

/** Length of the random file key every key in a file derives from. */
export const FILE_KEY_SIZE = 16;
/** The first line of every age v1 file, without its newline. */
export const AGE_INTRO = 'age-encryption.org/v1';
/** Body lines hold 64 base64 columns, that is 48 bytes; a shorter line ends the body. */
export const BODY_LINE_BYTES = 48;
const BODY_LINE_COLUMNS = 64;

/** The header MAC: HMAC-SHA256 under a key derived from the file key, over the header up to and including `---`. */
export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac('sha256', deriveKey(fileKey, Buffer.alloc(0), 'header'))
    .update(macInput)
    .digest();
}

/** Encodes a complete header (stanzas and MAC line) in the one canonical form age readers accept. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  let text = `${AGE_INTRO}\n`;
  for (const stanza of stanzas) {
    text += `-> ${[stanza.type, ...stanza.args].join(' ')}\n`;
    const body = encodeRawBase64(stanza.body);
    // Full lines, then a short one that ends the body, empty if the body fills its last line.
    for (let start = 0; start <= body.length; start += BODY_LINE_COLUMNS) {
      text += `${body.slice(start, start + BODY_LINE_COLUMNS)}\n`;
    }
  }
  text += '---';
  const mac = headerMac(fileKey, Buffer.from(text, 'latin1'));
  return Buffer.from(`${text} ${encodeRawBase64(mac)}\n`, 'latin1');
}
