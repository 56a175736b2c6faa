/**
 * Runs Backstop and its peers on the same data in one run and prints paired ratios and peak memory; with --record it
 * also adds the table to bench/RESULTS.md with the command that produced it.
 *
 *   node --import tsx bench/generate-data.ts [--scale S]
 *   node --import tsx bench/run.ts [--scale S] [--runs N] [--only db|media|drill] [--record]
 *
 * Peers: `pg_dump -Fc -Z1 | age -r KEY > file` (and -Z6, each beside Backstop at the same compression), `age -d | pg_restore --single-transaction`, `tar -cf - | age -r KEY`,
 * and `restic backup` on a fresh repository (installed with apt-get when missing and allowed). Each pair runs N times,
 * alternating who goes first; the table shows medians. Backstop's time is the operation alone (its process start-up
 * is listed apart); peak memory is the largest resident set of any process of the run (GNU time's %M).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchConfig } from './bench-config.ts';
import { benchPostgres } from './bench-postgres.ts';

const argv = process.argv.slice(2);
const { dataDir, adminUrl, databaseName, runs, scale } = benchConfig(argv);
const work = join(dataDir, 'work');
const repo = join(import.meta.dirname, '..');
const stateDb = 'backstop_bench_state';

interface Measure {
  seconds: number;
  peakMb: number;
  /** Whole-process wall time, where it differs from `seconds` (Backstop: start-up included). */
  wallSeconds?: number;
}

const { urlOf, admin } = benchPostgres(adminUrl);
/** `--only db`, `--only media` or `--only drill`: that part of the run alone (the database part includes the drill). */
const only = ((index) => (index < 0 ? undefined : argv[index + 1]))(argv.indexOf('--only'));
if (only !== undefined && only !== 'db' && only !== 'media' && only !== 'drill')
  throw new Error('--only takes db, media or drill');

