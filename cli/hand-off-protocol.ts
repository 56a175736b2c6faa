/**
 * The hand-off protocol. While `backstop serve` holds the embedded state, a CLI command is run by that server instead,
 * over a Unix socket: newline-delimited JSON both ways, one frame (a JSON object with a `type`) per line.
 *
 *   client → server: one `request` (argv, environment, cwd, what the terminal is), then an `answer` per `prompt`.
 *   server → client: `output` frames (stdout or stderr bytes in base64, so they arrive exactly) and `prompt` frames
 *                    while the command runs, then one `exit` with the exit code, then the server closes.
 *
 * A connection that closes before `exit` means the command was cut off: the server stops following it when the client
 * goes, and the client reports a broken hand-off when the server goes.
 */
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { BackstopError } from '../src/domain/backstop-error.ts';

export const handOffRequest = z.object({
  type: z.literal('request'),
  argv: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  cwd: z.string(),
  tty: z.object({ stdout: z.boolean(), stderr: z.boolean(), stdin: z.boolean() }),
  columns: z.int().positive().optional(),
});
export type HandOffRequest = z.infer<typeof handOffRequest>;

/** The reply to the `prompt` with the same id: the answer, or why the terminal could not give one. */
const handOffAnswer = z.object({
  type: z.literal('answer'),
  id: z.int(),
  answer: z.string().optional(),
  error: z.string().optional(),
});

export const clientFrame = z.discriminatedUnion('type', [handOffRequest, handOffAnswer]);
export type ClientFrame = z.infer<typeof clientFrame>;

export const serverFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('output'), stream: z.enum(['stdout', 'stderr']), data: z.string() }),
  z.object({ type: z.literal('prompt'), id: z.int(), question: z.string() }),
  z.object({ type: z.literal('exit'), code: z.int() }),
]);
export type ServerFrame = z.infer<typeof serverFrame>;

/** Output is cut into frames of at most this many bytes, so no line grows with the size of one write. */
export const outputFrameBytes = 64 * 1024;

/** A longer line is not a frame either side sends; the connection is dropped rather than buffered without bound. */
const maxLineLength = 1024 * 1024;

/**
 * The variables of a client's environment that travel with a hand-off: who the user is, what the terminal is and how
 * they want it written to (colour, time zone), and Backstop's own settings. Everything else (database URLs, cloud
 * credentials, tokens) stays in the client's shell.
 */
export function handOffEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const passed = new Set(['USER', 'LOGNAME', 'HOME', 'TERM', 'COLUMNS', 'NO_COLOR', 'FORCE_COLOR', 'TZ']);
  const subset: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (passed.has(name) || name.startsWith('BACKSTOP_'))) subset[name] = value;
  }
  return subset;
}

/** One frame as the line that carries it. */
export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return `${JSON.stringify(frame)}\n`;
}

/** The frame a line carries, or undefined when the line is not valid JSON of that shape. */
export function decodeFrame<T>(line: string, schema: z.ZodType<T>): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Calls `onLine` with each complete line (without its newline) that arrives on `socket`, in order. Text is decoded as
 * UTF-8 across chunk boundaries. A line over the length limit destroys the socket with a `hand-off-frame-too-large`
 * error.
 */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let partial: string[] = [];
  let partialLength = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      partial.push(chunk.slice(start, newline));
      const line = partial.join('');
      partial = [];
      partialLength = 0;
      start = newline + 1;
      onLine(line);
      if (socket.destroyed) return;
    }
    const rest = chunk.slice(start);
    partialLength += rest.length;
    if (partialLength > maxLineLength) {
      socket.destroy(new BackstopError('hand-off-frame-too-large', `A hand-off frame exceeded ${maxLineLength} chars`));
      return;
    }
    if (rest.length > 0) partial.push(rest);
  });
}

/**
 * Resolves once everything written to `writable` so far has been through its `write` implementation (an empty write
 * queues behind the earlier chunks and completes right after them). Used to keep a prompt or an exit code behind the
 * output written before it.
 */
export function writtenSoFar(writable: Writable): Promise<void> {
  if (writable.writableEnded || writable.destroyed) return Promise.resolve();
  return new Promise((resolve) => writable.write(Buffer.alloc(0), () => resolve()));
}
