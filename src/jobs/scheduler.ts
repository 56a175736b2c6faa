import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { type Target, targetName } from '../domain/target.ts';
import { expireDownloads } from '../engine/expire-downloads.ts';
import { nextSlot, previousSlot, schedulePeriodMs } from './cron-slots.ts';
import type { CronTimer, CronTimers } from './cron-timers.ts';
import { enqueueScheduledBackup } from './enqueue.ts';
import type { JobsContext } from './jobs-context.ts';
import { NodeScheduleTimers } from './node-schedule-timers.ts';
import { pruneAndRecord } from './prune-and-record.ts';
import { recordMissed } from './record-missed.ts';
import { lastCompletedScheduledBackup, scheduledTimeOf } from './schedule-summary.ts';

export interface SchedulerOptions {
  /** How often to look for targets whose scheduled backups stopped completing (default one minute). */
  missedCheckMs?: number;
  /** Where the cron firings come from (default node-schedule). */
  timers?: CronTimers;
}

type ScheduledTarget = Target & { schedule: Exclude<Target['schedule'], 'off'> };

/** The daily prune, in UTC: after the default 02:00 backups, before anyone starts work in Europe. */
const DAILY_PRUNE = { rule: '30 3 * * *', tz: 'UTC' };

/** How long finished operations stay in the queue's table. */
const FINISHED_OPERATIONS_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** Firings of one schedule's targets in progress at once, per instance (the state's pool holds ten connections). */
const FIRING_LANES = 4;

const MISSED_HINT =
  'Check that backstop serve (or a worker) is running and look at the failed backups of this target with: ' +
  'backstop list app/env';

/**
 * Takes scheduled backups in every running instance (DESIGN.md "Jobs and scale").
 *
 * Contract:
 * - Each firing of a schedule queues the backup of that slot for every target that has it (one timer per cron and
 *   zone); the slot's unique index makes any number of instances queue it exactly once (`fire`).
 * - On start, the latest slot that passed while no instance ran is queued once (`catchUp`), unless it lies before
 *   the target's schedule was first seen (a new install does not back up at once). A slot that comes while the
 *   scheduler starts is queued too: by its timer, set before the catch-up begins.
 * - A target whose last completed scheduled backup is older than two periods gets one `backup.missed` event per
 *   stretch, whichever instance notices first (`checkMissed`).
 * - Every target is pruned daily at 03:30 UTC (`pruneAll`).
 * - Nothing the timers run can crash the process: failures are logged. `stop()` cancels only this scheduler's jobs
 *   and timers and waits for what they started; a pass over every target (catch-up, missed-backup check, prune,
 *   firing) ends at the target it is at, so stopping takes one target's work, not a pass's (minutes over thousands).
 */
export class Scheduler {
  private readonly missedCheckMs: number;
  private readonly timers: CronTimers;
  private readonly jobs: CronTimer[] = [];
  private missedTimer: NodeJS.Timeout | undefined;
  private checkingMissed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  /** Set by stop(): passes over every target end at the target they are at. */
  private stopping = false;

  constructor(
    private readonly ctx: JobsContext,
    options: SchedulerOptions = {},
  ) {
    this.missedCheckMs = options.missedCheckMs ?? 60_000;
    this.timers = options.timers ?? new NodeScheduleTimers();
  }

  /**
   * Records when each scheduled target was first seen, catches up missed slots, then schedules every target's cron,
   * the missed-backup check and the daily prune. Resolves once all are scheduled; failures are logged, not thrown.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    await this.track('forgetting schedules turned off', () => this.forgetSchedulesOff());
    if (!this.running) return; // stopped meanwhile
    // The timers before the catch-up, and the catch-up from a moment after they are set: a slot that comes while the
    // catch-up runs (minutes, over thousands of targets) is fired by its timer, and every slot before is the
    // catch-up's. Catching up first, such a slot was neither: it came after the catch-up's "now", and its timer was
    // set after it.
    this.scheduleTargets(scheduledTargets(this.ctx.targets));
    this.addJob('the daily prune', DAILY_PRUNE, () => this.track('pruning', () => this.pruneAll()));
    await this.track('catching up missed slots', () => this.catchUp(this.ctx.clock()));
    if (!this.running) return; // stopped while catching up
    this.missedTimer = setInterval(() => this.checkMissedInBackground(), this.missedCheckMs);
  }

  /** Cancels this scheduler's jobs and timer, then waits for the work they started to end. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    for (const job of this.jobs.splice(0)) job.cancel();
    clearInterval(this.missedTimer);
    this.missedTimer = undefined;
    await Promise.all([...this.inFlight]);
  }

  /**
   * Queues the scheduled backup of `target` for `slot` (cut to whole seconds) with the schedule's parts. True when
   * this call created it, false when it existed (another instance, or an earlier call, queued it).
   */
  async fire(target: Target, slot: Date): Promise<boolean> {
    return (await this.queue(target, slot)) !== undefined;
  }

