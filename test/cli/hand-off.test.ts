import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { expect, onTestFinished, test } from 'vitest';
import type { CliIo } from '../../adapters/console/cli-io.ts';
import { handOff } from '../../cli/hand-off-client.ts';
import { decodeFrame, encodeFrame, readLines, type ServerFrame, serverFrame } from '../../cli/hand-off-protocol.ts';
import { type HandOffRunner, listenForHandOff } from '../../cli/hand-off-server.ts';
import { BackstopError } from '../../src/domain/backstop-error.ts';

/** A fresh directory for one test's socket, removed when the test ends. */
function socketDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-hand-off-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A hand-off server running `run` on a fresh socket, closed when the test ends. */
async function startServer(run: HandOffRunner): Promise<{ socketPath: string; close(): Promise<void> }> {
  const socketPath = join(socketDir(), 'backstop.sock');
  const server = await listenForHandOff(socketPath, run);
  onTestFinished(() => server.close());
  return { socketPath, close: () => server.close() };
}

/**
 * A client terminal that records the bytes it is given: slowly by default, so the client has to follow its pace, or
 * at once (`immediate`), so what it recorded is everything written to it so far.
 */
function terminal(
  options: {
    tty?: { stdout: boolean; stderr: boolean; stdin: boolean };
    columns?: number;
    env?: CliIo['env'];
    immediate?: boolean;
  } = {},
  answer: (question: string) => Promise<string> = async () => '',
) {
  const tty = options.tty ?? { stdout: false, stderr: false, stdin: false };
  const sink = (isTTY: boolean) => {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        if (options.immediate) callback();
        else setImmediate(callback);
      },
    });
    return { stream: Object.assign(stream, { isTTY }, options.columns ? { columns: options.columns } : {}), chunks };
  };
  const out = sink(tty.stdout);
  const err = sink(tty.stderr);
  const prompts: string[] = [];
  const io: CliIo = {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Object.assign(new PassThrough(), { isTTY: tty.stdin }),
    env: options.env ?? {},
    cwd: '/srv/app',
    prompt: (question) => {
      prompts.push(question);
      return answer(question);
    },
  };
  return { io, prompts, stdout: () => Buffer.concat(out.chunks), stderr: () => Buffer.concat(err.chunks) };
}

