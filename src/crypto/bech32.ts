/**
 * Bech32 (BIP 173), the encoding of age keys: `age1...` recipients and `AGE-SECRET-KEY-1...` identities. age uses the
 * original Bech32 checksum (not Bech32m) and lifts BIP 173's 90-character limit.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) {
      if ((top >>> bit) & 1) checksum ^= GENERATORS[bit]!;
    }
  }
  return checksum;
}

function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >>> 5), 0, ...codes.map((c) => c & 31)];
}

/** Regroups bits; with `pad` false, leftover bits must be fewer than `from` and zero (BIP 173's strict decoding). */
function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let accumulator = 0;
  let bits = 0;
  const result: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    accumulator = (accumulator << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      result.push((accumulator >>> bits) & max);
    }
    accumulator &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) result.push((accumulator << (to - bits)) & max);
  } else if (bits >= from || accumulator !== 0) {
    return undefined;
  }
  return result;
}

/** Encodes `data` under the human-readable part `hrp`, in lowercase. */
export function encodeBech32(hrp: string, data: Uint8Array): string {
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true)!;
  const checksum = polymod([...expandHrp(lowerHrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksumWords = [25, 20, 15, 10, 5, 0].map((shift) => (checksum >>> shift) & 31);
  return `${lowerHrp}1${[...words, ...checksumWords].map((w) => CHARSET[w]).join('')}`;
}

export type Bech32Result = { ok: true; hrp: string; data: Buffer } | { ok: false; reason: string };

/**
 * Decodes a Bech32 string. The returned `hrp` keeps the input's case (age tells identities from recipients by it).
 * Failure reasons never quote the input, which may be a secret key.
 */
export function decodeBech32(text: string): Bech32Result {
  if (text !== text.toLowerCase() && text !== text.toUpperCase())
    return { ok: false, reason: 'it mixes upper and lower case' };
  const separator = text.lastIndexOf('1');
  if (separator < 1 || separator + 7 > text.length)
    return { ok: false, reason: 'it lacks the "1" separator or checksum' };
  const hrp = text.slice(0, separator);
  if (!/^[\x21-\x7e]+$/.test(hrp)) return { ok: false, reason: 'its prefix holds invalid characters' };
  const words: number[] = [];
  const lower = text.toLowerCase();
  for (let i = separator + 1; i < lower.length; i++) {
    const word = CHARSET.indexOf(lower[i]!);
    if (word === -1) return { ok: false, reason: `character ${i + 1} is not one Bech32 uses` };
    words.push(word);
  }
  if (polymod([...expandHrp(hrp.toLowerCase()), ...words]) !== 1) {
    return { ok: false, reason: 'its checksum does not match (a character is mistyped or missing)' };
  }
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  if (bytes === undefined) return { ok: false, reason: 'its data has invalid padding' };
  return { ok: true, hrp, data: Buffer.from(bytes) };
}