  /**
   * For each scheduled target, queues the latest slot at or before `now` if it is later than the target's first
   * sighting and has no backup yet. Returns the ids of the backups this call created. A target that fails is logged
   * and the others go on.
   */
  async catchUp(now: Date): Promise<string[]> {
    const created: string[] = [];
    // Every target of one schedule has the same latest slot: worked out once (cron-parser's prev() takes milliseconds).
    const latestSlots = new Map<string, Date>();
    for (const target of scheduledTargets(this.ctx.targets)) {
      if (this.stopping) break;
      await this.forTarget('catching up', target, async () => {
        const firstSeen = await this.firstSeen(target, now);
        const key = scheduleKey(target.schedule);
        const slot = latestSlots.get(key) ?? previousSlot(target.schedule, now);
        latestSlots.set(key, slot);
        if (slot.getTime() <= firstSeen.getTime()) return;
        const backup = await this.queue(target, slot);
        if (backup) created.push(backup.id);
      });
    }
    return created;
  }

  /**
   * Records a `backup.missed` event for each scheduled target that has had no completed scheduled backup for more
   * than two periods, counted from the newest completed one's slot or from when the schedule was first seen,
   * whichever is later.
   * Once per stretch: the dedupe key names the stretch's start. Returns how many events this call recorded.
   */
  async checkMissed(now: Date): Promise<number> {
    let recorded = 0;
    for (const target of scheduledTargets(this.ctx.targets)) {
      if (this.stopping) break;
      await this.forTarget('checking for missed backups of', target, async () => {
        const firstSeen = await this.firstSeen(target, now);
        const last = await lastCompletedScheduledBackup(this.ctx, target);
        // The later of the two: a schedule turned back on is counted from then, not from its last backup before.
        const lastAt = last ? scheduledTimeOf(last) : undefined;
        const reference = lastAt && lastAt.getTime() > firstSeen.getTime() ? lastAt : firstSeen;
        const period = schedulePeriodMs(target.schedule, reference);
        if (now.getTime() <= missedAfter(target.schedule, reference, period).getTime()) return;
        const facts = {
          lastCompletedBackupId: last?.id ?? null,
          lastCompletedAt: last?.completedAt?.toISOString() ?? null,
          expectedEveryMs: period,
          schedule: { cron: target.schedule.cron, timezone: target.schedule.timezone },
          hint: MISSED_HINT.replace('app/env', targetName(target)),
        };
        if (await recordMissed(this.ctx, 'backup.missed', target, reference, facts, now)) recorded += 1;
      });
    }
    return recorded;
  }

  /**
   * Applies retention to every configured target (scheduled or not) and records a `retention.pruned` event for each
   * that lost backups. A target that fails is logged and the others go on.
   */
  async pruneAll(): Promise<void> {
    for (const target of this.ctx.targets) {
      if (this.stopping) break;
      await this.forTarget('pruning', target, async () => {
        await pruneAndRecord(this.ctx, target, { dryRun: false });
      });
    }
    // The queue's history: finished operations are kept a while for `status`-style questions, then dropped.
    const before = new Date(this.ctx.clock().getTime() - FINISHED_OPERATIONS_KEPT_MS);
    const dropped = await this.ctx.operations.deleteFinishedBefore(before);
    if (dropped > 0) this.ctx.log(`dropped ${dropped} operations finished before ${before.toISOString()}`);
  }

  private async queue(target: Target, slot: Date): Promise<Backup | undefined> {
    if (target.schedule === 'off') {
      throw new BackstopError('schedule-off', `${targetName(target)} has no schedule; nothing to fire`);
    }
    const at = new Date(Math.floor(slot.getTime() / 1000) * 1000);
    const queued = await enqueueScheduledBackup(this.ctx, target, target.schedule.parts, at);
    if (!queued) return undefined;
    this.ctx.log(`scheduled backup ${queued.backup.id} of ${targetName(target)} for ${at.toISOString()} queued`);
    return queued.backup;
  }

  /**
   * A schedule turned off and on again starts afresh: its first sighting is forgotten while it is off, so the
   * months it was off are neither caught up nor reported missed.
   */
  private async forgetSchedulesOff(): Promise<void> {
    const off = this.ctx.targets.filter((t) => t.schedule === 'off');
    if (off.length === 0) return;
    await this.ctx.catalog.transaction(async (_catalog, db) => {
      for (const target of off) {
        await db.deleteFrom('schedules').where('app', '=', target.app).where('env', '=', target.env).execute();
      }
    });
  }

