/**
 * One instance of the capacity benchmark (bench/capacity-bench.ts forks several, each its own process): what
 * `backstop serve` composes on a shared PostgreSQL state, minus chat and webhooks (none configured): the config
 * loaded by the real loader, the engine (composeEngine), the HTTP app listening on a free port, and the Scheduler on
 * node-schedule, as serve-command.ts makes it. Observed from outside, without changing what they do: the cron timers
 * (NodeScheduleTimers, wrapped to note when each firing was handed over), the scheduler's `fire` of each target's
 * slot (counted, to know when the last one ended), its catch-up and its missed-backup check (timed). No worker runs
 * while the slots fire; in the claim phase a Worker with serve's settings drains backup operations with a runner that
 * does nothing, or bare loops drain a plain table.
 *
 *   node dist/bench/capacity-instance.js <config file> <instance number>     (forked, with an IPC channel)
 *
 * Messages: see InstanceMessage (to the parent) and ParentMessage (from it).
 */
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { composeEngine } from '../cli/compose-engine.ts';
import { webSettings } from '../cli/web-command.ts';
import { workerSettings } from '../cli/worker-settings.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { newId } from '../src/domain/new-id.ts';
import type { Target } from '../src/domain/target.ts';
import { createHttpApp } from '../src/http/create-http-app.ts';
import type { CronTimer, CronTimers } from '../src/jobs/cron-timers.ts';
import { NodeScheduleTimers } from '../src/jobs/node-schedule-timers.ts';
import { OperationQueue } from '../src/jobs/operation-queue.ts';
import { Scheduler } from '../src/jobs/scheduler.ts';
import { type OperationRunner, Worker } from '../src/jobs/worker.ts';
import { migrateToLatest, openState, type StateDb } from '../src/state/state.ts';

export type Phase = 'start' | 'idle' | 'burst' | 'settled' | 'claims';

export type ParentMessage = { type: 'claims'; mode: 'backstop' | 'bare' } | { type: 'stop-claims' } | { type: 'exit' };

export type InstanceMessage =
  | {
      type: 'ready';
      /** ms from process start: modules loaded, config loaded, engine composed, HTTP listening, scheduler started. */
      at: { modules: number; config: number; engine: number; http: number; scheduler: number };
      /** ms the scheduler's start spent catching up over every target, and setting its cron timers. */
      catchUpMs: number;
      timersMs: number;
      timers: number;
      targets: number;
      rssMb: number;
      heapMb: number;
      startPeakMb: number;
    }
  | {
      type: 'fired';
      /** Firings node-schedule handed over (one per timer), the first and the last at (wall clock, Date.now()). */
      handedOver: number;
      firstHandOver: number;
      lastHandOver: number;
      /** When the scheduler began queuing the last target's slot, and when the last one ended (Date.now()). */
      lastFired: number;
      lastSettled: number;
      /** Backups this instance created (the others found their slot taken). */
      created: number;
      idlePeakMb: number;
      idleEndRssMb: number;
      idleEndHeapMb: number;
      burstPeakMb: number;
      /** CPU ms used from the first firing until the last one ended. */
      burstCpuMs: number;
    }
  | { type: 'missed-check'; startedAt: number; ms: number; phase: Phase }
  | { type: 'log'; line: string; level: string }
  | { type: 'finished' }
  | { type: 'claims-stopped'; mode: 'backstop' | 'bare'; finished: number; peakMb: number }
  | { type: 'exited'; maxRssMb: number; schedulerStopMs: number };

const [configPath, instanceArg] = process.argv.slice(2);
if (configPath === undefined || instanceArg === undefined || process.send === undefined) {
  throw new Error('capacity-instance is forked by bench/capacity-bench.ts with <config file> <instance number>');
}
const send = (message: InstanceMessage) => process.send!(message);
const modulesAt = performance.now();

// ---------------------------------------------------------------------------------------------------------------
// Resident memory, sampled, with a peak per phase.

let phase: Phase = 'start';
const peaks = new Map<Phase, number>();
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
function sample(): void {
  const rss = process.memoryUsage.rss();
  peaks.set(phase, Math.max(peaks.get(phase) ?? 0, rss));
}
setInterval(sample, 20).unref();
function enter(next: Phase): void {
  sample();
  phase = next;
  sample();
}
const peakOf = (p: Phase) => mb(peaks.get(p) ?? 0);
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

