import { connect, type Socket } from 'node:net';
import type { CliIo } from '../adapters/console/cli-io.ts';
import { BackstopError } from '../src/domain/backstop-error.ts';
import {
  decodeFrame,
  encodeFrame,
  handOffEnvironment,
  readLines,
  serverFrame,
  writtenSoFar,
} from './hand-off-protocol.ts';

/**
 * Hands `argv` to the Backstop server listening on `socketPath` and runs it there as if in this terminal: the server's
 * output is written to `io.stdout` / `io.stderr` byte for byte, its questions are answered with `io.prompt`, and the
 * promise resolves to the command's exit code once that output has been through both streams. Only a safe subset of `io.env` is sent (see `handOffEnvironment`).
 * Rejects with a `hand-off-unavailable` BackstopError when no server listens there (no socket file, or nobody
 * accepting on it), `hand-off-failed` when connecting fails otherwise, and `hand-off-broken` when the server closes
 * the connection before sending an exit code.
 */
export async function handOff(socketPath: string, argv: string[], io: CliIo): Promise<number> {
  const socket = await connectTo(socketPath);
  return new Promise((resolve, reject) => {
    let exitCode: number | undefined;
    let failure: Error | undefined;
    let paused = false;
    const send = (frame: Parameters<typeof encodeFrame>[0]) => {
      if (socket.writable) socket.write(encodeFrame(frame));
    };

    socket.on('error', (error) => {
      failure = error;
    });
    socket.once('close', () => {
      if (exitCode !== undefined) return;
      const message = 'The Backstop server went away before the command finished.';
      const detail = failure ? `${message} (${failure.message})` : message;
      reject(new BackstopError('hand-off-broken', detail, { userMessage: message, cause: failure }));
    });

    readLines(socket, (line) => {
      const frame = decodeFrame(line, serverFrame);
      if (frame === undefined) {
        socket.destroy(new Error('the server sent a frame Backstop does not understand'));
        return;
      }
      switch (frame.type) {
        case 'output': {
          const target = frame.stream === 'stdout' ? io.stdout : io.stderr;
          // Follow the terminal's pace: stop reading while it is behind, so the server's writes wait too.
          if (!target.write(Buffer.from(frame.data, 'base64')) && !paused) {
            paused = true;
            socket.pause();
            target.once('drain', () => {
              paused = false;
              socket.resume();
            });
          }
          return;
        }
        case 'prompt':
          io.prompt(frame.question).then(
            (answer) => send({ type: 'answer', id: frame.id, answer }),
            (error: unknown) =>
              send({ type: 'answer', id: frame.id, error: error instanceof Error ? error.message : String(error) }),
          );
          return;
        case 'exit': {
          const code = frame.code;
          exitCode = code;
          socket.end();
          // The caller may exit the process at once: let the terminal take the last output first.
          Promise.all([writtenSoFar(io.stdout), writtenSoFar(io.stderr)]).then(() => resolve(code));
          return;
        }
      }
    });

    const columns = (io.stdout as { columns?: number }).columns;
    send({
      type: 'request',
      argv,
      env: handOffEnvironment(io.env),
      cwd: io.cwd,
      tty: { stdout: io.stdout.isTTY === true, stderr: io.stderr.isTTY === true, stdin: io.stdin.isTTY === true },
      ...(Number.isInteger(columns) && columns! > 0 && { columns }),
    });
  });
}

/** Connects to `socketPath`; a missing socket file or a refused connection means no server is there to take over. */
function connectTo(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(
          new BackstopError('hand-off-unavailable', `No Backstop server accepts commands on ${socketPath}`, {
            userMessage: 'No running Backstop server accepts commands here.',
            cause: error,
          }),
        );
      } else {
        const message = `Backstop could not reach the running server at ${socketPath}: ${error.message}`;
        reject(new BackstopError('hand-off-failed', message, { userMessage: message, cause: error }));
      }
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}
