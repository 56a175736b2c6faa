/**
 * Slack acknowledgement latency under a burst: N concurrent, correctly signed `/backup create media live "bench <n>"`
 * slash commands against a real `backstop serve`, and the same N signed POSTs against two bare peers that only check
 * the signature: a plain `node:http` server (the floor for a signed acknowledgement on this machine) and an express
 * app (what Backstop answered Slack with before its HTTP front).
 *
 *   node --import tsx bench/slack-ack-bench.ts [--commands N]
 *
 * Backstop: `node bin/backstop.js serve --config <temp file>` with BACKSTOP_FROM_SOURCE=1 (the current sources through
 * tsx), which answers Slack on its HTTP front (a worker thread with a plain `node:http` server that checks the
 * signature, answers an empty 200 and hands the parsed body to Bolt on the main thread), its state in a fresh
 * PostgreSQL database (created here on BACKSTOP_BENCH_PG_URL's server, default
 * postgres://postgres@127.0.0.1:5432/postgres, and dropped at the end), one app `shop` with environment `live` whose
 * media is a tiny temp directory (schedule off), everyone operator, channel C0BENCH bound to it, 2 workers, and
 * `chat.slack.apiUrl` pointing at a fake of Slack's Web API (a worker thread of this process, so its answers do not
 * share the event loop that times the acknowledgements). Each command comes from its own user id with a unique note.
 * Latency is the time from issuing a request to the end of its response (an empty 200), one fresh connection each, all
 * N issued in one tick; signatures are computed before the clock starts.
 *
 * Peers: child processes running this file with `--bare-server node` and `--bare-server express` (`--bare-server`
 * alone is express). Both read the raw body of a POST to /slack/events (node:http by collecting its chunks, express
 * with `express.raw()`), make the same checks as Backstop's front and Bolt (the `v0=` HMAC-SHA256 signature over
 * `v0:<timestamp>:<body>`, compared with timingSafeEqual, and a timestamp at most 5 minutes old), then answer an empty
 * 200. The node:http peer does no more than Backstop's front has to before it answers, so it is the floor for a signed
 * acknowledgement on this machine; the express peer shows what express alone costs. Each is measured alone with the
 * same burst (node:http first, then express), and stopped before the next starts; both before Backstop starts.
 *
 * Then it waits until every backup has ended and checks (thrown errors): exactly N on-demand backups, one per note,
 * each asked for by the user who sent that note, completed, with exactly one backup operation, succeeded on the first
 * attempt; N audit rows with outcome ok; and on the fake Slack, N "Working on" messages and, for every backup, an edit
 * saying it completed. Reports how long the backups took (first created_at to last completed_at) and the serve
 * process's peak RSS (VmHWM, after the burst and at the end). The serve process, the database and the temp
 * directories are removed even on failure or Ctrl-C.
 *
 * To explain slow acknowledgements it also prints: the median latency by tenth of the burst (in the order issued, for
 * Backstop and both peers); how much of the commands' background work (Web API calls on the fake, backups recorded)
 * had happened before the last acknowledgement; the serve main thread's time on a CPU and waiting for one during the
 * burst (/proc/<pid>/task/<pid>/schedstat) and the whole process's CPU time; when the client's last connection was
 * established, in each burst; and the load average before each burst. BACKSTOP_BENCH_SERVE_NODE_ARGS adds node flags
 * to the serve process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), for diagnosis only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import express from 'express';
import pg from 'pg';

const argv = process.argv.slice(2);
const repo = join(import.meta.dirname, '..');

// ---------------------------------------------------------------------------------------------------------------
// The peers: a bare node:http server and a bare express app that verify Slack's signature and answer an empty 200,
// nothing else.

type PeerKind = 'node' | 'express';

const peerNames: Record<PeerKind, string> = { node: 'bare node:http', express: 'bare express' };

/** `--bare-server node` or `--bare-server express`; `--bare-server` alone is express (as before the node:http peer). */
function peerKind(): PeerKind {
  const value = argv[argv.indexOf('--bare-server') + 1];
  if (value === undefined || value.startsWith('--') || value === 'express') return 'express';
  if (value === 'node') return 'node';
  throw new Error(`--bare-server takes node or express, not ${value}`);
}

