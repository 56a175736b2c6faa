/**
 * The worker side of SealStream: hashes the plaintext it is sent, age-encrypts it and hashes the ciphertext, on its
 * own core. Messages in: a Uint8Array (plaintext, transferred) or 'end'. Messages out: { data: ArrayBuffer[] }
 * (ciphertext pieces in order, transferred), 'ack' once a plaintext chunk was taken, { done: { plain, stored } } with
 * the bytes and sha256 of each, or { error: { code, message, userMessage } }.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { createEncryptStream } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import { spansItsMemory } from '../sources/movable-chunks.ts';

const port = parentPort!;
// Ciphertext leaves in messages of about this many bytes: fewer messages. The cipher's output pieces are buffers of
// their own, moved as they are; a piece that shares its memory (none does today) would be copied first.
const OUTPUT_BYTES = 1 << 20;

try {
  const encrypt = createEncryptStream((workerData as { recipients: string[] }).recipients);
  const hash = createHash('sha256');
  const plainHash = createHash('sha256');
  let bytes = 0;
  let plainBytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const send = () => {
    if (pendingBytes === 0) return;
    const pieces = pending.map(ownMemory);
    pending = [];
    pendingBytes = 0;
    port.postMessage({ data: pieces }, pieces);
  };
  encrypt.on('data', (piece: Buffer) => {
    hash.update(piece);
    bytes += piece.length;
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes >= OUTPUT_BYTES) send();
  });
  encrypt.on('end', () => {
    send();
    port.postMessage({
      done: {
        plain: { bytes: plainBytes, sha256: plainHash.digest('hex') },
        stored: { bytes, sha256: hash.digest('hex') },
      },
    });
  });
  encrypt.on('error', (error) => port.postMessage({ error: describe(error) }));
  port.on('message', (message: Uint8Array | 'end') => {
    if (message === 'end') encrypt.end();
    else {
      plainHash.update(message);
      plainBytes += message.byteLength;
      encrypt.write(message);
      port.postMessage('ack');
    }
  });
} catch (error) {
  port.postMessage({ error: describe(error) });
}

function describe(error: unknown) {
  return {
    code: error instanceof BackstopError ? error.code : 'seal-failed',
    message: error instanceof Error ? error.message : String(error),
    userMessage: error instanceof BackstopError ? error.userMessage : undefined,
  };
}

/** The piece's memory, to transfer: its own ArrayBuffer when it spans all of it, else a copy. */
function ownMemory(piece: Buffer): ArrayBuffer {
  return spansItsMemory(piece) ? (piece.buffer as ArrayBuffer) : Uint8Array.prototype.slice.call(piece).buffer;
}
