/**
 * Base64 as age requires it: strict and canonical, so that one file has exactly one encoding (the header MAC covers
 * the encoded text). Node's own decoder skips invalid characters and ignores non-zero trailing bits, so it is only
 * used after these checks.
 */

const UNPADDED = /^[A-Za-z0-9+/]*$/;
const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encodes without padding, as age header fields are written. */
export function encodeRawBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes standard-alphabet base64, unpadded (age header fields) or padded (the ASCII armor), or returns undefined
 * when `text` is not the canonical encoding of some bytes.
 */
export function decodeStrictBase64(text: string, padding: 'padded' | 'unpadded'): Buffer | undefined {
  if (!(padding === 'padded' ? PADDED : UNPADDED).test(text)) return undefined;
  const data = Buffer.from(text, 'base64');
  // Re-encoding rejects what the pattern lets through: an impossible length, or non-zero bits after the last byte.
  const canonical = data.toString('base64');
  return (padding === 'padded' ? canonical : canonical.replace(/=+$/, '')) === text ? data : undefined;
}
