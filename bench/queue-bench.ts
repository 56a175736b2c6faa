/**
 * The operations queue under trivial work: N no-op operations through W workers in one process, on a fresh
 * PostgreSQL database and on the embedded SQLite state, against the simplest loop that drains the same rows.
 *
 *   node --import tsx bench/queue-bench.ts [--ops N] [--workers W] [--runs R]
 *
 * Backstop: the real OperationQueue and Worker (concurrency 1 each, heartbeat 1 s, lease 30 s, poll 50 ms), a runner
 * map with one kind, `noop`, whose run does nothing. On PostgreSQL each worker has its own state (its own pool), so
 * the workers compete as separate processes would; the embedded state is one connection, shared. Timed from the workers' start
 * until the N-th `finish` has recorded success. Checked (thrown errors): every operation ran exactly once, with
 * attempts = 1; operations of one target ran in the order enqueued and never two at a time.
 *
 * Baselines, on the same database and the same rows (the table emptied and the same ids enqueued again):
 * - "one UPDATE": W concurrent loops, each `UPDATE operations SET status = 'succeeded' WHERE id = (SELECT id ... WHERE
 *   status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id` until it returns nothing;
 * - "claim + finish": the same loops in two autocommitted statements (set running with a lease, then set succeeded),
 *   i.e. the two commits per operation Backstop also makes, without its transaction, advisory lock and target check.
 * Neither baseline keeps operations of one target apart or in order.
 *
 * Variants: every operation with target null; operations spread round-robin over 10 targets. Each is measured R
 * times (default 3), the order of Backstop and the baselines alternating; the table shows medians. Peak memory is the
 * process's resident set sampled every 10 ms during each measurement (the process holds the embedded state as well once
 * it is opened).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import { newId } from '../src/domain/new-id.ts';
import type { OperationKind } from '../src/domain/operation.ts';
import { type Claim, OperationQueue } from '../src/jobs/operation-queue.ts';
import { type OperationRunner, Worker } from '../src/jobs/worker.ts';
import { migrateToLatest, openState, type State, type StateDb } from '../src/state/state.ts';
import { isEmbeddedState } from '../src/state/state-dialect.ts';
import { benchPostgres } from './bench-postgres.ts';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): number {
  const index = argv.indexOf(name);
  const value = Number(index >= 0 ? argv[index + 1] : fallback);
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`${name} takes a positive integer`);
  return value;
}
const opsCount = option('--ops', '1000');
const workerCount = option('--workers', '4');
const runs = option('--runs', '3');
const adminUrl = process.env['BACKSTOP_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGETS = 10;

// ---------------------------------------------------------------------------------------------------------------
// Peak memory: the resident set, sampled.

let peakRss = 0;
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10).unref();
function resetPeak(): void {
  peakRss = process.memoryUsage().rss;
}
const mb = (bytes: number) => bytes / 2 ** 20;

// ---------------------------------------------------------------------------------------------------------------
// Backends: W states on one PostgreSQL database, or one embedded state shared by every worker.

interface Backend {
  name: string;
  /** One state per worker (the same one W times for the embedded state). */
  dbs: StateDb[];
  close(): Promise<void>;
}

const { urlOf, admin } = benchPostgres(adminUrl);

