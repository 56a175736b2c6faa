import { timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { headerMac } from './age-header.ts';
import { ArmorDecoder } from './armor-decoder.ts';
import { ByteQueue } from './byte-queue.ts';
import { corruptError, truncatedError } from './decrypt-errors.ts';
import { HeaderReader, type ParsedHeader } from './header-reader.ts';
import { parseIdentity, type X25519Identity } from './parse-identity.ts';
import { PAYLOAD_NONCE_SIZE, PayloadCipher, SEALED_CHUNK_SIZE, TAG_SIZE } from './payload-cipher.ts';
import { unwrapFileKey } from './x25519-stanza.ts';

// A binary age file starts with "age-encryption.org"; an armored one with "-----BEGIN" or whitespace before it.
const ARMOR_FIRST_BYTES = new Set([...'-\t\n\v\f\r '].map((c) => c.charCodeAt(0)));

class DecryptStream extends Transform {
  private armor: ArmorDecoder | undefined;
  private started = false;
  private readonly header = new HeaderReader();
  private fileKey: Buffer | undefined;
  private cipher: PayloadCipher | undefined;
  private readonly payload = new ByteQueue();

  constructor(private readonly identities: readonly X25519Identity[]) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.receive(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private receive(chunk: Buffer): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      if (ARMOR_FIRST_BYTES.has(chunk[0]!)) this.armor = new ArmorDecoder();
    }
    if (this.armor === undefined) {
      this.receiveBinary(chunk);
    } else {
      for (const decoded of this.armor.write(chunk)) this.receiveBinary(decoded);
    }
  }

  private receiveBinary(chunk: Buffer): void {
    let payload = chunk;
    if (this.fileKey === undefined) {
      const complete = this.header.write(chunk);
      if (complete === undefined) return;
      this.fileKey = this.openHeader(complete.header);
      payload = chunk.subarray(complete.used);
    }
    this.payload.push(payload);
    if (this.cipher === undefined) {
      if (this.payload.length < PAYLOAD_NONCE_SIZE) return;
      this.cipher = new PayloadCipher(this.fileKey, Buffer.concat(this.payload.take(PAYLOAD_NONCE_SIZE)));
    }
    // With more bytes queued than a full chunk, the next full chunk cannot be the last one.
    while (this.payload.length > SEALED_CHUNK_SIZE) this.openMiddleChunk(this.payload.take(SEALED_CHUNK_SIZE));
  }

  /** Returns the file key once the header MAC is verified: nothing is released from a header that fails. */
  private openHeader(header: ParsedHeader): Buffer {
    const fileKey = unwrapFileKey(header.stanzas, this.identities);
    if (!timingSafeEqual(headerMac(fileKey, header.macInput), header.mac)) {
      throw corruptError('the header MAC does not match');
    }
    return fileKey;
  }

  private openMiddleChunk(sealed: Buffer[]): void {
    const cipher = this.cipher!;
    const chunkNumber = cipher.chunkCount + 1;
    const plaintext = cipher.open(sealed, false);
    if (plaintext !== undefined) {
      this.pushAll(plaintext);
      return;
    }
    const last = cipher.open(sealed, true);
    if (last === undefined) throw corruptError(`payload chunk ${chunkNumber} does not authenticate`);
    // The final chunk is authentic: release it, as age does, then refuse what follows it.
    this.pushAll(last);
    throw corruptError(`data follows the final payload chunk (${chunkNumber})`);
  }

  private pushAll(buffers: Buffer[]): void {
    for (const buffer of buffers) if (buffer.length > 0) this.push(buffer);
  }

  private finish(): void {
    if (this.armor !== undefined) for (const decoded of this.armor.end()) this.receiveBinary(decoded);
    if (this.fileKey === undefined) this.header.end();
    const cipher = this.cipher;
    if (cipher === undefined) throw truncatedError('it ends before the payload starts');
    const restLength = this.payload.length;
    const rest = this.payload.take(restLength);
    const chunkNumber = cipher.chunkCount + 1;
    if (restLength < TAG_SIZE) {
      throw truncatedError(restLength === 0 ? 'it ends right after the header' : `it ends inside chunk ${chunkNumber}`);
    }
    const last = cipher.open(rest, true);
    if (last !== undefined) {
      // age never writes an empty final chunk after other chunks; accepting one would make files malleable.
      if (restLength === TAG_SIZE && chunkNumber > 1) throw corruptError('the final payload chunk is empty');
      this.pushAll(last);
      return;
    }
    if (restLength === SEALED_CHUNK_SIZE) {
      const middle = cipher.open(rest, false);
      if (middle !== undefined) {
        this.pushAll(middle);
        throw truncatedError(`it ends after chunk ${chunkNumber}, which is not the final chunk`);
      }
    }
    // A damaged last chunk and one cut short look the same: neither has a valid tag where the input ends.
    throw corruptError(`the last payload chunk (${chunkNumber}) does not authenticate: it was damaged or cut short`);
  }
}

/**
 * A stream that decrypts an age v1 file, binary or ASCII-armored, with whichever of `identities`
 * (`AGE-SECRET-KEY-1...`) opens it. It emits plaintext only once authenticated: the header MAC before anything, then
 * each 64 KiB chunk after its tag is verified. Errors with BackstopError `decrypt-no-identity`, `decrypt-corrupt` or
 * `decrypt-truncated`; the plaintext emitted before an error is authentic but incomplete, so a consumer must not
 * commit anything before the stream ends without error. Throws BackstopError `bad-identity` at once when an identity
 * is invalid or none is given.
 */
export function createDecryptStream(identities: readonly string[]): Transform {
  if (identities.length === 0) {
    const message = 'no identity to decrypt with: at least one age identity (AGE-SECRET-KEY-1...) is needed';
    throw new BackstopError('bad-identity', message, { userMessage: message });
  }
  return new DecryptStream(identities.map((identity, index) => parseIdentity(identity, `identity ${index + 1}`)));
}
