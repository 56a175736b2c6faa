/**
 * What a person meets first, measured on the real `backstop` command (bin/backstop.js, the build): start-up, the
 * first command on a fresh embedded state, `backstop list` over 30 backups beside `restic snapshots` over 30
 * snapshots, and the resident memory of an idle `backstop serve` after 30 s; each with the embedded state and with a
 * PostgreSQL state. Pairs run alternately, the peer first in even rounds; medians of N rounds.
 *
 *   npm run build && node --import tsx bench/footprint-bench.ts [--runs N] [--record]
 *
 * Wall time and peak memory come from GNU time (%e, %M) around the whole process, as a person waits for it.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { benchConfig } from './bench-config.ts';
import { benchPostgres } from './bench-postgres.ts';

const argv = process.argv.slice(2);
const { dataDir, adminUrl, runs } = benchConfig(argv);
const repo = join(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'backstop.js');
const work = join(dataDir, 'footprint');
const sourceDb = 'backstop_footprint_shop';
const stateDb = 'backstop_footprint_state';
const LIST_BACKUPS = 30;
const IDLE_SECONDS = 30;

interface Measure {
  seconds: number;
  peakMb: number;
}

const { urlOf, admin } = benchPostgres(adminUrl);

function timed(command: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Measure {
  const report = join(work, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', report, ...command], {
    cwd: options.cwd ?? work,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} failed (${run.status}):\n${run.stderr}`);
  const [seconds, kb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, peakMb: kb! / 1024 };
}

function backstop(args: string[], cwd: string, env: Record<string, string> = {}): Measure {
  return timed(['node', bin, ...args], { cwd, env });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (m: Measure[]) =>
  `${median(m.map((x) => x.seconds)).toFixed(2)} s, ${median(m.map((x) => x.peakMb)).toFixed(0)} MB`;

/** A directory with a config for shop/live; `postgres` adds a shared state (and the keys it requires). */
function makeSite(name: string, postgres: boolean, port = 18_480): { dir: string; env: Record<string, string> } {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'keys'), { recursive: true });
  let encryption = '';
  if (postgres) {
    execFileSync('age-keygen', ['-o', join(dir, 'keys', 'backstop.key')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'keys', 'backstop.key')], { encoding: 'utf8' });
    encryption = `encryption:\n  recipients: [${recipient.trim()}]\n  identities: [./keys/backstop.key]\n`;
  }
  writeFileSync(
    join(dir, 'backstop.yaml'),
    `${encryption}http: { port: ${port} }\napps:\n  shop:\n    environments:\n      live:\n        database: ${urlOf(sourceDb)}\n`,
  );
  return { dir, env: postgres ? { DATABASE_URL: urlOf(stateDb) } : {} };
}

