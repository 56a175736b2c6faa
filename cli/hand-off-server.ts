import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { BackstopError } from '../src/domain/backstop-error.ts';
import {
  clientFrame,
  decodeFrame,
  encodeFrame,
  type HandOffRequest,
  handOffEnvironment,
  outputFrameBytes,
  readLines,
  type ServerFrame,
  writtenSoFar,
} from './hand-off-protocol.ts';

/**
 * Runs one handed-off command: `argv` as typed, `io` standing for the client's terminal, `signal` aborted when the
 * client goes away (the runner stops following the operation; the operation itself may go on). Resolves to the exit
 * code.
 */
export type HandOffRunner = (argv: string[], io: CliIo, signal: AbortSignal) => Promise<number>;

/**
 * Listens on a Unix socket at `socketPath` (mode 0600, so only this user can hand commands over) and runs each
 * connection's request with `run`, forwarding its output and prompts to the client and sending its exit code (1, with
 * the message on stderr, if `run` throws). A socket file left by a process that died is replaced; a server already
 * listening there is refused with a `hand-off-in-use` error, and a path that is not a socket with `hand-off-path-taken`.
 * `close()` stops listening, ends open connections (aborting their runners' signals) and removes the socket file.
 * `log` receives one line per connection problem.
 */
export async function listenForHandOff(
  socketPath: string,
  run: HandOffRunner,
  log: (line: string) => void = () => {},
): Promise<{ close(): Promise<void> }> {
  await removeStaleSocket(socketPath);
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveConnection(socket, run, log);
  });
  await listenPrivately(server, socketPath);
  server.on('error', (error) => log(`hand-off server error: ${error.message}`));
  return {
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
      // The listening handle unlinks its socket file on close; removing it again keeps the contract explicit.
      rmSync(socketPath, { force: true });
    },
  };
}

/** Clears the way for listening: nothing there, or a socket nobody answers on (its server died), is fine. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    const message = `${socketPath} exists and is not a socket; Backstop will not replace it.`;
    throw new BackstopError('hand-off-path-taken', message, { userMessage: message });
  }
  if (await someoneListens(socketPath)) {
    const message = `Another Backstop server is already listening on ${socketPath}.`;
    throw new BackstopError('hand-off-in-use', message, { userMessage: message });
  }
  rmSync(socketPath, { force: true });
}

/** True when a connection to `socketPath` is accepted; false when it is refused (nobody listens on the file). */
function someoneListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(new BackstopError('hand-off-probe-failed', `Could not check ${socketPath}: ${error.message}`));
    });
  });
}

/**
 * Listens with the socket file created as 0600. Binding happens synchronously inside `listen`, so a umask set around
 * that call covers the file's creation; the chmod afterwards covers worker threads, which may not change the umask.
 */
