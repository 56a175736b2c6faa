import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { encodeHeader, FILE_KEY_SIZE } from './age-header.ts';
import { ByteQueue } from './byte-queue.ts';
import { parseRecipient } from './parse-recipient.ts';
import { CHUNK_SIZE, PAYLOAD_NONCE_SIZE, PayloadCipher } from './payload-cipher.ts';
import { wrapFileKey } from './x25519-stanza.ts';

class EncryptStream extends Transform {
  private readonly plaintext = new ByteQueue();

  constructor(
    private readonly cipher: PayloadCipher,
    headerAndNonce: Buffer,
  ) {
    super();
    this.push(headerAndNonce);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.plaintext.push(chunk);
    // A full chunk is sealed only once more data follows: the last chunk must carry the final flag.
    while (this.plaintext.length > CHUNK_SIZE) this.pushAll(this.cipher.seal(this.plaintext.take(CHUNK_SIZE), false));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // Empty input still gets its (empty) final chunk, as the spec requires.
    this.pushAll(this.cipher.seal(this.plaintext.take(this.plaintext.length), true));
    callback();
  }

  private pushAll(buffers: Buffer[]): void {
    for (const buffer of buffers) this.push(buffer);
  }
}

/**
 * A stream that encrypts what is written to it into a binary age v1 file readable by each of `recipients`
 * (`age1...`, X25519), such as `age -d` reads. A new random file key is used for every stream. Throws BackstopError
 * `bad-recipient` at once when a recipient is invalid or none is given.
 */
export function createEncryptStream(recipients: readonly string[]): Transform {
  const { intro, cipher } = startAgeFile(recipients);
  return new EncryptStream(cipher, intro);
}

/**
 * The start of a new age v1 file for `recipients`: `intro` (the header and the payload nonce, the file's first
 * bytes) and the cipher that seals its payload, under a new random file key. Throws BackstopError `bad-recipient`
 * at once when a recipient is invalid or none is given.
 */
export function startAgeFile(recipients: readonly string[]): { intro: Buffer; cipher: PayloadCipher } {
  if (recipients.length === 0) {
    const message = 'no recipient to encrypt to: at least one age recipient (age1...) is needed';
    throw new BackstopError('bad-recipient', message, { userMessage: message });
  }
  const publicKeys = recipients.map((recipient) => parseRecipient(recipient));
  const fileKey = randomBytes(FILE_KEY_SIZE);
  const header = encodeHeader(
    publicKeys.map((publicKey) => wrapFileKey(fileKey, publicKey)),
    fileKey,
  );
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
  return { intro: Buffer.concat([header, nonce]), cipher: new PayloadCipher(fileKey, nonce) };
}
