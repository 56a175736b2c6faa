import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { generateIdentity } from '../../src/crypto/index.ts';
import { type Host, TestNetwork } from './network.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'backstop.js');
const pgBin = '/usr/lib/postgresql/15/bin';

export interface FleetOptions {
  leaseSeconds: number;
  /** Bytes of media in shop/live's media directory (four files). */
  mediaBytes: number;
  /** shop/live's schedule, as the config writes it (default: off). */
  schedule?: string;
  /** More lines of shop/live's settings, indented as they are (e.g. `        protected: true`). */
  liveConfig?: string[];
  /** More lines of app shop's settings, after its environments, indented as they are (e.g. `    access:`). */
  shopConfig?: string[];
  /** More lines of the config, after the apps (e.g. webhooks:). */
  extraConfig?: string[];
}

/** A Backstop process (or a peer) running on one of the hosts. */
export interface HostProcess {
  readonly name: string;
  readonly child: ChildProcess;
  stderr(): string;
  stdout(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Backstop's fleet on hosts of its own: a state host running a PostgreSQL cluster this test starts (initdb into a
 * temporary folder, listening on that host's address; it also holds the application's database), a storage host
 * running s3rver, and as many `serve` / `worker` hosts as a test adds. Every Backstop process reads one config: the
 * shared state, an S3 bucket on the storage host, one age key, leases of `leaseSeconds`.
 */
export class Fleet {
  readonly processes: HostProcess[] = [];
  private readonly work = mkdtempSync(join(tmpdir(), 'backstop-fleet-'));
  readonly mediaDir = join(this.work, 'media');
  readonly configPath = join(this.work, 'backstop.yaml');
  readonly bucket = 'fleet';
  stateUrl = '';
  appUrl = '';
  s3!: S3Client;
  state!: Host;
  storage!: Host;
  private db!: pg.Pool;