async function openPostgres(): Promise<Backend> {
  const name = `backstop_queue_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const states: State[] = [];
  try {
    for (let i = 0; i < workerCount; i++) states.push(await openState({ databaseUrl: urlOf(name), dataDir: '' }));
    await migrateToLatest(states[0]!.db);
  } catch (error) {
    await Promise.allSettled(states.map((s) => s.close()));
    await admin(`drop database if exists ${name} with (force)`);
    throw error;
  }
  return {
    name: 'PostgreSQL',
    dbs: states.map((s) => s.db),
    close: async () => {
      await Promise.all(states.map((s) => s.close()));
      // A pool's end() resolves before its sockets have closed: wait for them, then drop.
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        for (let waited = 0; waited < 5000; waited += 50) {
          const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [
            name,
          ]);
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function openEmbedded(): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'backstop-queue-bench-'));
  const state = await openState({ databaseUrl: undefined, dataDir });
  await migrateToLatest(state.db);
  return {
    name: 'embedded SQLite',
    dbs: Array.from({ length: workerCount }, () => state.db),
    close: async () => {
      await state.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The rows: the same ids, subjects and targets for every measurement of a variant.

interface Row {
  id: string;
  target: string | null;
}

function makeRows(withTargets: boolean): Row[] {
  const ids = new Set<string>();
  while (ids.size < opsCount) ids.add(newId());
  return [...ids].map((id, i) => ({ id, target: withTargets ? `app${i % TARGETS}/live` : null }));
}

/** Empties the table and enqueues `rows` through OperationQueue.enqueue; returns the seconds enqueueing took. */
async function enqueueAll(db: StateDb, rows: readonly Row[]): Promise<number> {
  await db.deleteFrom('operations').execute();
  let next = 0;
  const queue = new OperationQueue(db, () => rows[next++]!.id);
  const t0 = performance.now();
  for (const [i, row] of rows.entries()) {
    // OperationKind names only 'backup' and 'restore'; the table, the claim and the runners take any kind.
    await queue.enqueue(
      { kind: 'noop' as OperationKind, subjectId: `noop-${i}`, target: row.target, requestedBy: 'bench' },
      new Date(),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  await sql`analyze operations`.execute(db);
  return seconds;
}

// ---------------------------------------------------------------------------------------------------------------
// Backstop: the real Worker and OperationQueue, instrumented from outside.

interface Measure {
  seconds: number;
  peakMb: number;
  /** Backstop only: mean ms per successful claim, per empty claim, per finish; empty claims made. */
  claimMs?: number;
  emptyClaims?: number;
  emptyClaimMs?: number;
  finishMs?: number;
}

interface Tally {
  /** Operations enqueued: the run is over when this many have succeeded. */
  expected: number;
  succeeded: number;
  claims: number;
  claimMs: number;
  emptyClaims: number;
  emptyClaimMs: number;
  finishes: number;
  finishMs: number;
  /** Targets with an operation claimed and not yet finished. */
  busyTargets: Set<string>;
  /** The target of each claimed operation, so that finish need not look it up. */
  targetOf: Map<string, string>;
  violations: string[];
  done: () => void;
}

/** The queue as the workers use it, counting and timing its calls, and noting two claims of one target at a time. */
class InstrumentedQueue extends OperationQueue {
  constructor(
    db: StateDb,
    private readonly tally: Tally,
  ) {
    super(db, () => newId());
  }

  override async claim(...args: Parameters<OperationQueue['claim']>): Promise<Claim | undefined> {
    const t0 = performance.now();
    const claim = await super.claim(...args);
    const ms = performance.now() - t0;
    if (claim === undefined) {
      this.tally.emptyClaims++;
      this.tally.emptyClaimMs += ms;
      return claim;
    }
    this.tally.claims++;
    this.tally.claimMs += ms;
    const target = claim.operation.target;
    if (target !== null) {
      if (this.tally.busyTargets.has(target))
        this.tally.violations.push(`${claim.operation.id} claimed while another operation of ${target} ran`);
      this.tally.busyTargets.add(target);
      this.tally.targetOf.set(claim.operation.id, target);
    }
    return claim;
  }

  override async finish(...args: Parameters<OperationQueue['finish']>): Promise<boolean> {
    const [id, , outcome] = args;
    // Free the target before the row is finished: another claim of it can only commit after that.
    const target = this.tally.targetOf.get(id);
    if (target !== undefined) this.tally.busyTargets.delete(target);
    const t0 = performance.now();
    const finished = await super.finish(...args);
    this.tally.finishMs += performance.now() - t0;
    this.tally.finishes++;
    if (finished && outcome.status === 'succeeded' && ++this.tally.succeeded === this.tally.expected) this.tally.done();
    return finished;
  }
}

async function runBackstop(backend: Backend, rows: readonly Row[]): Promise<Measure> {
  await enqueueAll(backend.dbs[0]!, rows);
  const runsOf = new Map<string, number>();
  const orderByTarget = new Map<string, string[]>();
  const noop: OperationRunner = {
    run: async (operation) => {
      runsOf.set(operation.id, (runsOf.get(operation.id) ?? 0) + 1);
      if (operation.target !== null) {
        const order = orderByTarget.get(operation.target) ?? [];
        order.push(operation.id);
        orderByTarget.set(operation.target, order);
      }
    },
    discard: async () => {},
    abandon: async () => {},
  };
  let done!: () => void;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tally: Tally = {
    expected: rows.length,
    succeeded: 0,
    claims: 0,
    claimMs: 0,
    emptyClaims: 0,
    emptyClaimMs: 0,
    finishes: 0,
    finishMs: 0,
    busyTargets: new Set(),
    targetOf: new Map(),
    violations: [],
    done,
  };
  const logs: string[] = [];
  const workers = backend.dbs.map(
    (db) =>
      new Worker({
        queue: new InstrumentedQueue(db, tally),
        runners: { noop },
        concurrency: 1,
        heartbeatMs: 1000,
        leaseMs: 30_000,
        pollMs: 50,
        clock: () => new Date(),
        log: (line) => logs.push(line),
      }),
  );
  resetPeak();
  const t0 = performance.now();
  for (const worker of workers) worker.start();
  const timeout = setTimeout(() => {
    tally.violations.push(`${tally.succeeded} of ${rows.length} succeeded after 10 minutes`);
    done();
  }, 600_000);
  await allDone;
  const seconds = (performance.now() - t0) / 1000;
  clearTimeout(timeout);
  const peakMb = mb(peakRss);
  await Promise.all(workers.map((w) => w.stop()));

  // Checks: thrown, not asserted on timers.
  const problems = [...tally.violations];
  if (logs.length > 0) problems.push(`worker logs: ${logs.slice(0, 5).join(' | ')}`);
  const twice = [...runsOf].filter(([, n]) => n !== 1);
  if (runsOf.size !== rows.length || twice.length > 0)
    problems.push(`${runsOf.size} of ${rows.length} operations ran; ${twice.length} ran more than once`);
  const counts = await sql<{ succeeded: number | string; once: number | string }>`
    select sum(case when status = 'succeeded' then 1 else 0 end) as succeeded,
           sum(case when attempts = 1 then 1 else 0 end) as once
    from operations`.execute(backend.dbs[0]!);
  const succeeded = Number(counts.rows[0]!.succeeded);
  const once = Number(counts.rows[0]!.once);
  if (succeeded !== rows.length || once !== rows.length)
    problems.push(`${succeeded} succeeded and ${once} with attempts = 1, of ${rows.length}`);
  const expected = new Map<string, string[]>();
  for (const row of rows)
    if (row.target !== null) expected.set(row.target, [...(expected.get(row.target) ?? []), row.id]);
  for (const [target, ids] of expected) {
    if ((orderByTarget.get(target) ?? []).join() !== ids.join()) problems.push(`${target} ran out of enqueue order`);
  }
  if (problems.length > 0) throw new Error(`Backstop's queue on ${backend.name}: ${problems.join('; ')}`);
  return {
    seconds,
    peakMb,
    claimMs: tally.claimMs / tally.claims,
    emptyClaims: tally.emptyClaims,
    emptyClaimMs: tally.emptyClaims === 0 ? 0 : tally.emptyClaimMs / tally.emptyClaims,
    finishMs: tally.finishMs / tally.finishes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Baselines: the simplest loops that drain the same rows.

async function runBaseline(backend: Backend, rows: readonly Row[], twoStep: boolean): Promise<Measure> {
  await enqueueAll(backend.dbs[0]!, rows);
  const runsOf = new Map<string, number>();
  // The embedded state runs one transaction at a time: there are no row locks to skip.
  const skipLocked = isEmbeddedState(backend.dbs[0]!) ? sql`` : sql`for update skip locked`;
  const loop = async (db: StateDb, owner: string) => {
    for (;;) {
      let id: string | undefined;
      if (twoStep) {
        const now = new Date();
        const claimed = await sql<{ id: string }>`
          update operations set status = 'running', attempts = attempts + 1, lease_owner = ${owner},
            lease_expires_at = ${new Date(now.getTime() + 30_000)}, started_at = ${now}
          where id = (select id from operations where status = 'queued' order by seq limit 1 ${skipLocked})
          returning id`.execute(db);
        id = claimed.rows[0]?.id;
        if (id !== undefined) {
          await sql`
            update operations set status = 'succeeded', finished_at = ${new Date()}, lease_owner = null,
              lease_expires_at = null
            where id = ${id} and lease_owner = ${owner} and status = 'running'`.execute(db);
        }
      } else {
        const claimed = await sql<{ id: string }>`
          update operations set status = 'succeeded'
          where id = (select id from operations where status = 'queued' order by seq limit 1 ${skipLocked})
          returning id`.execute(db);
        id = claimed.rows[0]?.id;
      }
      if (id === undefined) return;
      runsOf.set(id, (runsOf.get(id) ?? 0) + 1);
    }
  };
  resetPeak();
  const t0 = performance.now();
  await Promise.all(backend.dbs.map((db, i) => loop(db, `loop-${i}`)));
  const seconds = (performance.now() - t0) / 1000;
  const peakMb = mb(peakRss);
  const twice = [...runsOf].filter(([, n]) => n !== 1);
  if (runsOf.size !== rows.length || twice.length > 0)
    throw new Error(`baseline on ${backend.name}: ${runsOf.size} of ${rows.length} drained, ${twice.length} twice`);
  return { seconds, peakMb };
}

// ---------------------------------------------------------------------------------------------------------------

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function measureBackend(open: () => Promise<Backend>): Promise<string[]> {
  const backend = await open();
  const lines: string[] = [];
  try {
    // Warm-up, not recorded: the first pass through the worker, the queue and the drivers compiles them.
    const warmUp = makeRows(true).slice(0, Math.min(100, opsCount));
    await runBackstop(backend, warmUp);
    await runBaseline(backend, warmUp, false);
    await runBaseline(backend, warmUp, true);
    for (const withTargets of [false, true]) {
      const rows = makeRows(withTargets);
      const variant = withTargets ? `${TARGETS} targets` : 'target null';
      const enqueueSeconds = await enqueueAll(backend.dbs[0]!, rows);
      const ours: Measure[] = [];
      const simple: Measure[] = [];
      const twoStep: Measure[] = [];
      for (let run = 0; run < runs; run++) {
        const steps = [
          async () => ours.push(await runBackstop(backend, rows)),
          async () => simple.push(await runBaseline(backend, rows, false)),
          async () => twoStep.push(await runBaseline(backend, rows, true)),
        ];
        for (const step of run % 2 === 0 ? steps : steps.reverse()) await step();
      }
      const opsPerSecond = (measures: Measure[]) => opsCount / median(measures.map((m) => m.seconds));
      const peak = (measures: Measure[]) => Math.max(...measures.map((m) => m.peakMb)).toFixed(0);
      const b = opsPerSecond(ours);
      const s = opsPerSecond(simple);
      const t = opsPerSecond(twoStep);
      lines.push(
        `| ${backend.name} | ${variant} | ${b.toFixed(0)} ops/s (${median(ours.map((m) => m.seconds)).toFixed(2)} s) | ` +
          `${s.toFixed(0)} ops/s | **${(s / b).toFixed(1)}x** | ${t.toFixed(0)} ops/s | **${(t / b).toFixed(1)}x** | ` +
          `${mean(ours.map((m) => m.claimMs!)).toFixed(1)} ms / ${mean(ours.map((m) => m.finishMs!)).toFixed(1)} ms | ` +
          `${median(ours.map((m) => m.emptyClaims!))} | ${(opsCount / enqueueSeconds).toFixed(0)} ops/s | ` +
          `${peak(ours)} MB | ${peak([...simple, ...twoStep])} MB |`,
      );
      console.error(
        `${backend.name}, ${variant}: Backstop ${ours.map((m) => m.seconds.toFixed(2)).join(' ')} s ` +
          `(empty claims ${ours.map((m) => `${m.emptyClaims} at ${m.emptyClaimMs!.toFixed(1)} ms`).join(', ')}); ` +
          `one UPDATE ${simple.map((m) => m.seconds.toFixed(2)).join(' ')} s; ` +
          `claim + finish ${twoStep.map((m) => m.seconds.toFixed(2)).join(' ')} s`,
      );
    }
  } finally {
    await backend.close();
  }
  return lines;
}

async function main(): Promise<void> {
  console.log(
    `# ${opsCount} no-op operations, ${workerCount} workers (concurrency 1, heartbeat 1 s, lease 30 s, poll 50 ms), ` +
      `medians of ${runs} runs; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const lines = [...(await measureBackend(openPostgres)), ...(await measureBackend(openEmbedded))];
  console.log(
    '\n| state | variant | Backstop (Worker + OperationQueue) | one UPDATE loops | Backstop time / loops | claim + finish loops | Backstop time / loops | Backstop mean claim / finish | empty claims | enqueue | peak RSS, Backstop | peak RSS, loops |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of lines) console.log(line);
  console.log(`\nprocess peak (maxRSS): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

await main();
