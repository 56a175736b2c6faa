import { spawn } from 'node:child_process';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, createEncryptStream } from '../../src/crypto/index.ts';

/** `data` as a readable stream that delivers it in slices of `sliceSize` bytes (the last may be shorter). */
export function sliced(data: Buffer, sliceSize = data.length || 1): Readable {
  return Readable.from(
    (function* () {
      for (let start = 0; start < data.length; start += sliceSize) yield data.subarray(start, start + sliceSize);
    })(),
    { objectMode: false },
  );
}

/**
 * Streams `data` through `transform`. `emitted` fills as the transform pushes, so a test can inspect what came out
 * before an error; `done` resolves to all of it, or rejects with the pipeline's error.
 */
export function run(
  transform: Transform,
  data: Buffer,
  sliceSize?: number,
): { emitted: Buffer[]; done: Promise<Buffer> } {
  const emitted: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      emitted.push(chunk);
      callback();
    },
  });
  const done = pipeline(sliced(data, sliceSize), transform, sink).then(() => Buffer.concat(emitted));
  return { emitted, done };
}

/** Encrypts `data` with our stream, fed in slices of `sliceSize` bytes. */
export function encrypt(recipients: string[], data: Buffer, sliceSize?: number): Promise<Buffer> {
  return run(createEncryptStream(recipients), data, sliceSize).done;
}

/** Decrypts `data` with our stream, fed in slices of `sliceSize` bytes. */
export function decrypt(identities: string[], data: Buffer, sliceSize?: number): Promise<Buffer> {
  return run(createDecryptStream(identities), data, sliceSize).done;
}

/** Runs a program with `stdin` as its input; resolves to its exit code and output, whatever the code. */
export function runProcess(
  command: string,
  args: string[],
  stdin: Buffer = Buffer.alloc(0),
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    // A program that exits before reading all of stdin makes the write fail with EPIPE: its exit code tells why.
    child.stdin.on('error', () => {});
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() }),
    );
    child.stdin.end(stdin);
  });
}

/** Runs a program that must succeed and returns its standard output. */
export async function runOk(command: string, args: string[], stdin?: Buffer): Promise<Buffer> {
  const result = await runProcess(command, args, stdin);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout;
}