  private constructor(readonly network: TestNetwork) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    if (process.getuid?.() !== 0) throw new Error('the fleet tests make network namespaces: run them as root');
    const fleet = new Fleet(await TestNetwork.create());
    try {
      await fleet.setUp(options);
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  private async setUp(options: FleetOptions): Promise<void> {
    this.state = await this.network.addHost('state');
    this.storage = await this.network.addHost('storage');
    await this.startPostgres();
    await this.startS3rver();
    mkdirSync(this.mediaDir);
    const files = 4;
    for (let i = 0; i < files; i++) {
      writeFileSync(join(this.mediaDir, `upload-${i}.bin`), randomBytes(Math.ceil(options.mediaBytes / files)));
    }
    const keyFile = join(this.work, 'backstop.key');
    writeFileSync(keyFile, `${generateIdentity().identity}\n`, { mode: 0o600 });
    writeFileSync(
      this.configPath,
      [
        `dataDir: \${BACKSTOP_FLEET_DATA}`,
        `database: ${this.stateUrl}`,
        'storage:',
        '  s3:',
        `    bucket: ${this.bucket}`,
        `    endpoint: http://${this.storage.address}:4568`,
        '    forcePathStyle: true',
        '    accessKeyId: S3RVER',
        '    secretAccessKey: S3RVER',
        '    storageClass: STANDARD',
        '    timeouts: { connect: 2s, idle: 5s }',
        `encryption: { identities: [${keyFile}] }`,
        `workers: { concurrency: 1, leaseSeconds: ${options.leaseSeconds}, maxAttempts: 5 }`,
        `http: { host: "\${BACKSTOP_FLEET_HOST}", port: 8080 }`,
        'apps:',
        '  shop:',
        '    environments:',
        '      live:',
        `        database: ${this.appUrl}`,
        `        media: ${this.mediaDir}`,
        `        schedule: ${options.schedule ?? 'off'}`,
        ...(options.liveConfig ?? []),
        ...(options.shopConfig ?? []),
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
  }

  private async startPostgres(): Promise<void> {
    chmodSync(this.work, 0o755); // the cluster runs as the postgres user, below this folder
    const data = join(this.work, 'pg');
    mkdirSync(data);
    const pgUser = await run('id', ['-u', 'postgres']);
    const pgGroup = await run('id', ['-g', 'postgres']);
    chownSync(data, Number(pgUser.stdout), Number(pgGroup.stdout));
    await run('runuser', [
      '-u',
      'postgres',
      '--',
      join(pgBin, 'initdb'),
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    await appendFile(join(data, 'pg_hba.conf'), 'host all all 10.77.0.0/24 trust\n');
    this.spawnOn(this.state, 'postgres', 'runuser', [
      '-u',
      'postgres',
      '--',
      join(pgBin, 'postgres'),
      '-D',
      data,
      '-c',
      `listen_addresses=${this.state.address}`,
      '-c',
      'port=5432',
      '-c',
      `unix_socket_directories=${data}`,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
    const admin = `postgres://postgres@${this.state.address}:5432/postgres`;
    for (let i = 0; ; i++) {
      const ready = await run(join(pgBin, 'pg_isready'), ['-d', admin]).then(
        () => true,
        () => false,
      );
      if (ready) break;
      if (i > 100) throw new Error('the state host PostgreSQL did not start');
      await delay(100);
    }
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query('create database backstop');
    await client.query('create database shop');
    await client.end();
    this.stateUrl = `postgres://postgres@${this.state.address}:5432/backstop`;
    this.appUrl = `postgres://postgres@${this.state.address}:5432/shop`;
    const app = new pg.Client({ connectionString: this.appUrl });
    await app.connect();
    await app.query("create table orders (id int primary key, item text); insert into orders values (1, 'tea')");
    await app.end();
    this.db = new pg.Pool({ connectionString: this.stateUrl, max: 2 });
  }

  private async startS3rver(): Promise<void> {
    const directory = join(this.work, 's3rver');
    mkdirSync(directory);
    const s3rver = this.spawnOn(this.storage, 's3rver', process.execPath, [
      '--openssl-legacy-provider',
      join(repo, 'test', 'support', 's3rver-process.mjs'),
      directory,
      this.storage.address,
      '4568',
    ]);
    await new Promise<string>((resolve, reject) => {
      createInterface({ input: s3rver.child.stdout! }).once('line', resolve);
      s3rver.exit.then(() => reject(new Error(`s3rver ended: ${s3rver.stderr()}`)));
    });
    this.s3 = new S3Client({
      endpoint: `http://${this.storage.address}:4568`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
  }

  /** Adds a host for Backstop processes. */
  addHost(name: string): Promise<Host> {
    return this.network.addHost(name);
  }

  /** Starts `backstop <role>` on `host`; resolves once it says it runs. */
  async startBackstop(host: Host, role: 'serve' | 'worker'): Promise<HostProcess> {
    const started = this.spawnOn(
      host,
      `${role}@${host.name}`,
      process.execPath,
      [bin, role, '--config', this.configPath],
      {
        BACKSTOP_FLEET_DATA: join(this.work, `data-${host.name}`),
        BACKSTOP_FLEET_HOST: host.address,
      },
    );
    const deadline = Date.now() + 30_000;
    while (!/is running/.test(started.stderr())) {
      if (started.child.exitCode !== null) throw new Error(`${started.name} ended: ${started.stderr()}`);
      if (Date.now() > deadline) throw new Error(`${started.name} did not start: ${started.stderr()}`);
      await delay(50);
    }
    return started;
  }

  /** Runs a `backstop` command from the test host (which reaches every host). */
  async backstop(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args, '--config', this.configPath], {
        env: this.env({ BACKSTOP_FLEET_DATA: join(this.work, 'data-test'), BACKSTOP_FLEET_HOST: '127.0.0.1' }),
        cwd: this.work,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  /** A query on the shared state. */
  async query<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.db.query(text, values)).rows as T[];
  }

  /** Every key in the bucket under `prefix`, sorted. */
  async keys(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) found.push(object.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return found.sort();
  }

  /** Polls `probe` until it returns something other than undefined. */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(100);
    }
  }

  /** Ends a process (SIGTERM, then SIGKILL after 10 s) and waits for it. */
  async end(started: HostProcess): Promise<void> {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGTERM');
    const ended = await Promise.race([started.exit, delay(10_000).then(() => undefined)]);
    if (ended === undefined) {
      started.child.kill('SIGKILL');
      await started.exit;
    }
  }

  /** What every process wrote on stderr, for a failed test's report. */
  report(): string {
    return this.processes.map((p) => `----- ${p.name} -----\n${p.stderr()}`).join('\n');
  }

  async stop(): Promise<void> {
    await this.db?.end().catch(() => {});
    this.s3?.destroy();
    await this.network.destroy();
    await Promise.all(this.processes.map((p) => p.exit));
    rmSync(this.work, { recursive: true, force: true });
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...extra,
    };
    delete env['BACKSTOP_CONFIG'];
    delete env['DATABASE_URL'];
    return env;
  }

  private spawnOn(
    host: Host,
    name: string,
    command: string,
    args: string[],
    extra: Record<string, string> = {},
  ): HostProcess {
    const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], {
      cwd: this.work,
      env: this.env(extra),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        err.push(`spawn failed: ${String(error)}\n`);
        resolve({ code: null, signal: null });
      });
    });
    const started: HostProcess = { name, child, stderr: () => err.join(''), stdout: () => out.join(''), exit };
    this.processes.push(started);
    return started;
  }
}

/**
 * The fleet of a test file: started before its tests (3 s leases, 160 MB of media to back up) and stopped after them.
 * The object returned stands for it from then on.
 */
export function useFleet(options: Partial<FleetOptions> = {}): Fleet {
  let started: Fleet | undefined;
  beforeAll(async () => {
    started = await Fleet.start({ leaseSeconds: 3, mediaBytes: 160 * 1024 * 1024, ...options });
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
  }, 60_000);
  // A failed trial prints what every process of the fleet said.
  beforeEach((context) => {
    context.onTestFailed(() => {
      process.stderr.write(`\n${started?.report() ?? ''}\n`);
    });
  });
  return new Proxy({} as Fleet, {
    get(_target, name) {
      if (started === undefined) throw new Error('the fleet is used before it started (outside a test)');
      const value = Reflect.get(started, name, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/** A media directory whose files are all at its top level (the fleet's), as file name -> sha256. */
export function mediaTree(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
  );
}