/** Slack's checks, as Backstop's front makes them: a timestamp at most 5 minutes old and the `v0=` HMAC-SHA256. */
function signedBySlack(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): boolean {
  const timestamp = Number(headers['x-slack-request-timestamp']);
  const signature = headers['x-slack-signature'];
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300 || typeof signature !== 'string') {
    return false;
  }
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function bareServer(kind: PeerKind): void {
  const secret = process.env['BENCH_SLACK_SIGNING_SECRET'];
  if (!secret) throw new Error('BENCH_SLACK_SIGNING_SECRET is not set');
  let server: Server;
  const ready = () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  };
  if (kind === 'node') {
    server = createHttpServer((request, response) => {
      if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://x').pathname !== '/slack/events') {
        request.resume();
        response.writeHead(404, { 'content-length': '0' }).end();
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.once('end', () => {
        const status = signedBySlack(request.headers, Buffer.concat(chunks), secret) ? 200 : 401;
        response.writeHead(status, { 'content-length': '0' }).end();
      });
      request.once('error', () => response.destroy());
    });
    server.listen(0, '127.0.0.1', ready);
  } else {
    const app = express();
    app.post('/slack/events', express.raw({ type: '*/*' }), (request, response) => {
      const body: Buffer = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      response.status(signedBySlack(request.headers, body, secret) ? 200 : 401).end();
    });
    server = app.listen(0, '127.0.0.1', ready);
  }
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------------------------
// Options and clean-up.

function option(name: string, fallback: string): number {
  const index = argv.indexOf(name);
  const value = Number(index >= 0 ? argv[index + 1] : fallback);
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`${name} takes a positive integer`);
  return value;
}

const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`clean-up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/** Stops a child with SIGTERM (SIGKILL after `graceMs`); resolves to its exit code, or the signal that ended it. */
async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return String(child.exitCode ?? child.signalCode);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code === null ? String(signal) : String(code))),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const how = await exited;
  clearTimeout(timer);
  return how;
}

// ---------------------------------------------------------------------------------------------------------------
// A fake of Slack's Web API in a worker thread: chat.postMessage, chat.update, chat.postEphemeral, users.info,
// conversations.open and response URLs all answer ok. Asked with 'report', it sends the calls per method and the
// text of every chat.update.

const fakeSlackSource = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const counts = {};
const updates = [];
const at = {};
let nextTs = 1700000000000100;
const newTs = () => { const n = nextTs++; return Math.floor(n / 1e6) + '.' + String(n % 1e6).padStart(6, '0'); };
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(request.url || '/', 'http://x').pathname;
    const method = path.startsWith('/api/') ? path.slice(5) : 'response-url';
    const type = request.headers['content-type'] || '';
    const body = raw === '' ? {} : type.startsWith('application/json') ? JSON.parse(raw)
      : Object.fromEntries(new URLSearchParams(raw));
    counts[method] = (counts[method] || 0) + 1;
    (at[method] = at[method] || []).push(Date.now());
    let answer;
    switch (method) {
      case 'chat.postMessage': answer = { ok: true, channel: body.channel, ts: newTs() }; break;
      case 'chat.update':
        updates.push(String(body.text));
        answer = { ok: true, channel: body.channel, ts: body.ts, text: body.text };
        break;
      case 'chat.postEphemeral': answer = { ok: true, message_ts: newTs() }; break;
      case 'conversations.open': answer = { ok: true, channel: { id: 'D' + String(body.users).slice(1) } }; break;
      case 'users.info': answer = { ok: true, user: { id: body.user, profile: {} } }; break;
      default: answer = method === 'response-url' ? { ok: true } : { ok: false, error: 'unknown_method' };
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'report') parentPort.postMessage({ counts, updates, at });
  if (message === 'close') { server.close(); server.closeAllConnections(); parentPort.close(); }
});
`;