function listenPrivately(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Another Backstop server is already listening on ${socketPath}.`
          : `Backstop could not listen on ${socketPath}: ${error.message}`;
      const code = error.code === 'EADDRINUSE' ? 'hand-off-in-use' : 'hand-off-listen-failed';
      reject(new BackstopError(code, message, { userMessage: message, cause: error }));
    });
    server.once('listening', () => {
      server.removeAllListeners('error');
      try {
        chmodSync(socketPath, 0o600);
        resolve();
      } catch (error) {
        server.close();
        reject(error);
      }
    });
    let previousUmask: number | undefined;
    try {
      previousUmask = process.umask(0o177);
    } catch {
      // Worker threads cannot change the umask; the chmod once listening still applies.
    }
    try {
      server.listen(socketPath);
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
  });
}

/** Reads the connection's request, runs it with `run`, and answers with its output, prompts and exit code. */
function serveConnection(socket: Socket, run: HandOffRunner, log: (line: string) => void): void {
  const aborter = new AbortController();
  const prompts = new Map<number, { resolve: (answer: string) => void; reject: (error: Error) => void }>();
  let requested = false;
  let running = false;

  const send = (frame: ServerFrame): boolean => (socket.writable ? socket.write(encodeFrame(frame)) : true);

  socket.on('error', (error) => log(`hand-off connection error: ${error.message}`));
  socket.once('close', () => {
    if (running) aborter.abort(disconnected());
    for (const waiting of prompts.values()) waiting.reject(disconnected());
    prompts.clear();
  });

  const execute = async (request: HandOffRequest): Promise<void> => {
    const stdout = forwardingWritable('stdout', request.tty.stdout, request.columns);
    const stderr = forwardingWritable('stderr', request.tty.stderr, request.columns);
    let nextPromptId = 1;
    const prompt = async (question: string): Promise<string> => {
      // A question must not overtake the output written before it (which may still wait for the socket to drain).
      await Promise.all([writtenSoFar(stdout), writtenSoFar(stderr)]);
      return new Promise((resolve, reject) => {
        if (!socket.writable) {
          reject(disconnected());
          return;
        }
        const id = nextPromptId++;
        prompts.set(id, { resolve, reject });
        send({ type: 'prompt', id, question });
      });
    };
    const io: CliIo = {
      stdout,
      stderr,
      stdin: Object.assign(emptyStdin(), { isTTY: request.tty.stdin }),
      env: handOffEnvironment(request.env),
      cwd: request.cwd,
      prompt,
    };
    running = true;
    let code: number;
    let failure: string | undefined;
    try {
      const returned = await run(request.argv, io, aborter.signal);
      code = Number.isInteger(returned) ? returned : exitCodes.failed;
    } catch (error) {
      code = exitCodes.failed;
      failure =
        error instanceof BackstopError && error.userMessage !== undefined
          ? error.userMessage
          : error instanceof Error
            ? error.message
            : String(error);
      log(`handed-off command ${JSON.stringify(request.argv)} failed: ${failure}`);
    }
    running = false;
    await Promise.all([flushed(stdout), flushed(stderr)]);
    if (failure !== undefined) sendOutput('stderr', Buffer.from(`backstop: ${failure}\n`));
    send({ type: 'exit', code });
    socket.end();
  };

  /** Sends bytes as output frames; true when the socket took them without needing to drain. */
  const sendOutput = (stream: 'stdout' | 'stderr', bytes: Buffer): boolean => {
    let taken = true;
    for (let offset = 0; offset < bytes.length; offset += outputFrameBytes) {
      const data = bytes.subarray(offset, offset + outputFrameBytes).toString('base64');
      taken = send({ type: 'output', stream, data });
    }
    return taken;
  };

  const forwardingWritable = (stream: 'stdout' | 'stderr', isTTY: boolean, columns: number | undefined) => {
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        // Output for a terminal that went away is dropped; the runner learns of it through its signal.
        if (sendOutput(stream, chunk) || !socket.writable) callback();
        else whenDrainedOrClosed(socket, () => callback());
      },
    });
    // A runner writing after it returned must not take the server down with an unhandled stream error.
    writable.on('error', (error) => log(`handed-off ${stream} error: ${error.message}`));
    return Object.assign(writable, { isTTY }, columns === undefined ? {} : { columns });
  };

  readLines(socket, (line) => {
    const frame = decodeFrame(line, clientFrame);
    const expected = requested ? frame?.type === 'answer' : frame?.type === 'request';
    if (frame === undefined || !expected) {
      log('hand-off connection sent an unexpected frame; closing it');
      if (!requested) {
        sendOutput('stderr', Buffer.from('backstop: the running server could not read this command\n'));
        send({ type: 'exit', code: exitCodes.usage });
      }
      socket.end();
      return;
    }
    if (frame.type === 'request') {
      requested = true;
      execute(frame).catch((error: Error) => {
        log(`hand-off connection failed: ${error.message}`);
        socket.destroy();
      });
      return;
    }
    const waiting = prompts.get(frame.id);
    if (waiting === undefined) return;
    prompts.delete(frame.id);
    if (frame.error !== undefined) {
      waiting.reject(new BackstopError('hand-off-prompt-failed', frame.error, { userMessage: frame.error }));
    } else {
      waiting.resolve(frame.answer ?? '');
    }
  });
}

/** Why a runner's signal aborted or its prompt failed: the client that handed the command over is gone. */
function disconnected(): BackstopError {
  return new BackstopError('hand-off-disconnected', 'The terminal that handed off this command disconnected', {
    userMessage: 'The terminal that ran this command went away.',
  });
}

/** The command's stdin: input is not forwarded, so it ends at once (its `isTTY` still says what the client has). */
function emptyStdin(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

/** Calls `done` once the socket drains or closes, whichever comes first. */
function whenDrainedOrClosed(socket: Socket, done: () => void): void {
  const once = () => {
    socket.off('drain', once);
    socket.off('close', once);
    done();
  };
  socket.on('drain', once);
  socket.on('close', once);
}

/** Ends `writable` (unless the runner did) and waits until its last chunk reached the socket. */
async function flushed(writable: Writable): Promise<void> {
  if (!writable.writableEnded) writable.end();
  await finished(writable).catch(() => {});
}
