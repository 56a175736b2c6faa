import { Readable } from 'node:stream';

/** `data` as a stream of 64 KiB chunks, the way a download or a decryption delivers it. */
export function chunked(data: Buffer, size = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
    })(),
  );
}

/** A stream that delivers the first `bytes` of `data`, then fails with `error` (a dropped connection, say). */
export function failingAfter(data: Buffer, bytes: number, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) {
        this.destroy(error);
        return;
      }
      sent = true;
      this.push(data.subarray(0, bytes));
    },
  });
}
