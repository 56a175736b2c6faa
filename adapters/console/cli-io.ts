import type { Readable, Writable } from 'node:stream';

/** The process around the CLI, passed in so tests run the CLI in-process with their own streams and environment. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Asks a question on the terminal and resolves to the answer (only called when stdin is a TTY). */
  prompt: (question: string) => Promise<string>;
  /** With --progress json: writes one progress line at once, while the result waits for the end (JsonLinesOutput). */
  progressEvents?: (event: { type: string } & Record<string, unknown>) => void;
}

export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;