// ---------------------------------------------------------------------------------------------------------------
// What the scheduler logs: the backups it created are counted; failures and warnings go to the parent.

let created = 0;
let forwarded = 0;
const log = (line: string, level = 'info') => {
  if (/^scheduled backup \S+ of \S+ for \S+ queued$/.test(line)) {
    created++;
    return;
  }
  if ((level !== 'info' || line.startsWith('scheduler:')) && forwarded++ < 20) send({ type: 'log', line, level });
};

// ---------------------------------------------------------------------------------------------------------------
// The cron timers serve uses, observed.

class ObservedTimers implements CronTimers {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  /** Firings node-schedule handed over, and when the first and last were (Date.now()). */
  handedOver = 0;
  firstHandOver = 0;
  lastHandOver = 0;
  private readonly inner = new NodeScheduleTimers();

  schedule(cron: string, timezone: string, onFire: (slot: Date) => Promise<void>): CronTimer | undefined {
    if (this.count++ === 0) this.firstAt = performance.now();
    const timer = this.inner.schedule(cron, timezone, (slot) => {
      const now = Date.now();
      if (this.handedOver++ === 0) this.firstHandOver = now;
      this.lastHandOver = now;
      return onFire(slot);
    });
    this.lastAt = performance.now();
    return timer;
  }
}

/**
 * The scheduler as serve makes it; its catch-up and the missed-backup check that its interval runs are timed, and
 * the queuing of each target's slot by a timer (`fire`) is counted: when the last target's has ended, the instance
 * reports the burst.
 */
class ObservedScheduler extends Scheduler {
  catchUpMs = 0;
  fired = 0;
  settled = 0;
  lastFired = 0;
  lastSettled = 0;
  burstCpuStart = 0;

  override async fire(target: Target, slot: Date): Promise<boolean> {
    if (this.fired++ === 0) {
      this.burstCpuStart = cpuMs();
      enter('burst');
    }
    this.lastFired = Date.now();
    try {
      return await super.fire(target, slot);
    } finally {
      this.lastSettled = Date.now();
      if (++this.settled === scheduledTargets) reportBurst();
    }
  }

  override async catchUp(now: Date): Promise<string[]> {
    const startedAt = performance.now();
    try {
      return await super.catchUp(now);
    } finally {
      this.catchUpMs = performance.now() - startedAt;
    }
  }