interface FakeReport {
  counts: Record<string, number>;
  updates: string[];
  /** When each call arrived (Date.now()), by method. */
  at: Record<string, number[]>;
}

class FakeSlack {
  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeSlack> {
    const worker = new Worker(fakeSlackSource, { eval: true });
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    return new FakeSlack(worker, port);
  }

  report(): Promise<FakeReport> {
    return new Promise((resolve) => {
      this.worker.once('message', resolve);
      this.worker.postMessage('report');
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The burst: N signed slash commands, all issued in one tick, each on its own connection.

interface Signed {
  body: string;
  headers: Record<string, string>;
}

function signedCommands(count: number, secret: string, responseBase: string): Signed[] {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const body = new URLSearchParams({
      token: 'bench-verification-token',
      team_id: 'T0BENCH',
      team_domain: 'bench',
      channel_id: 'C0BENCH',
      channel_name: 'bench',
      user_id: userOf(n),
      user_name: `bench${n}`,
      command: '/backup',
      text: `create media live "bench ${n}"`,
      response_url: `${responseBase}/response/${n}`,
      trigger_id: `${n}.${timestamp}.bench`,
      api_app_id: 'A0BENCH',
    }).toString();
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    return {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature,
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        connection: 'close',
      },
    };
  });
}

function userOf(n: number): string {
  return `U0BENCH${String(n).padStart(5, '0')}`;
}

interface Burst {
  /** Per request, in the order issued: ms to the end of the response, and its status (0 for a network error). */
  ms: number[];
  statuses: number[];
  /** From the first request issued to the last response ended. */
  wallMs: number;
  /** Date.now() when the last response ended. */
  lastAckAt: number;
  /** From the first request issued to the last connection established (the TCP handshake done). */
  lastConnectedMs: number;
}

async function burst(port: number, commands: readonly Signed[]): Promise<Burst> {
  const ms: number[] = new Array(commands.length).fill(0);
  const statuses: number[] = new Array(commands.length).fill(0);
  let lastConnected = 0;
  const start = performance.now();
  await Promise.all(
    commands.map(
      (command, i) =>
        new Promise<void>((resolve) => {
          const t0 = performance.now();
          const done = (status: number) => {
            ms[i] = performance.now() - t0;
            statuses[i] = status;
            resolve();
          };
          const request = httpRequest(
            { host: '127.0.0.1', port, path: '/slack/events', method: 'POST', headers: command.headers, agent: false },
            (response) => {
              response.resume();
              response.once('end', () => done(response.statusCode ?? 0));
              response.once('error', () => done(0));
            },
          );
          request.once('error', () => done(0));
          request.once('socket', (socket) =>
            socket.once('connect', () => {
              lastConnected = Math.max(lastConnected, performance.now());
            }),
          );
          request.end(command.body);
        }),
    ),
  );
  return {
    ms,
    statuses,
    wallMs: performance.now() - start,
    lastAckAt: Date.now(),
    lastConnectedMs: lastConnected - start,
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

interface Summary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  non200: number;
  wallMs: number;
  lastConnectedMs: number;
}

/** A peer's burst: what it measured, its peak RSS (MB) and the 1-minute load average before it. */
interface Peer {
  result: Burst;
  summary: Summary;
  rssMb: number;
  load: number;
}

function summarise(result: Burst): Summary {
  const sorted = [...result.ms].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    min: sorted[0]!,
    non200: result.statuses.filter((s) => s !== 200).length,
    wallMs: result.wallMs,
    lastConnectedMs: result.lastConnectedMs,
  };
}

/** Latency by position in the burst (tenths), to see whether late requests wait for early commands' work. */
function byDecile(result: Burst): string {
  const size = Math.ceil(result.ms.length / 10);
  const parts: string[] = [];
  for (let i = 0; i < result.ms.length; i += size) {
    const slice = result.ms.slice(i, i + size).sort((a, b) => a - b);
    parts.push(percentile(slice, 50).toFixed(0));
  }
  return parts.join(' / ');
}

// ---------------------------------------------------------------------------------------------------------------
// Processes.

/** Starts a child and resolves once `ready` matches what it wrote (stdout or stderr); its output goes to `logFile`. */
async function startChild(
  command: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  ready: RegExp,
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command[0]!, command.slice(1), { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  let seen = '';
  let found: RegExpExecArray | null = null;
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command.join(' ')} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (found) return;
      seen += chunk.toString('utf8');
      found = ready.exec(seen);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')} exited (${code ?? signal}) before it was ready:\n${seen.slice(-3000)}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, match };
}

/** A thread's time on a CPU and waiting for one (ms), from /proc/<pid>/task/<tid>/schedstat. */
function schedstat(pid: number, tid = pid): { runMs: number; waitMs: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
}

/** The CPU time of a whole process, all threads (ms), from /proc/<pid>/stat. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The peak resident set (VmHWM) of a process so far, in MB. */
function peakRssMb(pid: number): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmHWM for ${pid}`);
  return Number(line[1]) / 1024;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const count = option('--commands', '200');
  const adminUrl = process.env['BACKSTOP_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const secret = randomBytes(16).toString('hex');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    await run(count, adminUrl, secret);
  } finally {
    await cleanUp();
  }
}

async function run(count: number, adminUrl: string, secret: string): Promise<void> {
  console.log(
    `# ${count} concurrent signed slash commands; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const work = mkdtempSync(join(tmpdir(), 'backstop-slack-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));