/** The resident memory of `backstop serve` after IDLE_SECONDS of doing nothing. */
async function idleServe(site: { dir: string; env: Record<string, string> }): Promise<number> {
  const child = spawn('node', [bin, 'serve'], {
    cwd: site.dir,
    env: { ...process.env, ...site.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const running = new Promise<void>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Backstop is running')) resolve();
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
  });
  await running;
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  const stopped = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await stopped;
  return rssKb / 1024;
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await admin(`drop database if exists ${sourceDb} with (force)`);
  await admin(`create database ${sourceDb}`);
  const source = new pg.Client({ connectionString: urlOf(sourceDb) });
  await source.connect();
  await source.query(
    `create table orders (id serial primary key, customer text, total numeric, placed timestamptz);
     insert into orders (customer, total, placed)
     select md5(g::text), g % 1000, now() - g * interval '1 minute' from generate_series(1, 20000) g`,
  );
  await source.end();
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };

  // Start-up.
  const version: Measure[] = [];
  const bare: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timed(['node', '-e', '']));
    version.push(backstop(['version'], work));
  }
  say(`| \`backstop version\` | ${fmt(version)} | bare \`node -e ''\`: ${fmt(bare)} |`);

  // The first command on a fresh embedded state, beside the same dump piped to age.
  const first: Measure[] = [];
  const firstPeer: Measure[] = [];
  const recipientKey = join(work, 'peer.key');
  execFileSync('age-keygen', ['-o', recipientKey], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', recipientKey], { encoding: 'utf8' }).trim();
  for (let i = 0; i < runs; i++) {
    const ours = () => {
      const site = makeSite('first', false);
      first.push(backstop(['create', 'db', 'shop/live'], site.dir));
    };
    const peer = () =>
      firstPeer.push(
        timed(['sh', '-c', `pg_dump -Fc -Z1 '${urlOf(sourceDb)}' | age -r ${recipient} > '${join(work, 'p.age')}'`]),
      );
    for (const step of i % 2 === 0 ? [peer, ours] : [ours, peer]) step();
  }
  say(
    `| first command on a fresh embedded state (\`create db\`, 20,000-row database) | ${fmt(first)} | ` +
      `\`pg_dump -Fc -Z1 \\| age\`: ${fmt(firstPeer)} (${ratio(first, firstPeer)}) |`,
  );

  // restic snapshots over 30 snapshots.
  const resticRepo = join(work, 'restic');
  const resticEnv = { RESTIC_PASSWORD: 'bench' };
  execFileSync('restic', ['-r', resticRepo, 'init', '-q'], { env: { ...process.env, ...resticEnv } });
  mkdirSync(join(work, 'restic-data'));
  for (let i = 0; i < LIST_BACKUPS; i++) {
    writeFileSync(join(work, 'restic-data', 'file'), `snapshot ${i}\n`);
    execFileSync('restic', ['-r', resticRepo, 'backup', '-q', join(work, 'restic-data')], {
      env: { ...process.env, ...resticEnv },
    });
  }

  await admin(`drop database if exists ${stateDb} with (force)`);
  await admin(`create database ${stateDb}`);
  const idle: string[] = [];
  for (const postgres of [false, true]) {
    const name = postgres ? 'PostgreSQL state' : 'embedded state';
    const site = makeSite(postgres ? 'shared' : 'embedded', postgres, postgres ? 18_481 : 18_480);
    for (let i = 0; i < LIST_BACKUPS; i++) backstop(['create', 'db', 'shop/live'], site.dir, site.env);
    const list: Measure[] = [];
    const snapshots: Measure[] = [];
    for (let i = 0; i < runs; i++) {
      const ours = () => list.push(backstop(['list'], site.dir, site.env));
      const peer = () => snapshots.push(timed(['restic', '-r', resticRepo, 'snapshots', '-q'], { env: resticEnv }));
      for (const step of i % 2 === 0 ? [peer, ours] : [ours, peer]) step();
    }
    say(
      `| \`backstop list\`, ${LIST_BACKUPS} backups, ${name} | ${fmt(list)} | \`restic snapshots\` over ` +
        `${LIST_BACKUPS}: ${fmt(snapshots)} (${ratio(list, snapshots)}) |`,
    );
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) rss.push(await idleServe(site));
    idle.push(`| idle \`backstop serve\` after ${IDLE_SECONDS} s, ${name} | ${median(rss).toFixed(0)} MB RSS | |`);
  }
  for (const line of idle) say(line);

  if (argv.includes('--record')) {
    const command = `node --import tsx bench/footprint-bench.ts --runs ${runs}`;
    const head = `\n## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: footprint (issue 13)\n\n`;
    const machine = `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
    appendFileSync(
      join(repo, 'bench', 'RESULTS.md'),
      `${head}Command: \`${command}\` (${machine}); medians of ${runs}.\n\n| what | Backstop | peer (Backstop / peer) |\n| --- | --- | --- |\n${lines.join('\n')}\n`,
    );
  }
}

function ratio(ours: Measure[], peer: Measure[]): string {
  return `${(median(ours.map((m) => m.seconds)) / median(peer.map((m) => m.seconds))).toFixed(2)}x`;
}

await main();
