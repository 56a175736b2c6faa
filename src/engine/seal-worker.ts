/**
 * The worker side of SealStream: age-encrypts the plaintext it is sent and hashes the ciphertext, on its own core.
 * Messages in: a Uint8Array (plaintext, transferred), { spare } (memory for a coming piece of the age file,
 * transferred) or 'end'. Messages out: { taken } once a plaintext chunk was encrypted, its memory handed back
 * (transferred: nothing here refers to it any more); { data, bytes } (the next `bytes` of the age file at the start of
 * `data`, transferred); { done: { stored } } with the bytes and sha256 of the age file; or
 * { error: { code, message, userMessage } }.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { BlockSealer, startAgeFile } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';

const port = parentPort!;
/**
 * The age file leaves in pieces of this size, each copied together here from the cipher's output (a 64 KiB piece
 * and a 16-byte tag a chunk): one transfer and one hash update a MiB instead of two a chunk.
 */
const OUTPUT_BYTES = 1 << 20;
/** Spare pieces kept for reuse, at most. */
const MAX_SPARES = 4;

try {
  const { intro, cipher } = startAgeFile((workerData as { recipients: string[] }).recipients);
  const storedHash = createHash('sha256');
  let storedBytes = 0;
  const spares: ArrayBuffer[] = [];
  let output = Buffer.allocUnsafeSlow(OUTPUT_BYTES);
  let used = 0;
  const send = () => {
    if (used === 0) return;
    const piece = output.subarray(0, used);
    storedHash.update(piece);
    storedBytes += used;
    port.postMessage({ data: output.buffer, bytes: used }, [output.buffer as ArrayBuffer]);
    const spare = spares.pop();
    output = spare === undefined ? Buffer.allocUnsafeSlow(OUTPUT_BYTES) : Buffer.from(spare);
    used = 0;
  };
  const append = (piece: Buffer) => {
    for (let offset = 0; offset < piece.length; ) {
      const copied = piece.copy(output, used, offset);
      used += copied;
      offset += copied;
      if (used === OUTPUT_BYTES) send();
    }
  };
  const sealer = new BlockSealer(cipher, append);
  append(intro);
  port.on('message', (message: Uint8Array | { spare: ArrayBuffer } | 'end') => {
    try {
      if (typeof message === 'object' && 'spare' in message) {
        if (message.spare.byteLength === OUTPUT_BYTES && spares.length < MAX_SPARES) spares.push(message.spare);
      } else if (message === 'end') {
        sealer.end();
        send();
        port.postMessage({
          done: { stored: { bytes: storedBytes, sha256: storedHash.digest('hex') } },
        });
      } else {
        sealer.add(message);
        port.postMessage({ taken: message.buffer }, [message.buffer as ArrayBuffer]);
      }
    } catch (error) {
      port.postMessage({ error: describe(error) });
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