  const fake = await FakeSlack.start();
  cleanups.push(() => fake.close());
  const fakeUrl = `http://127.0.0.1:${fake.port}`;
  const commands = () => signedCommands(count, secret, fakeUrl);

  // The peers first, each alone on the machine: started, measured with the same burst, and stopped.
  const measurePeer = async (kind: PeerKind): Promise<Peer> => {
    const bare = await startChild(
      [process.execPath, '--import', 'tsx', join(import.meta.dirname, 'slack-ack-bench.ts'), '--bare-server', kind],
      { ...process.env, BENCH_SLACK_SIGNING_SECRET: secret },
      join(work, `bare-${kind}.log`),
      /\{"port":(\d+)\}/,
    );
    cleanups.push(async () => void (await stopChild(bare.child)));
    const load = loadavg()[0]!;
    const result = await burst(Number(bare.match[1]), commands());
    const rssMb = peakRssMb(bare.child.pid!);
    await stopChild(bare.child);
    const summary = summarise(result);
    console.error(`${peerNames[kind]}: ${JSON.stringify(summary)}; median by tenth of the burst ${byDecile(result)}`);
    return { result, summary, rssMb, load };
  };
  const bareNode = await measurePeer('node');
  const bareExpress = await measurePeer('express');

  // A fresh database for Backstop's state, shared with this process to count rows.
  const dbName = `backstop_slack_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  cleanups.push(() => admin.end());
  await admin.query(`create database ${dbName}`);
  cleanups.push(async () => void (await admin.query(`drop database if exists ${dbName} with (force)`)));
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;

  const media = join(work, 'media');
  mkdirSync(join(media, 'img'), { recursive: true });
  writeFileSync(join(media, 'index.html'), '<p>shop</p>\n');
  writeFileSync(join(media, 'img', 'logo.bin'), randomBytes(4096));
  writeFileSync(join(media, 'robots.txt'), 'User-agent: *\n');
  const port = await freePort();
  const config = {
    dataDir: join(work, 'data'),
    http: { port },
    chat: { slack: { signingSecret: secret, botToken: 'xoxb-test', apiUrl: `${fakeUrl}/api/` } },
    apps: {
      shop: {
        access: { viewer: ['*'], operator: ['*'] },
        channels: ['slack:C0BENCH'],
        environments: { live: { media, schedule: 'off' } },
      },
    },
    workers: { concurrency: 2 },
  };
  const configFile = join(work, 'backstop.yaml');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const serveLog = join(work, 'serve.log');
  // For diagnosis only, e.g. BACKSTOP_BENCH_SERVE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (not in the results).
  const serveNodeArgs = (process.env['BACKSTOP_BENCH_SERVE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const serve = await startChild(
    [process.execPath, ...serveNodeArgs, join(repo, 'bin', 'backstop.js'), 'serve', '--config', configFile],
    {
      ...process.env,
      BACKSTOP_FROM_SOURCE: '1',
      DATABASE_URL: dbUrl.toString(),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    serveLog,
    /Backstop is running/,
  );
  cleanups.push(async () => void (await stopChild(serve.child)));
  const pid = serve.child.pid!;
  const idleRssMb = peakRssMb(pid);

  const state = new pg.Client({ connectionString: dbUrl.toString() });
  await state.connect();
  cleanups.push(() => state.end());

  const loadBefore = loadavg()[0]!;
  const mainBefore = schedstat(pid);
  const cpuBefore = processCpuMs(pid);
  const ours = await burst(port, commands());
  const mainAfter = schedstat(pid);
  const cpuDuring = processCpuMs(pid) - cpuBefore;
  const oursSummary = summarise(ours);
  const burstRssMb = peakRssMb(pid);
  // What Backstop's background work had already done when it sent its last acknowledgement.
  const early = await fake.report();
  const callsBeforeLastAck = Object.entries(early.at)
    .map(([method, times]) => `${times.filter((t) => t <= ours.lastAckAt).length} ${method}`)
    .join(', ');
  const { rows: createdEarly } = await state.query<{ n: number }>(
    'select count(*)::int as n from backups where created_at <= $1',
    [new Date(ours.lastAckAt)],
  );
  console.error(`Backstop: ${JSON.stringify(oursSummary)}; median by tenth of the burst ${byDecile(ours)}`);

  // Wait until every backup has ended: N on-demand backups, all ended, and no backup operation left to run.
  const t0 = Date.now();
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const { rows } = await state.query<{ total: number; ended: number; open: number }>(
      `select (select count(*) from backups where trigger = 'on-demand')::int as total,
              (select count(*) from backups where trigger = 'on-demand' and status in ('completed', 'failed'))::int as ended,
              (select count(*) from operations where status in ('queued', 'running'))::int as open`,
    );
    const { total, ended, open } = rows[0]!;
    if (total >= count && ended === total && open === 0) break;
    const now = `${total} ${ended} ${open}`;
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 60_000) {
      throw new Error(`no progress for 60 s: ${total} backups, ${ended} ended, ${open} operations open (${serveLog})`);
    }
    if (Date.now() - t0 > 600_000) throw new Error(`backups not done after 10 minutes: ${now}`);
    await sleep(250);
  }
  const observedMs = Date.now() - t0;

  // Checks.
  const problems: string[] = [];
  const { rows: backups } = await state.query<{
    id: string;
    note: string | null;
    status: string;
    requested_by: string | null;
    operations: number;
    succeeded: number;
    first_attempt: number;
  }>(
    `select b.id, b.note, b.status, b.requested_by,
            count(o.id)::int as operations,
            count(o.id) filter (where o.status = 'succeeded')::int as succeeded,
            count(o.id) filter (where o.attempts = 1)::int as first_attempt
     from backups b left join operations o on o.subject_id = b.id and o.kind = 'backup'
     where b.trigger = 'on-demand'
     group by b.id`,
  );
  if (backups.length !== count) problems.push(`${backups.length} on-demand backups, not ${count}`);
  const notes = new Map<string, number>();
  for (const b of backups) notes.set(b.note ?? '', (notes.get(b.note ?? '') ?? 0) + 1);
  for (let n = 1; n <= count; n++) {
    const times = notes.get(`bench ${n}`) ?? 0;
    if (times !== 1) problems.push(`note "bench ${n}": ${times} backups`);
  }
  for (const b of backups) {
    const n = Number(/^bench (\d+)$/.exec(b.note ?? '')?.[1]);
    if (b.requested_by !== `slack:${userOf(n)}`) problems.push(`${b.id} ("${b.note}") asked by ${b.requested_by}`);
    if (b.status !== 'completed') problems.push(`${b.id} is ${b.status}`);
    if (b.operations !== 1 || b.succeeded !== 1 || b.first_attempt !== 1)
      problems.push(`${b.id}: ${b.operations} operations, ${b.succeeded} succeeded, ${b.first_attempt} first attempt`);
  }
  const { rows: opsByKind } = await state.query<{ kind: string; status: string; n: number }>(
    `select kind, status, count(*)::int as n from operations group by kind, status order by kind, status`,
  );
  const backupOps = opsByKind.filter((r) => r.kind === 'backup').reduce((sum, r) => sum + r.n, 0);
  if (backupOps !== count) problems.push(`${backupOps} backup operations, not ${count}`);
  const { rows: timing } = await state.query<{ seconds: number; per_backup_ms: number; first_wait_ms: number }>(
    `select extract(epoch from max(completed_at) - min(created_at))::float8 as seconds,
            (extract(epoch from avg(completed_at - started_at)) * 1000)::float8 as per_backup_ms,
            (extract(epoch from min(started_at) - min(created_at)) * 1000)::float8 as first_wait_ms
     from backups where trigger = 'on-demand'`,
  );

  // The chat side ends a little after the backups: the follower's poll, the reply, the audit row, the last edit.
  let audit = { ok: 0, other: 0 };
  let report: FakeReport = { counts: {}, updates: [], at: {} };
  let missingEdits: string[] = [];
  const chatDeadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await state.query<{ ok: number; other: number }>(
      `select count(*) filter (where outcome = 'ok')::int as ok, count(*) filter (where outcome <> 'ok')::int as other
       from audit_log where action like 'create media live%'`,
    );
    audit = rows[0]!;
    report = await fake.report();
    const completed = report.updates.filter((text) => text.includes('completed'));
    missingEdits = backups.filter((b) => !completed.some((text) => text.includes(b.id))).map((b) => b.id);
    if ((audit.ok + audit.other >= count && missingEdits.length === 0) || Date.now() > chatDeadline) break;
    await sleep(250);
  }
  if (audit.ok !== count || audit.other !== 0) problems.push(`audit log: ${audit.ok} ok, ${audit.other} other`);
  if ((report.counts['chat.postMessage'] ?? 0) !== count)
    problems.push(`${report.counts['chat.postMessage'] ?? 0} "Working on" messages posted, not ${count}`);
  if (missingEdits.length > 0) problems.push(`${missingEdits.length} backups never shown as completed in Slack`);
  const endRssMb = peakRssMb(pid);
  const serveLines = readFileSync(serveLog, 'utf8').split('\n');
  const complaints = serveLines.filter((line) => /fail|error|could not/i.test(line));
  const exit = await stopChild(serve.child);
  if (exit !== '0') problems.push(`backstop serve exited with ${exit}`);
  if (problems.length > 0) {
    throw new Error(
      `checks failed:\n- ${problems.slice(0, 20).join('\n- ')}${problems.length > 20 ? `\n- ... ${problems.length - 20} more` : ''}` +
        `\nserve log (last lines):\n${serveLines.slice(-30).join('\n')}`,
    );
  }

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const ratio = (peer: Peer) => `**${(oursSummary.p99 / peer.summary.p99).toFixed(1)}x**`;
  const t = timing[0]!;
  console.log(
    '\n| server | p50 | p90 | p99 | max | min | non-200 | burst (first sent to last ack) | peak RSS (VmHWM) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, s, rss] of [
    [
      '`backstop serve` (HTTP front thread, Bolt behind it, PostgreSQL state)',
      oursSummary,
      `${burstRssMb.toFixed(0)} MB after the burst (${idleRssMb.toFixed(0)} MB idle, ${endRssMb.toFixed(0)} MB at the end)`,
    ],
    ['bare `node:http`, signature check only', bareNode.summary, `${bareNode.rssMb.toFixed(0)} MB`],
    ['bare express, signature check only', bareExpress.summary, `${bareExpress.rssMb.toFixed(0)} MB`],
  ] as const) {
    console.log(
      `| ${name} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} | ${ms(s.min)} | ${s.non200} | ${ms(s.wallMs)} | ${rss} |`,
    );
  }
  console.log(
    `\np99 Backstop / bare node:http: ${ratio(bareNode)}; / bare express: ${ratio(bareExpress)}; ` +
      `goal p99 < 300 ms: ${oursSummary.p99 < 300 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `median ack by tenth of the burst (ms): Backstop ${byDecile(ours)}; bare node:http ${byDecile(bareNode.result)}; ` +
      `bare express ${byDecile(bareExpress.result)}`,
  );
  console.log(
    `before its last acknowledgement Backstop had already made ${callsBeforeLastAck || 'no'} Web API calls and ` +
      `recorded ${createdEarly[0]!.n} backups with their operations`,
  );
  console.log(
    `during the Backstop burst (${ms(ours.wallMs)}), serve's main thread ran ${ms(mainAfter.runMs - mainBefore.runMs)} ` +
      `and waited ${ms(mainAfter.waitMs - mainBefore.waitMs)} for a CPU; the whole serve process (all threads) used ` +
      `${cpuDuring.toFixed(0)} ms of CPU`,
  );
  console.log(
    `every connection was established ${ms(oursSummary.lastConnectedMs)} after the first request was issued ` +
      `(Backstop burst; ${ms(bareNode.summary.lastConnectedMs)} in the bare node:http one, ` +
      `${ms(bareExpress.summary.lastConnectedMs)} in the bare express one)`,
  );
  console.log(
    `load average (1 min) before the Backstop burst: ${loadBefore.toFixed(1)}; before the bare node:http burst: ` +
      `${bareNode.load.toFixed(1)}; before the bare express burst: ${bareExpress.load.toFixed(1)}`,
  );
  console.log(
    `backups: ${backups.length} on-demand, one per note, each with one backup operation, all succeeded on the first ` +
      `attempt; ${audit.ok} audit rows ok; Slack: ${JSON.stringify(report.counts)}`,
  );
  console.log(
    `${count} backups done in ${t.seconds.toFixed(1)} s (first created to last completed; ${(count / t.seconds).toFixed(1)} ` +
      `backups/s, ${t.per_backup_ms.toFixed(0)} ms each from start to completion, the first started ` +
      `${t.first_wait_ms.toFixed(0)} ms after the first was created; seen done ${(observedMs / 1000).toFixed(1)} s after the last ack)`,
  );
  console.log(`operations: ${opsByKind.map((r) => `${r.kind} ${r.status} ${r.n}`).join(', ')}`);
  console.log(`serve log: ${serveLines.length} lines, ${complaints.length} mentioning fail/error/could not`);
  for (const line of complaints.slice(0, 5)) console.log(`  ${line.slice(0, 240)}`);
}

// Last, so that every module-level binding above is initialised first.
if (argv.includes('--bare-server')) {
  bareServer(peerKind());
} else {
  await main();
}