  /**
   * When this target's schedule was first seen by any instance; records `now` if never. Concurrent instances agree:
   * the first insert wins and everyone reads it back.
   */
  private firstSeen(target: Target, now: Date): Promise<Date> {
    // The engine context exposes the state database only through the catalogue's transactions.
    return this.ctx.catalog.transaction(async (_catalog, db) => {
      await db
        .insertInto('schedules')
        .values({ app: target.app, env: target.env, first_seen_at: now })
        .onConflict((oc) => oc.columns(['app', 'env']).doNothing())
        .execute();
      const row = await db
        .selectFrom('schedules')
        .select('first_seen_at')
        .where('app', '=', target.app)
        .where('env', '=', target.env)
        .executeTakeFirstOrThrow();
      return row.first_seen_at;
    });
  }

  /**
   * One timer per schedule (cron and zone), firing every target that has it. node-schedule hands over one firing per
   * turn of the event loop, each after a cron-parser step: with a timer per target, ten thousand targets of one minute
   * took minutes to be handed over (bench/RESULTS.md, capacity).
   */
  private scheduleTargets(targets: readonly ScheduledTarget[]): void {
    const groups = new Map<string, ScheduledTarget[]>();
    for (const target of targets) {
      const key = scheduleKey(target.schedule);
      const group = groups.get(key);
      if (group) group.push(target);
      else groups.set(key, [target]);
    }
    for (const group of groups.values()) {
      const { cron, timezone } = group[0]!.schedule;
      const names = group.map(targetName);
      try {
        // A timer may not refuse a cron it cannot parse (node-schedule fires it every minute): check it first.
        nextSlot(group[0]!.schedule, this.ctx.clock());
      } catch (error) {
        for (const name of names) {
          this.ctx.log(`the schedule of ${name} (${cron}) is not usable, so it is not scheduled: ${reasonOf(error)}`);
        }
        continue;
      }
      const what = `the schedule ${cron} (${timezone}) of ${names.length === 1 ? names[0] : `${names.length} targets`}`;
      this.addJob(what, { rule: cron, tz: timezone }, (slot) => this.fireGroup(group, slot));
    }
  }

  /**
   * Queues `slot` for every target of `group`, each tracked and logged on its own as if it had its own timer.
   * FIRING_LANES at a time, so that the firing leaves the rest of the connection pool to the workers and HTTP; from a
   * random target on, so that instances firing together mostly queue different targets first instead of waiting on
   * each other's uncommitted slot. Targets not yet reached when the scheduler stops are left to the other instances.
   */
  private async fireGroup(group: readonly ScheduledTarget[], slot: Date): Promise<void> {
    const first = Math.floor(Math.random() * group.length);
    let next = 0;
    const lane = async () => {
      while (!this.stopping && next < group.length) {
        const target = group[(first + next++) % group.length]!;
        await this.track(`firing the schedule of ${targetName(target)}`, () => this.fire(target, slot));
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIRING_LANES, group.length) }, lane));
  }

  private addJob(what: string, spec: { rule: string; tz: string }, run: (slot: Date) => Promise<void>): void {
    const job = this.timers.schedule(spec.rule, spec.tz, run);
    if (job) this.jobs.push(job);
    else this.ctx.log(`${what} has no future firing, so it is not scheduled`);
  }

  private checkMissedInBackground(): void {
    // A check slower than the interval is not stacked up behind itself.
    if (this.checkingMissed) return;
    this.checkingMissed = true;
    void this.track('checking for missed backups and expired downloads', async () => {
      await this.checkMissed(this.ctx.clock());
      // Expired links no longer work; their plaintext files go within a minute, not at the next daily prune.
      await expireDownloads(this.ctx, this.ctx.clock());
    }).finally(() => {
      this.checkingMissed = false;
    });
  }

  /** Runs work started by a timer: logged if it fails, never rejected, and awaited by `stop()`. */
  private track(what: string, work: () => Promise<unknown>): Promise<void> {
    const done = (async () => {
      try {
        await work();
      } catch (error) {
        this.ctx.log(`scheduler: ${what} failed: ${reasonOf(error)}`);
      }
    })();
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }

  private async forTarget(what: string, target: Target, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.ctx.log(`scheduler: ${what} ${targetName(target)} failed: ${reasonOf(error)}`);
    }
  }
}

/** Targets with the same key fire at the same slots. */
function scheduleKey(schedule: ScheduledTarget['schedule']): string {
  return JSON.stringify([schedule.cron, schedule.timezone]);
}

function scheduledTargets(targets: readonly Target[]): ScheduledTarget[] {
  return targets.filter((t): t is ScheduledTarget => t.schedule !== 'off');
}

/**
 * When a target counts as missed: twice its period after the reference, and not before the second firing after it
 * (so a weekday-only cron is not reported missed over a weekend).
 */
function missedAfter(cron: ScheduledTarget['schedule'], reference: Date, periodMs: number): Date {
  const secondFiring = nextSlot(cron, nextSlot(cron, reference));
  return new Date(Math.max(reference.getTime() + 2 * periodMs, secondFiring.getTime()));
}