/** Runs a command under GNU time; returns wall seconds, peak RSS and stdout. */
function timed(command: string[], env: Record<string, string> = {}): Measure & { stdout: string } {
  const report = join(work, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', report, ...command], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} failed (${run.status}):\n${run.stderr}`);
  const [seconds, kb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, peakMb: kb! / 1024, stdout: run.stdout };
}

function sh(script: string, env: Record<string, string> = {}): Measure {
  return timed(['sh', '-c', script], env);
}

/** The compiled runner (`npm run build`), as Backstop runs in production; the TypeScript one through tsx otherwise. */
const runner = existsSync(join(repo, 'dist', 'bench', 'backstop-run.js'))
  ? ['node', join(repo, 'dist', 'bench', 'backstop-run.js')]
  : ['node', '--import', 'tsx', join(repo, 'bench', 'backstop-run.ts')];

function backstop(args: string[]): Measure & { result: Record<string, unknown> } {
  const run = timed([...runner, ...args]);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  return { seconds: result['seconds'] as number, peakMb: run.peakMb, wallSeconds: run.seconds, result };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Row {
  name: string;
  backstop: Measure[];
  peers: Record<string, Measure[]>;
}

function summarise(row: Row): string[] {
  const b = median(row.backstop.map((m) => m.seconds));
  const bWall = median(row.backstop.map((m) => m.wallSeconds ?? m.seconds));
  const bMem = Math.max(...row.backstop.map((m) => m.peakMb));
  return Object.entries(row.peers).map(([peer, measures]) => {
    const p = median(measures.map((m) => m.seconds));
    const pMem = Math.max(...measures.map((m) => m.peakMb));
    return `| ${row.name} | \`${peer.replaceAll('|', '\\|')}\` | ${b.toFixed(2)} s (${bWall.toFixed(2)} s with start-up) | ${p.toFixed(2)} s | **${(b / p).toFixed(2)}x** | ${bMem.toFixed(0)} MB | ${pMem.toFixed(0)} MB |`;
  });
}

function ensureRestic(): boolean {
  if (spawnSync('restic', ['version']).status === 0) return true;
  if (process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', 'restic'], { stdio: 'ignore' });
  return spawnSync('restic', ['version']).status === 0;
}

async function main(): Promise<void> {
  for (const needed of ['media-large', 'media-small', 'media-huge']) {
    if (!existsSync(join(dataDir, needed)))
      throw new Error(`no ${needed}: run bench/generate-data.ts${scale === 1 ? '' : ` --scale ${scale}`} first`);
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const keyFile = join(work, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
  await admin(`drop database if exists ${stateDb} with (force)`);
  await admin(`create database ${stateDb}`);
  const stateUrl = urlOf(stateDb);
  const store = join(work, 'store');
  const hasRestic = ensureRestic();
  const rows: Row[] = [];

  // Database backup: the same pg_dump at the same compression on both sides, at Backstop's default (gzip:1) and at
  // pg_dump's own default (gzip at level 6). The restores below read the gzip:1 pair.
  let lastBackup = '';
  if (only === undefined || only === 'db') {
    for (const [compression, flag] of [
      ['gzip:1', '-Z1'],
      ['gzip:6', '-Z6'],
    ] as const) {
      const peerName = `pg_dump -Fc ${flag} | age`;
      const row: Row = { name: `database backup, ${compression}`, backstop: [], peers: { [peerName]: [] } };
      const peerFile = join(work, compression === 'gzip:1' ? 'db.dump.age' : 'db-z6.dump.age');
      for (let i = 0; i < runs; i++) {
        const peer = () =>
          row.peers[peerName]!.push(
            sh(`pg_dump -Fc ${flag} '${urlOf(databaseName)}' | age -r ${recipient} > '${peerFile}'`),
          );
        const ours = () => {
          const m = backstop(['backup', stateUrl, store, keyFile, 'db', urlOf(databaseName), compression]);
          if (compression === 'gzip:1') lastBackup = m.result['backupId'] as string;
          row.backstop.push(m);
        };
        for (const step of i % 2 === 0 ? [peer, ours] : [ours, peer]) step();
      }
      rows.push(row);
    }

    // What counting each table's rows in the dump's snapshot costs a backup: Backstop with and without it.
    const countingRow: Row = {
      name: 'database backup, gzip:1, rows counted',
      backstop: [],
      peers: { 'the same without counting rows': [] },
    };
    for (let i = 0; i < runs; i++) {
      const run = (counting: string[]) =>
        backstop(['backup', stateUrl, store, keyFile, 'db', urlOf(databaseName), 'gzip:1', ...counting]);
      const counted = () => countingRow.backstop.push(run([]));
      const uncounted = () => countingRow.peers['the same without counting rows']!.push(run(['uncounted']));
      for (const step of i % 2 === 0 ? [uncounted, counted] : [counted, uncounted]) step();
    }
    rows.push(countingRow);

    // Database restore into a fresh database, from the files just written.
    const restoreRow: Row = {
      name: 'database restore',
      backstop: [],
      peers: { 'age -d | pg_restore --single-transaction': [] },
    };
    for (let i = 0; i < runs; i++) {
      const peer = async () => {
        await admin('drop database if exists backstop_bench_peer with (force)');
        await admin('create database backstop_bench_peer');
        restoreRow.peers['age -d | pg_restore --single-transaction']!.push(
          sh(
            `age -d -i '${keyFile}' '${join(work, 'db.dump.age')}' | pg_restore --single-transaction --no-owner --no-acl -d '${urlOf('backstop_bench_peer')}'`,
          ),
        );
      };
      const ours = async () => {
        await admin('drop database if exists backstop_bench_ours with (force)');
        await admin('create database backstop_bench_ours');
        restoreRow.backstop.push(
          backstop(['restore', stateUrl, store, keyFile, lastBackup, 'db', urlOf('backstop_bench_ours')]),
        );
      };
      if (i % 2 === 0) {
        await peer();
        await ours();
      } else {
        await ours();
        await peer();
      }
    }
    rows.push(restoreRow);
  }

  // A restore drill of the gzip:1 backup: Backstop's (a scratch database on the same server, restored, every table's
  // rows counted against the counts recorded at backup time, dropped) against the same by hand.
  if (only === undefined || only === 'db' || only === 'drill') {
    const peerFile = join(work, 'db.dump.age');
    if (lastBackup === '') {
      sh(`pg_dump -Fc -Z1 '${urlOf(databaseName)}' | age -r ${recipient} > '${peerFile}'`);
      lastBackup = backstop(['backup', stateUrl, store, keyFile, 'db', urlOf(databaseName), 'gzip:1']).result[
        'backupId'
      ] as string;
    }
    const peerName = 'createdb + age -d | pg_restore --single-transaction + count(*) of every table + dropdb';
    const drillRow: Row = { name: 'database restore drill', backstop: [], peers: { [peerName]: [] } };
    const scratch = 'backstop_bench_drill_peer';
    const countAll =
      "psql -qAt -d '" +
      urlOf(scratch) +
      "' -c \"select format('select count(*) from %I.%I;', schemaname, relname) from pg_stat_user_tables\" | psql -qAt -d '" +
      urlOf(scratch) +
      "' > /dev/null";
    for (let i = 0; i < runs; i++) {
      const peer = () =>
        drillRow.peers[peerName]!.push(
          sh(
            `createdb -h 127.0.0.1 -U postgres ${scratch} && age -d -i '${keyFile}' '${peerFile}' | ` +
              `pg_restore --single-transaction --no-owner --no-acl -d '${urlOf(scratch)}' && ${countAll} && ` +
              `dropdb -h 127.0.0.1 -U postgres ${scratch}`,
          ),
        );
      const ours = () => {
        const measure = backstop(['drill', stateUrl, store, keyFile, lastBackup, 'db', urlOf(databaseName)]);
        if (measure.result['status'] !== 'succeeded') throw new Error(`the drill failed: ${measure.result['error']}`);
        drillRow.backstop.push(measure);
      };
      for (const step of i % 2 === 0 ? [peer, ours] : [ours, peer]) step();
    }
    rows.push(drillRow);
  }

  // Media backups of the three trees.
  for (const tree of only === 'db' || only === 'drill' ? [] : ['media-large', 'media-small', 'media-huge']) {
    const dir = join(dataDir, tree);
    const row: Row = { name: `${tree} backup`, backstop: [], peers: { 'tar -cf - | age': [] } };
    if (hasRestic) row.peers['restic backup (fresh repo)'] = [];
    for (let i = 0; i < runs; i++) {
      const tarAge = () =>
        row.peers['tar -cf - | age']!.push(
          sh(`tar -cf - -C '${dir}' . | age -r ${recipient} > '${join(work, 'media.tar.age')}'`),
        );
      const ours = () => row.backstop.push(backstop(['backup', stateUrl, store, keyFile, 'media', dir]));
      const restic = () => {
        if (!hasRestic) return;
        const resticRepo = join(work, 'restic');
        rmSync(resticRepo, { recursive: true, force: true });
        execFileSync('restic', ['-r', resticRepo, 'init', '-q'], { env: { ...process.env, RESTIC_PASSWORD: 'bench' } });
        row.peers['restic backup (fresh repo)']!.push(
          sh(`restic -r '${resticRepo}' backup -q '${dir}'`, { RESTIC_PASSWORD: 'bench' }),
        );
      };
      const order = i % 2 === 0 ? [tarAge, ours, restic] : [ours, tarAge, restic];
      for (const step of order) step();
    }
    rows.push(row);
  }

  const command = `node --import tsx bench/run.ts${scale === 1 ? '' : ` --scale ${scale}`} --runs ${runs}${only === undefined ? '' : ` --only ${only}`}`;
  const table = [
    '| what | peer | Backstop | peer | Backstop / peer | Backstop peak memory | peer peak memory |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.flatMap(summarise),
  ];
  const section = [
    `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Command: \`${command}\` (data: \`node --import tsx bench/generate-data.ts${scale === 1 ? '' : ` --scale ${scale}`}\`), ` +
      `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, directory store, warm cache, medians of ${runs} runs.`,
    '',
    ...table,
    '',
  ].join('\n');
  console.log(section);
  if (argv.includes('--record')) appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `\n${section}`);
  await admin(`drop database if exists ${stateDb} with (force)`);
  await admin('drop database if exists backstop_bench_peer with (force)');
  await admin('drop database if exists backstop_bench_ours with (force)');
}

await main();