/** A promise with its resolve function outside, for runners that report what they saw. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

test('stdout and stderr bytes arrive exactly and separately, including non-ASCII and 1 MiB of binary output', async () => {
  const large = randomBytes(1024 * 1024);
  const archive = Buffer.from('🗄 archive\n');
  const { socketPath } = await startServer(async (_argv, io) => {
    io.stdout.write('Grüße aus Zürich, 日本語 ✓\n');
    io.stderr.write('Warnung: Speicher fast voll ⚠\n');
    // A four-byte character split across two writes must still arrive whole.
    io.stdout.write(archive.subarray(0, 2));
    io.stdout.write(archive.subarray(2));
    io.stdout.write(large);
    // Written while the socket is still draining the large write: must arrive before the exit code all the same.
    io.stdout.write('the end\n');
    io.stderr.write('done\n');
    return 0;
  });
  const client = terminal();

  expect(await handOff(socketPath, ['list'], client.io)).toBe(0);

  const expected = Buffer.concat([
    Buffer.from('Grüße aus Zürich, 日本語 ✓\n'),
    archive,
    large,
    Buffer.from('the end\n'),
  ]);
  expect(client.stdout().equals(expected)).toBe(true);
  expect(client.stderr().toString('utf8')).toBe('Warnung: Speicher fast voll ⚠\ndone\n');
});

test('exit codes 0, 1 and 2 pass through', async () => {
  const { socketPath } = await startServer(async (argv) => Number(argv[0]));

  const codes = [];
  for (const code of [0, 1, 2]) codes.push(await handOff(socketPath, [String(code)], terminal().io));

  expect(codes).toEqual([0, 1, 2]);
});

test('argv, terminal, cwd and only the safe part of the environment arrive as the client sent them', async () => {
  const seen = deferred<unknown>();
  const { socketPath } = await startServer(async (argv, io) => {
    const stdinText: string[] = [];
    for await (const chunk of io.stdin) stdinText.push(String(chunk));
    seen.resolve({
      argv,
      tty: { stdout: io.stdout.isTTY, stderr: io.stderr.isTTY, stdin: io.stdin.isTTY },
      columns: (io.stdout as { columns?: number }).columns,
      env: io.env,
      cwd: io.cwd,
      stdin: stdinText.join(''),
    });
    return 0;
  });
  const env = {
    USER: 'anna',
    LOGNAME: 'anna',
    HOME: '/home/anna',
    TERM: 'xterm-256color',
    COLUMNS: '97',
    NO_COLOR: '1',
    TZ: 'Europe/Zurich',
    BACKSTOP_CONFIG: '/etc/backstop.yaml',
    DATABASE_URL: 'postgres://anna:secret@db/app',
    AWS_SECRET_ACCESS_KEY: 'not-for-the-server',
    PATH: '/usr/bin',
  };
  const client = terminal({ tty: { stdout: true, stderr: false, stdin: true }, columns: 97, env });

  expect(await handOff(socketPath, ['restore', 'prod', '--at', 'größte'], client.io)).toBe(0);

  expect(await seen.promise).toEqual({
    argv: ['restore', 'prod', '--at', 'größte'],
    tty: { stdout: true, stderr: false, stdin: true },
    columns: 97,
    env: {
      USER: 'anna',
      LOGNAME: 'anna',
      HOME: '/home/anna',
      TERM: 'xterm-256color',
      COLUMNS: '97',
      NO_COLOR: '1',
      TZ: 'Europe/Zurich',
      BACKSTOP_CONFIG: '/etc/backstop.yaml',
    },
    cwd: '/srv/app',
    stdin: '',
  });
});

test('the client itself sends only the safe part of the environment', async () => {
  const socketPath = join(socketDir(), 'backstop.sock');
  const sent = deferred<unknown>();
  const listener = createServer((socket) =>
    readLines(socket, (line) => {
      sent.resolve(JSON.parse(line).env);
      socket.end(encodeFrame({ type: 'exit', code: 0 }));
    }),
  );
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
  onTestFinished(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  const env = {
    HOME: '/home/anna',
    BACKSTOP_DATA_DIR: '/var/lib/backstop',
    DATABASE_URL: 'postgres://db',
    PATH: '/bin',
  };

  expect(await handOff(socketPath, ['list'], terminal({ env }).io)).toBe(0);

  expect(await sent.promise).toEqual({ HOME: '/home/anna', BACKSTOP_DATA_DIR: '/var/lib/backstop' });
});

test("a prompt round-trips to the client's io.prompt, after the output written before it, and its answer reaches the runner", async () => {
  const { socketPath } = await startServer(async (_argv, io) => {
    // Enough output before the question that the socket has to drain while the last line still waits its turn.
    io.stderr.write(`${'plan: replace table\n'.repeat(20_000)}`);
    io.stderr.write('This replaces the database of prod.\n');
    const answer = await io.prompt('Type the target name to confirm: ');
    io.stdout.write(`confirmed: ${answer}\n`);
    return answer === 'prod' ? 0 : 1;
  });
  let stderrWhenAsked = '';
  const client = terminal({ tty: { stdout: true, stderr: true, stdin: true }, immediate: true }, async () => {
    stderrWhenAsked = client.stderr().toString();
    return 'prod';
  });

  expect(await handOff(socketPath, ['restore', 'prod'], client.io)).toBe(0);

  expect(client.prompts).toEqual(['Type the target name to confirm: ']);
  expect(stderrWhenAsked).toBe(`${'plan: replace table\n'.repeat(20_000)}This replaces the database of prod.\n`);
  expect(client.stdout().toString()).toBe('confirmed: prod\n');
});

test("a client's failing prompt rejects the runner's prompt with its message", async () => {
  const { socketPath } = await startServer(async (_argv, io) => {
    await io.prompt('Continue? ');
    return 0;
  });
  const client = terminal({}, async () => {
    throw new Error('the terminal closed');
  });

  expect(await handOff(socketPath, ['delete', 'prod'], client.io)).toBe(1);

  expect(client.stderr().toString()).toBe('backstop: the terminal closed\n');
});

test('a runner that throws gives exit code 1 and its message on the client stderr', async () => {
  const { socketPath } = await startServer(async (argv, io) => {
    io.stdout.write('starting\n');
    if (argv[0] === 'known')
      throw new BackstopError('unknown-target', 'no target nope', { userMessage: 'No target nope.' });
    throw new Error('the catalogue is on fire');
  });
  const plain = terminal();
  const known = terminal();

  expect(await handOff(socketPath, ['plain'], plain.io)).toBe(1);
  expect(await handOff(socketPath, ['known'], known.io)).toBe(1);

  expect([plain.stdout().toString(), plain.stderr().toString()]).toEqual([
    'starting\n',
    'backstop: the catalogue is on fire\n',
  ]);
  expect(known.stderr().toString()).toBe('backstop: No target nope.\n');
});

test("a client that disconnects aborts the runner's signal and its pending prompt, and the server keeps serving", async () => {
  const outcome = deferred<{ prompt: unknown; aborted: unknown }>();
  const { socketPath } = await startServer(async (argv, io, signal) => {
    if (argv[0] === 'version') return 0;
    const aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.aborted)));
    const prompt = io.prompt('Follow the backup? ').then(
      () => 'answered',
      (error: BackstopError) => error.code,
    );
    outcome.resolve({ prompt: await prompt, aborted: await aborted });
    io.stdout.write('still following\n');
    return 0;
  });
  const raw = connect(socketPath);
  const frames: ServerFrame[] = [];
  readLines(raw, (line) => {
    frames.push(decodeFrame(line, serverFrame)!);
    if (frames.at(-1)?.type === 'prompt') raw.destroy();
  });
  raw.write(
    encodeFrame({
      type: 'request',
      argv: ['backup', 'prod', '--follow'],
      env: {},
      cwd: '/',
      tty: { stdout: true, stderr: true, stdin: true },
    }),
  );

  expect(await outcome.promise).toEqual({ prompt: 'hand-off-disconnected', aborted: true });
  expect(frames).toEqual([{ type: 'prompt', id: 1, question: 'Follow the backup? ' }]);
  expect(await handOff(socketPath, ['version'], terminal().io)).toBe(0);
});

test('a request the server cannot read is answered with exit code 2', async () => {
  const { socketPath } = await startServer(async () => 0);
  const raw = connect(socketPath);
  const frames: ServerFrame[] = [];
  const closed = new Promise((resolve) => raw.once('close', resolve));
  readLines(raw, (line) => frames.push(decodeFrame(line, serverFrame)!));

  raw.write('{"type":"request","argv":"not a list"}\n');
  await closed;

  expect(frames.at(-1)).toEqual({ type: 'exit', code: 2 });
});

test('connecting where no server listens rejects with hand-off-unavailable', async () => {
  const socketPath = join(socketDir(), 'backstop.sock');

  await expect(handOff(socketPath, ['list'], terminal().io)).rejects.toMatchObject({
    name: 'BackstopError',
    code: 'hand-off-unavailable',
  });
});

test('a socket file left by a server that died is replaced', async () => {
  const socketPath = join(socketDir(), 'backstop.sock');
  const dead = spawn(process.execPath, [
    '-e',
    "require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))",
    socketPath,
  ]);
  await new Promise((resolve) => dead.stdout.once('data', resolve));
  const exited = new Promise((resolve) => dead.once('exit', resolve));
  dead.kill('SIGKILL');
  await exited;
  expect(lstatSync(socketPath).isSocket()).toBe(true);
  await expect(handOff(socketPath, ['list'], terminal().io)).rejects.toMatchObject({ code: 'hand-off-unavailable' });

  const server = await listenForHandOff(socketPath, async () => 0);
  onTestFinished(() => server.close());

  expect(await handOff(socketPath, ['list'], terminal().io)).toBe(0);
});

test('a second server on a live socket is refused and the first keeps serving', async () => {
  const { socketPath } = await startServer(async () => 0);

  await expect(listenForHandOff(socketPath, async () => 2)).rejects.toMatchObject({
    code: 'hand-off-in-use',
    userMessage: `Another Backstop server is already listening on ${socketPath}.`,
  });
  expect(await handOff(socketPath, ['list'], terminal().io)).toBe(0);
});

test('a path that is not a socket is not replaced', async () => {
  const socketPath = join(socketDir(), 'backstop.sock');
  writeFileSync(socketPath, 'notes\n');

  await expect(listenForHandOff(socketPath, async () => 0)).rejects.toMatchObject({ code: 'hand-off-path-taken' });
  expect(lstatSync(socketPath).isFile()).toBe(true);
});

test('the socket file is only accessible to its owner (mode 0600)', async () => {
  const { socketPath } = await startServer(async () => 0);

  const stats = lstatSync(socketPath);
  expect(stats.isSocket()).toBe(true);
  expect((stats.mode & 0o777).toString(8)).toBe('600');
});

test('close() ends open connections (the client sees hand-off-broken, the runner its signal) and removes the socket', async () => {
  const aborted = deferred<boolean>();
  const running = deferred<void>();
  const { socketPath, close } = await startServer(
    (_argv, _io, signal) =>
      new Promise<number>(() => {
        signal.addEventListener('abort', () => aborted.resolve(signal.aborted));
        running.resolve();
      }),
  );
  const client = handOff(socketPath, ['backup', 'prod', '--follow'], terminal().io);
  await running.promise;

  await close();

  await expect(client).rejects.toMatchObject({
    code: 'hand-off-broken',
    userMessage: 'The Backstop server went away before the command finished.',
  });
  expect(await aborted.promise).toBe(true);
  expect(existsSync(socketPath)).toBe(false);
  await expect(handOff(socketPath, ['list'], terminal().io)).rejects.toMatchObject({ code: 'hand-off-unavailable' });
});