  override async checkMissed(now: Date): Promise<number> {
    const startedAt = Date.now();
    const during = phase;
    try {
      return await super.checkMissed(now);
    } finally {
      send({ type: 'missed-check', startedAt, ms: Date.now() - startedAt, phase: during });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Start, as serve does.

const config = loadConfig({ explicitPath: configPath, env: process.env, cwd: process.cwd() });
const configAt = performance.now();
if (config.stateDatabaseUrl === undefined) throw new Error('the capacity bench needs a PostgreSQL state');
const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
await migrateToLatest(state.db);
const engine = await composeEngine(config, state, { log, notice: log });
const engineAt = performance.now();
const app = createHttpApp({ state: state.db, store: engine.store, engine, web: webSettings(config) });
const server: Server = await new Promise((resolve) => {
  const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
});
const httpAt = performance.now();
const scheduledTargets = config.targets.filter((t) => t.schedule !== 'off').length;
const timers = new ObservedTimers();
function reportBurst(): void {
  const burstCpuMs = cpuMs() - scheduler.burstCpuStart;
  const idleEnd = idleEndMemory;
  enter('settled');
  send({
    type: 'fired',
    firstHandOver: timers.firstHandOver,
    lastHandOver: timers.lastHandOver,
    handedOver: timers.handedOver,
    lastFired: scheduler.lastFired,
    lastSettled: scheduler.lastSettled,
    created,
    idlePeakMb: peakOf('idle'),
    idleEndRssMb: idleEnd.rss,
    idleEndHeapMb: idleEnd.heap,
    burstPeakMb: peakOf('burst'),
    burstCpuMs,
  });
}
const scheduler = new ObservedScheduler(engine, { timers });
await scheduler.start();
const schedulerAt = performance.now();
enter('idle');
// The memory of the idle instance as it stood just before the burst: the last reading before the first firing.
let idleEndMemory = { rss: 0, heap: 0 };
const idleWatch = setInterval(() => {
  if (phase !== 'idle') return clearInterval(idleWatch);
  const usage = process.memoryUsage();
  idleEndMemory = { rss: mb(usage.rss), heap: mb(usage.heapUsed) };
}, 250);
const memory = process.memoryUsage();
send({
  type: 'ready',
  at: {
    modules: Math.round(modulesAt),
    config: Math.round(configAt),
    engine: Math.round(engineAt),
    http: Math.round(httpAt),
    scheduler: Math.round(schedulerAt),
  },
  catchUpMs: Math.round(scheduler.catchUpMs),
  timersMs: Math.round(timers.lastAt - timers.firstAt),
  timers: timers.count,
  targets: scheduledTargets,
  rssMb: mb(memory.rss),
  heapMb: mb(memory.heapUsed),
  startPeakMb: peakOf('start'),
});

// ---------------------------------------------------------------------------------------------------------------
// Claims: the queue as the workers use it, or bare loops on a plain table, until the parent says stop.

/** The queue composeEngine makes, counting the operations it finishes. */
class CountingQueue extends OperationQueue {
  finished = 0;
  override async finish(...args: Parameters<OperationQueue['finish']>): Promise<boolean> {
    const done = await super.finish(...args);
    if (done) {
      this.finished++;
      send({ type: 'finished' });
    }
    return done;
  }
}

const nothing: OperationRunner = { run: async () => {}, discard: async () => {}, abandon: async () => {} };

interface Claiming {
  mode: 'backstop' | 'bare';
  stop(): Promise<number>;
}
let claiming: Claiming | undefined;

function startBackstop(): Claiming {
  const queue = new CountingQueue(state.db, () => newId(), config.raw.workers?.maxAttempts);
  const worker = new Worker({
    ...workerSettings(config),
    queue,
    runners: { backup: nothing },
    clock: engine.clock,
    log,
  });
  worker.start();
  return {
    mode: 'backstop',
    stop: async () => {
      await worker.stop();
      return queue.finished;
    },
  };
}

/** `concurrency` loops, as many as the Worker runs: claim the oldest queued row with a lease, then finish it. */
function startBare(db: StateDb): Claiming {
  const { concurrency, leaseMs } = workerSettings(config);
  let stopping = false;
  let finished = 0;
  const loop = async (owner: string) => {
    while (!stopping) {
      const now = new Date();
      const claimed = await sql<{ id: string }>`
        update bare_queue set status = 'running', attempts = attempts + 1, lease_owner = ${owner},
          lease_expires_at = ${new Date(now.getTime() + leaseMs)}, started_at = ${now}
        where id = (select id from bare_queue where status = 'queued' order by seq limit 1 for update skip locked)
        returning id`.execute(db);
      const id = claimed.rows[0]?.id;
      if (id === undefined) return;
      const done = await sql`
        update bare_queue set status = 'succeeded', finished_at = ${new Date()}, lease_owner = null,
          lease_expires_at = null
        where id = ${id} and lease_owner = ${owner} and status = 'running'`.execute(db);
      if (Number(done.numAffectedRows) === 1) {
        finished++;
        send({ type: 'finished' });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, (_, i) => loop(`bare-${instanceArg}-${i}`));
  return {
    mode: 'bare',
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return finished;
    },
  };
}

process.on('message', (message: ParentMessage) => {
  void (async () => {
    if (message.type === 'claims') {
      peaks.delete('claims');
      enter('claims');
      claiming = message.mode === 'backstop' ? startBackstop() : startBare(state.db);
    } else if (message.type === 'stop-claims' && claiming) {
      const { mode } = claiming;
      const finished = await claiming.stop();
      claiming = undefined;
      const peakMb = peakOf('claims');
      enter('settled');
      send({ type: 'claims-stopped', mode, finished, peakMb });
    } else if (message.type === 'exit') {
      const stopAt = performance.now();
      await scheduler.stop();
      const schedulerStopMs = Math.round(performance.now() - stopAt);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await state.close();
      // Whatever a library left scheduled must not keep a finished instance alive.
      process.send!({ type: 'exited', maxRssMb: mb(process.resourceUsage().maxRSS * 1024), schedulerStopMs }, () =>
        process.exit(0),
      );
    }
  })().catch((error: unknown) => {
    send({ type: 'log', line: `instance ${instanceArg}: ${String((error as Error).stack ?? error)}`, level: 'error' });
    process.exit(1);
  });
});
