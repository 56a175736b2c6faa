/**
 * Capacity: N targets sharing one cron minute, fired by several instances at once on one PostgreSQL state; then the
 * queue's claim rate on that queue against bare SKIP LOCKED loops, in the same processes and the same database.
 *
 *   npm run build && node --import tsx bench/capacity-bench.ts [--targets N] [--instances I] [--claims K]
 *     [--rounds R] [--lead S] [--history D]
 *
 * Defaults: 10,000 targets, 3 instances, K = min(N, 5000) claims per measurement, 3 rounds, a lead that grows with N,
 * no history (--history D: D x N finished operations ahead of the queued ones, in both tables, as the queue keeps
 * finished operations for 30 days).
 *
 * Set-up: a fresh database (created and dropped, as the other benches do), migrated; one config file with N targets
 * (apps of 10 environments, each `schedule: { cron: "M H * * *", timezone: UTC, parts: db }`, all the same minute),
 * a shared key and a directory store. Each instance is its own process (bench/capacity-instance.ts, compiled when
 * dist/ is up to date): the state, the engine, the HTTP app and the Scheduler on node-schedule, composed as
 * `backstop serve` composes them. Nothing fakes the time: the minute is the first whole minute at least `--lead`
 * seconds after the instances are started (they must be ready before it, else the run stops and says so), because
 * the firing of N cron jobs by node-schedule at one instant is part of what is measured; the wait is idle time.
 *
 * Measured:
 * - start-up of each instance (config, engine, the scheduler's catch-up over every target, N cron timers);
 * - the burst: from the slot's minute until the last scheduled backup's operation was recorded (its created_at, set
 *   by the code that inserted it), when node-schedule handed over the first and the last firing in each instance, and
 *   when each instance's last firing ended; the goal is every slot queued within 60 s;
 * - exactly once, from the state: one backup per target for the slot, no (app, env, slot) twice, no other slot, one
 *   operation per backup, and the instances' created counts summing to N;
 * - memory per instance (resident set sampled every 20 ms inside it): peak while starting, idle (ready until the
 *   minute), during the burst, while claiming; CPU used during the burst;
 * - the missed-backup check that serve runs every minute over every target, timed as it runs;
 * - PostgreSQL: connections of the bench's database (peak per phase, sampled every second), commits per second,
 *   table and index sizes after the burst;
 * - claims: the I instances each run a Worker with serve's settings (2 loops, lease 30 s, poll 1 s) and a backup
 *   runner that does nothing, over the N queued backup operations, until K have finished (OperationQueue.claim and
 *   finish: a transaction with the claim's advisory lock, then one update); against the same number of loops per
 *   instance, on the same connection pools, draining K of N rows from a plain table (a primary key, a unique seq, and
 *   an index of seq over the queued rows) with `UPDATE ... WHERE id = (SELECT id ... ORDER BY seq LIMIT 1 FOR UPDATE
 *   SKIP LOCKED) RETURNING id` and a finish update. Both tables are set back to
 *   N queued rows and vacuumed before each measurement; R rounds, alternating which goes first; medians. The bare
 *   loops keep no target's operations apart or in order, which Backstop's claim does. While they claim, what the
 *   database's backends do is sampled every 50 ms (waiting on the advisory lock, idle in a transaction, active).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { generateIdentity } from '../src/crypto/generate-identity.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { benchPostgres } from './bench-postgres.ts';
import type { InstanceMessage, ParentMessage } from './capacity-instance.ts';

const argv = process.argv.slice(2);
function option(name: string, fallback: number, least = 1): number {
  const index = argv.indexOf(name);
  const value = index >= 0 ? Number(argv[index + 1]) : fallback;
  if (!(Number.isInteger(value) && value >= least)) throw new Error(`${name} takes an integer of at least ${least}`);
  return value;
}
const targetCount = option('--targets', 10_000);
const instanceCount = option('--instances', 3);
const claimCount = option('--claims', Math.min(targetCount, 5000));
const rounds = option('--rounds', 3);
const historyDays = option('--history', 0, 0);
// Start-up grows with the targets (the catch-up reads every target's schedule, node-schedule sorts every timer).
const leadSeconds = option('--lead', Math.ceil(40 + targetCount / 200));
const adminUrl = process.env['BACKSTOP_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENVS_PER_APP = 10;
const GOAL_SECONDS = 60;

const repo = join(import.meta.dirname, '..');
const { urlOf, admin } = benchPostgres(adminUrl);
const say = (line: string) => process.stderr.write(`${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ---------------------------------------------------------------------------------------------------------------
// The instance's program: compiled when dist/ is newer than every source it runs, else through tsx.

function instanceProgram(): { script: string; execArgv: string[]; what: string } {
  const compiled = join(repo, 'dist', 'bench', 'capacity-instance.js');
  let built = 0;
  try {
    built = statSync(compiled).mtimeMs;
  } catch {}
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return newest(path);
        return entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0;
      }),
    );
  const sources = Math.max(...['src', 'cli', 'migrations', 'bench'].map((dir) => newest(join(repo, dir))));
  if (built > sources) return { script: compiled, execArgv: [], what: 'compiled (dist/)' };
  return {
    script: join(repo, 'bench', 'capacity-instance.ts'),
    execArgv: ['--import', 'tsx'],
    what: 'through tsx (dist/ is missing or older than the sources: `npm run build` to measure the compiled code)',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Instances: forked processes and their messages.

type Of<T extends InstanceMessage['type']> = Extract<InstanceMessage, { type: T }>;

class Instance {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, (message: InstanceMessage) => void>();
  private readonly received = new Map<string, InstanceMessage[]>();
  stderr = '';
  exited = false;
  /** Set when the bench kills it (cleaning up after a failure), so that its end is not reported as one. */
  killed = false;

  constructor(
    readonly index: number,
    program: { script: string; execArgv: string[] },
    configPath: string,
    private readonly onMessage: (instance: Instance, message: InstanceMessage) => void,
  ) {
    this.child = fork(program.script, [configPath, String(index)], {
      execArgv: program.execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on('message', (message: InstanceMessage) => {
      this.onMessage(this, message);
      const waiter = this.waiting.get(message.type);
      if (waiter) {
        this.waiting.delete(message.type);
        waiter(message);
      } else {
        this.received.set(message.type, [...(this.received.get(message.type) ?? []), message]);
      }
    });
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.waiting.values()) waiter({ type: 'log', line: `exited ${code ?? signal}`, level: 'x' });
      if (code !== 0 && !this.killed) say(`instance ${index} exited ${code ?? signal}\n${this.stderr.slice(-4000)}`);
    });
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** The next message of `type` (or one received before anyone waited for it). */
  next<T extends InstanceMessage['type']>(type: T, timeoutMs: number): Promise<Of<T>> {
    const early = this.received.get(type);
    if (early && early.length > 0) return Promise.resolve(early.shift() as Of<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(type);
        reject(new Error(`instance ${this.index}: no ${type} within ${s(timeoutMs)}\n${this.stderr.slice(-4000)}`));
      }, timeoutMs);
      this.waiting.set(type, (message) => {
        clearTimeout(timer);
        if (message.type !== type) {
          reject(
            new Error(
              `instance ${this.index} ${message.type === 'log' ? message.line : 'failed'} while waiting for ${type}\n${this.stderr.slice(-4000)}`,
            ),
          );
        } else resolve(message as Of<T>);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL: connections and commits, sampled by phase.

type BenchPhase = 'start' | 'idle' | 'burst' | 'after' | 'claims';

class PgWatch {
  phase: BenchPhase = 'start';
  readonly peakConnections = new Map<BenchPhase, number>();
  private readonly commits: { at: number; xacts: number; phase: BenchPhase }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query(
        `select (select count(*)::int from pg_stat_activity where datname = $1) as connections,
                (select (xact_commit + xact_rollback)::float8 from pg_stat_database where datname = $1) as xacts`,
        [this.database],
      );
      const phase = this.phase;
      this.peakConnections.set(phase, Math.max(this.peakConnections.get(phase) ?? 0, rows[0].connections));
      this.commits.push({ at: performance.now(), xacts: rows[0].xacts, phase });
    } finally {
      this.busy = false;
    }
  }

  /** Transactions per second over the samples taken in `phase` (from the sample before its first). */
  rate(phase: BenchPhase): number | undefined {
    const first = this.commits.findIndex((c) => c.phase === phase);
    if (first < 0) return undefined;
    let last = first;
    while (last + 1 < this.commits.length && this.commits[last + 1]!.phase === phase) last++;
    const from = this.commits[Math.max(0, first - 1)]!;
    const to = this.commits[last]!;
    return to.at > from.at ? ((to.xacts - from.xacts) / (to.at - from.at)) * 1000 : undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The config: N targets in apps of ENVS_PER_APP environments, every schedule at `minute` (UTC). */
function writeConfig(dir: string, stateUrl: string, minute: Date): string {
  const keyFile = join(dir, 'bench.key');
  writeFileSync(keyFile, `${generateIdentity().identity}\n`, { mode: 0o600 });
  const cron = `${minute.getUTCMinutes()} ${minute.getUTCHours()} * * *`;
  const targetDb = urlOf('backstop_capacity_target');
  const lines = [
    `dataDir: ${join(dir, 'data')}`,
    `database: ${stateUrl}`,
    `storage: { dir: ${join(dir, 'store')} }`,
    `encryption: { identities: [${keyFile}] }`,
    'logs: { format: json }',
    'apps:',
  ];
  for (let app = 0; app * ENVS_PER_APP < targetCount; app++) {
    lines.push(`  a${String(app).padStart(5, '0')}:`, '    environments:');
    for (let env = 0; env < ENVS_PER_APP && app * ENVS_PER_APP + env < targetCount; env++) {
      lines.push(`      e${env}: { database: "${targetDb}", schedule: { cron: "${cron}", timezone: UTC, parts: db } }`);
    }
  }
  const path = join(dir, 'backstop.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The first whole minute at least `leadMs` from now, not the daily prune's (03:30 UTC). */
function slotMinute(leadMs: number): Date {
  let at = Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;
  const minute = new Date(at);
  if (minute.getUTCHours() === 3 && minute.getUTCMinutes() === 30) at += 60_000;
  return new Date(at);
}

interface ClaimMeasure {
  seconds: number;
  peakMb: number[];
  /** The bench database's backends, mean per sample: waiting on the claim's advisory lock, idle inside a transaction
   * (waiting for their client's next statement), running a statement. */
  waits: { advisory: number; idleInTransaction: number; active: number };
}

/** Samples what the bench database's backends are doing every 50 ms until stopped. */
function sampleBackends(client: pg.Client, database: string): () => Promise<ClaimMeasure['waits']> {
  const totals = { advisory: 0, idleInTransaction: 0, active: 0 };
  let samples = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const { rows } = await client.query(
        `select count(*) filter (where wait_event_type = 'Lock' and wait_event = 'advisory')::int as advisory,
                count(*) filter (where state = 'idle in transaction')::int as idle_in_transaction,
                count(*) filter (where state = 'active' and wait_event_type is distinct from 'Lock')::int as active
         from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [database],
      );
      totals.advisory += rows[0].advisory;
      totals.idleInTransaction += rows[0].idle_in_transaction;
      totals.active += rows[0].active;
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    stopping = true;
    await loop;
    const mean = (n: number) => (samples === 0 ? 0 : n / samples);
    return {
      advisory: mean(totals.advisory),
      idleInTransaction: mean(totals.idleInTransaction),
      active: mean(totals.active),
    };
  };
}

async function main(): Promise<void> {
  const program = instanceProgram();
  const name = `backstop_capacity_bench_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'backstop-capacity-'));
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const sampler = new pg.Client({ connectionString: adminUrl });
  await sampler.connect();
  const maxConnections = Number((await client.query('show max_connections')).rows[0].max_connections);
  const pgVersion = (await client.query('show server_version')).rows[0].server_version as string;
  await admin(`create database ${name}`);
  const instances: Instance[] = [];
  const watch = new PgWatch(client, name);
  try {
    const state = await openState({ databaseUrl: urlOf(name), dataDir: '' });
    await migrateToLatest(state.db);
    await state.close();
    const db = new pg.Client({ connectionString: urlOf(name) });
    await db.connect();
    try {
      // History: finished operations ahead of the burst's, as the queue keeps them for 30 days.
      const historyRows = historyDays * targetCount;
      await db.query(
        `insert into operations (id, kind, subject_id, target, status, attempts, max_attempts, requested_by,
           created_at, started_at, finished_at)
         select 'h' || g, 'backup', 'h' || g, 'a' || (g % $2::int) || '/history', 'succeeded', 1, 3, 'history',
           now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
         from generate_series(1, $1::int) g`,
        [historyRows, targetCount],
      );
      // The bare loops' plain table: the same number of rows (and of finished rows ahead of them), ordered by a
      // sequence like the queue's.
      await db.query(`create table bare_queue (
          id text primary key, seq bigserial unique, target text, status text not null, attempts int not null default 0,
          lease_owner text, lease_expires_at timestamptz, started_at timestamptz, finished_at timestamptz,
          history boolean not null default false)`);
      // The usual companion of such a loop: its order over the rows still to claim.
      await db.query(`create index bare_queue_queued on bare_queue (seq) where status = 'queued'`);
      await db.query(
        `insert into bare_queue (id, target, status, history)
         select 'h' || g, 'a' || g, 'succeeded', true from generate_series(1, $1::int) g`,
        [historyRows],
      );
      await db.query(
        `insert into bare_queue (id, target, status)
         select md5(g::text), 'a' || g, 'queued' from generate_series(1, $1::int) g`,
        [targetCount],
      );
      await db.query('vacuum analyze operations');
      await db.query('vacuum analyze bare_queue');

      const startedAt = Date.now();
      const loadAtStart = load();
      const slot = slotMinute(leadSeconds * 1000);
      const configPath = writeConfig(work, urlOf(name), slot);
      say(
        `# ${targetCount} targets, ${instanceCount} instances, slot ${slot.toISOString()} ` +
          `(in ${s(slot.getTime() - startedAt)}); instances run ${program.what}`,
      );

      let finishedCount = 0;
      let onFinished: (() => void) | undefined;
      const missedChecks: { instance: number; startedAt: number; ms: number; phase: string }[] = [];
      const logs: string[] = [];
      const onMessage = (instance: Instance, message: InstanceMessage) => {
        if (message.type === 'finished') {
          finishedCount++;
          onFinished?.();
        } else if (message.type === 'missed-check') {
          missedChecks.push({ instance: instance.index, ...message });
          say(
            `  instance ${instance.index}: missed-backup check over every target took ${s(message.ms)} (${message.phase})`,
          );
        } else if (message.type === 'log') {
          logs.push(`instance ${instance.index} [${message.level}] ${message.line}`);
          say(`  instance ${instance.index} [${message.level}] ${message.line}`);
        }
      };
      watch.start();
      for (let i = 0; i < instanceCount; i++) instances.push(new Instance(i, program, configPath, onMessage));

      // Start-up: every instance must be idle before the minute.
      const readyBy = slot.getTime() - 3000 - Date.now();
      const ready = await Promise.all(instances.map((instance) => instance.next('ready', readyBy))).catch(
        (error: Error) => {
          throw new Error(
            `${error.message}\nThe instances were not ready ${s(3000)} before the minute: run again with a larger --lead.`,
          );
        },
      );
      watch.phase = 'idle';
      for (const [i, r] of ready.entries()) {
        say(
          `  instance ${i} ready after ${s(r.at.scheduler)}: config ${s(r.at.config - r.at.modules)}, engine ` +
            `${s(r.at.engine - r.at.config)}, catch-up ${s(r.catchUpMs)}, ${r.timers} cron timers in ${s(r.timersMs)}; ` +
            `RSS ${r.rssMb} MB (heap ${r.heapMb} MB), peak while starting ${r.startPeakMb} MB`,
        );
      }

      // The burst.
      const idleLeft = slot.getTime() - Date.now();
      say(`  idle for ${s(idleLeft)} until the minute`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleLeft)));
      watch.phase = 'burst';
      const loadAtMinute = load();
      const fired = await Promise.all(instances.map((instance) => instance.next('fired', 30 * 60_000)));
      watch.phase = 'after';
      await watch.sample();

      // From the state: when the last slot was queued, and whether each was queued exactly once.
      const at = slot.getTime();
      const q = async (text: string, values: unknown[] = []) => (await db.query(text, values)).rows[0];
      const backups = await q(
        `select count(*)::int as n, count(distinct (app, env))::int as targets, max(created_at) as last
         from backups where trigger = 'scheduled' and slot = $1`,
        [slot],
      );
      const operations = await q(
        `select count(*)::int as n, count(distinct o.subject_id)::int as subjects, max(o.created_at) as last
         from operations o join backups b on b.id = o.subject_id where o.kind = 'backup' and b.slot = $1`,
        [slot],
      );
      const twice = await q(
        `select count(*)::int as n from (select 1 from backups where slot is not null group by app, env, slot
         having count(*) > 1) d`,
      );
      const otherSlots = await q(
        `select count(*)::int as n from backups where trigger = 'scheduled' and slot is distinct from $1`,
        [slot],
      );
      const notOneOperation = await q(
        `select count(*)::int as n from backups b where b.slot = $1
         and (select count(*) from operations o where o.kind = 'backup' and o.subject_id = b.id) <> 1`,
        [slot],
      );
      const createdSum = fired.reduce((sum, f) => sum + f.created, 0);
      const problems: string[] = [];
      if (backups.targets !== targetCount)
        problems.push(`${targetCount - backups.targets} targets have no backup for the slot`);
      if (backups.n !== backups.targets) problems.push(`${backups.n - backups.targets} extra backups for the slot`);
      if (twice.n !== 0) problems.push(`${twice.n} (app, env, slot) recorded more than once`);
      if (otherSlots.n !== 0) problems.push(`${otherSlots.n} scheduled backups of another slot`);
      if (operations.n !== backups.n || operations.subjects !== backups.n || notOneOperation.n !== 0)
        problems.push(`${notOneOperation.n} backups without exactly one operation (${operations.n} operations)`);
      if (createdSum !== targetCount) problems.push(`the instances created ${createdSum} backups, not ${targetCount}`);
      const lastQueuedMs = new Date(operations.last).getTime() - at;
      const lastSettledMs = Math.max(...fired.map((f) => f.lastSettled)) - at;
      const exactlyOnce = problems.length === 0;
      const withinGoal = lastQueuedMs <= GOAL_SECONDS * 1000 && backups.targets === targetCount;
      say(
        `  all ${backups.targets} slots queued ${s(lastQueuedMs)} after the minute; every instance done after ` +
          `${s(lastSettledMs)}; exactly once: ${exactlyOnce ? 'yes' : `NO: ${problems.join('; ')}`}`,
      );
      for (const [i, f] of fired.entries()) {
        say(
          `  instance ${i}: node-schedule handed over ${f.handedOver} firings from +${s(f.firstHandOver - at)} to ` +
            `+${s(f.lastHandOver - at)}; the last target's slot begun +${s(f.lastFired - at)}, ended ` +
            `+${s(f.lastSettled - at)}; created ${f.created}; RSS idle peak ` +
            `${f.idlePeakMb} MB (${f.idleEndRssMb} MB, heap ${f.idleEndHeapMb} MB just before), burst peak ` +
            `${f.burstPeakMb} MB; CPU ${s(f.burstCpuMs)}`,
        );
      }
      const sizes = await q(
        `select pg_relation_size('backups_slot')::float8 as slot_index, pg_total_relation_size('backups')::float8 as backups,
                pg_total_relation_size('operations')::float8 as operations,
                pg_total_relation_size('schedules')::float8 as schedules`,
      );

      // Claims.
      const reset = async (mode: 'backstop' | 'bare') => {
        if (mode === 'backstop') {
          await db.query(`update operations set status = 'queued', attempts = 0, lease_owner = null,
            lease_expires_at = null, started_at = null, finished_at = null, error = null, phase = null, bytes_done = 0
            where kind = 'backup' and requested_by = 'schedule'`);
          await db.query('vacuum analyze operations');
        } else {
          await db.query(`update bare_queue set status = 'queued', attempts = 0, lease_owner = null,
            lease_expires_at = null, started_at = null, finished_at = null where not history`);
          await db.query('vacuum analyze bare_queue');
        }
      };
      const measureClaims = async (mode: 'backstop' | 'bare'): Promise<ClaimMeasure> => {
        await reset(mode);
        finishedCount = 0;
        const reached = new Promise<void>((resolve) => {
          onFinished = () => {
            if (finishedCount >= claimCount) resolve();
          };
        });
        watch.phase = 'claims';
        const sampled = sampleBackends(sampler, name);
        const t0 = performance.now();
        for (const instance of instances) instance.send({ type: 'claims', mode });
        await reached;
        const seconds = (performance.now() - t0) / 1000;
        onFinished = undefined;
        const waits = await sampled();
        const stopped = await Promise.all(
          instances.map(async (instance) => {
            const reply = instance.next('claims-stopped', 120_000);
            instance.send({ type: 'stop-claims' });
            return reply;
          }),
        );
        watch.phase = 'after';
        say(
          `  ${mode}: ${claimCount} claims in ${seconds.toFixed(2)} s (${(claimCount / seconds).toFixed(0)}/s); ` +
            `backends waiting on the advisory lock ${waits.advisory.toFixed(1)}, idle in a transaction ` +
            `${waits.idleInTransaction.toFixed(1)}, active ${waits.active.toFixed(1)}`,
        );
        return { seconds, peakMb: stopped.map((r) => r.peakMb), waits };
      };
      const ours: ClaimMeasure[] = [];
      const bare: ClaimMeasure[] = [];
      for (let round = 0; round < rounds; round++) {
        const steps = [
          async () => ours.push(await measureClaims('backstop')),
          async () => bare.push(await measureClaims('bare')),
        ];
        for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
      }

      // Stop.
      const exited = await Promise.all(
        instances.map(async (instance) => {
          const reply = instance.next('exited', 10 * 60_000);
          instance.send({ type: 'exit' });
          return reply;
        }),
      );
      watch.stop();

      // The report.
      const oursRate = claimCount / median(ours.map((m) => m.seconds));
      const bareRate = claimCount / median(bare.map((m) => m.seconds));
      const meanOf = (measures: ClaimMeasure[], key: keyof ClaimMeasure['waits']) =>
        (measures.reduce((sum, m) => sum + m.waits[key], 0) / measures.length).toFixed(1);
      const perInstance = (values: (i: number) => string) => instances.map((_, i) => values(i)).join(' / ');
      const range = (values: number[], unit = ' MB') =>
        `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}${unit}`;
      const rate = (phase: BenchPhase) => {
        const value = watch.rate(phase);
        return value === undefined ? 'n/a' : `${value.toFixed(0)}/s`;
      };
      const command =
        `node --import tsx bench/capacity-bench.ts --targets ${targetCount} --instances ${instanceCount}` +
        ` --claims ${claimCount} --rounds ${rounds} --lead ${leadSeconds}${historyDays > 0 ? ` --history ${historyDays}` : ''}`;
      const checks = missedChecks.map((c) => `${s(c.ms)} (${c.phase})`);
      console.log(
        [
          `Command: \`${command}\` (instances ${program.what}); ${cpus().length} cores, ` +
            `${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, PostgreSQL ${pgVersion} ` +
            `(max_connections ${maxConnections}); load average (1, 5, 15 min) at the start ${loadAtStart}, at the minute ${loadAtMinute}, at the end ${load()}`,
          '',
          '| figure | measured |',
          '| --- | --- |',
          `| targets, instances | ${targetCount} targets in one cron minute, ${instanceCount} instances` +
            `${historyDays > 0 ? `; ${historyDays * targetCount} finished operations ahead of the queued ones` : ''} |`,
          `| instance ready after | ${perInstance((i) => s(ready[i]!.at.scheduler))} |`,
          `| of which: config loaded | ${perInstance((i) => s(ready[i]!.at.config - ready[i]!.at.modules))} |`,
          `| of which: scheduler catch-up over every target | ${perInstance((i) => s(ready[i]!.catchUpMs))} |`,
          `| of which: ${ready[0]!.timers} cron timers set | ${perInstance((i) => s(ready[i]!.timersMs))} |`,
          `| all ${targetCount} slots queued (last operation recorded) | **${s(lastQueuedMs)}** after the minute ` +
            `(goal ${GOAL_SECONDS} s: ${withinGoal ? 'met' : '**not met**'}) |`,
          `| node-schedule hands over the last firing (firings per instance) | ${perInstance((i) => `+${s(fired[i]!.lastHandOver - at)}`)} (${fired[0]!.handedOver}) |`,
          `| each instance's last firing ended | ${perInstance((i) => `+${s(fired[i]!.lastSettled - at)}`)} |`,
          `| exactly once | ${exactlyOnce ? `**yes**: ${backups.targets} targets, ${backups.n} backups, ${operations.n} operations, none twice, none of another slot; created ${perInstance((i) => String(fired[i]!.created))}` : `**no**: ${problems.join('; ')}`} |`,
          `| RSS per instance: peak while starting | ${perInstance((i) => `${ready[i]!.startPeakMb}`)} MB |`,
          `| RSS per instance: idle (peak from ready to the minute; just before it) | ${perInstance((i) => `${fired[i]!.idlePeakMb}`)} MB (${perInstance((i) => `${fired[i]!.idleEndRssMb}`)} MB, heap ${perInstance((i) => `${fired[i]!.idleEndHeapMb}`)} MB) |`,
          `| RSS per instance: peak during the burst | ${perInstance((i) => `${fired[i]!.burstPeakMb}`)} MB |`,
          `| RSS per instance: peak while claiming | ${range([...ours, ...bare].flatMap((m) => m.peakMb))} |`,
          `| RSS per instance: lifetime peak (maxRSS) | ${perInstance((i) => `${exited[i]!.maxRssMb}`)} MB |`,
          `| CPU per instance during the burst | ${perInstance((i) => s(fired[i]!.burstCpuMs))} |`,
          `| missed-backup check over every target (serve's 60 s interval) | ${checks.length > 0 ? checks.join(', ') : 'did not run during the bench'} |`,
          `| scheduler.stop() per instance (cancels every cron timer) | ${perInstance((i) => s(exited[i]!.schedulerStopMs))} |`,
          `| PostgreSQL connections of the bench's database, peak (start / idle / burst / claims) | ` +
            `${(['start', 'idle', 'burst', 'claims'] as const).map((p) => watch.peakConnections.get(p) ?? 'n/a').join(' / ')} of ${maxConnections} |`,
          `| PostgreSQL transactions/s (start / idle / burst) | ${rate('start')} / ${rate('idle')} / ${rate('burst')} |`,
          `| sizes after the burst: backups_slot index / backups / operations / schedules | ` +
            `${(sizes.slot_index / 2 ** 20).toFixed(1)} / ${(sizes.backups / 2 ** 20).toFixed(1)} / ` +
            `${(sizes.operations / 2 ** 20).toFixed(1)} / ${(sizes.schedules / 2 ** 20).toFixed(1)} MB |`,
          `| claims/s, Backstop (Worker + OperationQueue, ${instanceCount} x 2 loops, ${claimCount} of ${targetCount} queued) | **${oursRate.toFixed(0)}/s** (${ours.map((m) => m.seconds.toFixed(2)).join(', ')} s) |`,
          `| claims/s, bare SKIP LOCKED loops (same loops, plain table) | **${bareRate.toFixed(0)}/s** (${bare.map((m) => m.seconds.toFixed(2)).join(', ')} s) |`,
          `| bare / Backstop | **${(bareRate / oursRate).toFixed(1)}x** |`,
          `| backends while claiming, Backstop / bare (mean of 50 ms samples): on the advisory lock; idle in a transaction; active | ` +
            `${meanOf(ours, 'advisory')} / ${meanOf(bare, 'advisory')}; ${meanOf(ours, 'idleInTransaction')} / ` +
            `${meanOf(bare, 'idleInTransaction')}; ${meanOf(ours, 'active')} / ${meanOf(bare, 'active')} |`,
        ].join('\n'),
      );
      if (logs.length > 0) console.log(`\nLogged by the instances (first ${logs.length}):\n${logs.join('\n')}`);
      if (!exactlyOnce) process.exitCode = 1;
    } finally {
      await db.end();
    }
  } finally {
    watch.stop();
    for (const instance of instances) {
      if (instance.exited) continue;
      instance.killed = true;
      instance.child.kill('SIGKILL');
    }
    await client.end();
    await sampler.end();
    // A pool's end() resolves before its sockets have closed: force them.
    await admin(`drop database if exists ${name} with (force)`);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
