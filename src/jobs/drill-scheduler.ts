import { backupToDrill, provenBackupOf } from '../domain/drill.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { type Target, targetName } from '../domain/target.ts';
import { nextSlot, previousSlot, schedulePeriodMs } from './cron-slots.ts';
import type { CronTimer, CronTimers } from './cron-timers.ts';
import { enqueueDrill } from './enqueue-drill.ts';
import type { JobsContext } from './jobs-context.ts';
import { NodeScheduleTimers } from './node-schedule-timers.ts';
import { recordMissed } from './record-missed.ts';

type DrilledTarget = Target & { drill: { schedule: { cron: string; timezone: string } } };

/** A day: how late a proof may be, past its drill period, before `drill.missed`. */
const DAY_MS = 86_400_000;

/**
 * Runs restore drills on the targets' `drill: { cron, timezone }` schedules, in every running instance.
 *
 * Contract:
 * - Each firing queues a drill of the target's newest completed backup for that slot (`fire`); the drills' unique
 *   (target, slot) makes any number of instances queue it exactly once. A target without a completed backup is
 *   skipped and logged.
 * - On start, the latest slot that passed while no instance ran is queued once (`catchUp`), when the schedule had
 *   fired before it (a scheduled drill of the target exists from before that slot): a drill schedule just added does
 *   not drill at once, and a restart after a missed Sunday drills that Sunday's slot rather than waiting a week.
 * - A target whose newest proof (or, before its first, its first scheduled drill) is older than its drill period
 *   plus a day gets one `drill.missed` event per stretch, whichever instance notices first (`checkMissed`).
 * - Nothing its timers run can crash the process: failures are logged. `stop()` cancels its timers and waits for the
 *   work they started.
 */
export class DrillScheduler {
  private readonly timers: CronTimers;
  private readonly missedCheckMs: number;
  private readonly jobs: CronTimer[] = [];
  private missedTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: JobsContext,
    options: { timers?: CronTimers; missedCheckMs?: number } = {},
  ) {
    this.timers = options.timers ?? new NodeScheduleTimers();
    this.missedCheckMs = options.missedCheckMs ?? 60_000;
  }

  /**
   * Sets a timer per drill schedule (cron and zone) and the periodic missed-drill check, then catches up a missed
   * slot in the background (awaited by `stop()`).
   */
  start(): void {
    const groups = new Map<string, DrilledTarget[]>();
    for (const target of drilledTargets(this.ctx.targets)) {
      const key = JSON.stringify([target.drill.schedule.cron, target.drill.schedule.timezone]);
      groups.set(key, [...(groups.get(key) ?? []), target]);
    }
    for (const group of groups.values()) {
      const { cron, timezone } = group[0]!.drill.schedule;
      const job = this.timers.schedule(cron, timezone, (slot) =>
        this.track(`firing the drill schedule ${cron}`, async () => {
          for (const target of group)
            await this.fire(target, slot).catch((error: unknown) => this.failed(target, error));
        }),
      );
      if (job) this.jobs.push(job);
      else this.ctx.log(`the drill schedule ${cron} (${timezone}) has no future firing, so it is not scheduled`);
    }
    if (groups.size > 0) {
      void this.track('catching up a missed drill', () => this.catchUp(this.ctx.clock()));
      this.missedTimer = setInterval(
        () => void this.track('checking for missed drills', () => this.checkMissed(this.ctx.clock())),
        this.missedCheckMs,
      );
    }
  }

  async stop(): Promise<void> {
    for (const job of this.jobs.splice(0)) job.cancel();
    clearInterval(this.missedTimer);
    this.missedTimer = undefined;
    await Promise.all([...this.inFlight]);
  }

  /**
   * Queues the drill of `target`'s newest completed backup for `slot` (cut to whole seconds). True when this call
   * queued it; false when the slot's drill existed (another instance queued it) or there is nothing to drill.
   */
  async fire(target: Target, slot: Date): Promise<boolean> {
    const at = new Date(Math.floor(slot.getTime() / 1000) * 1000);
    const newest = backupToDrill(await this.ctx.catalog.listBackups({ app: target.app, env: target.env }), target);
    if (!newest) {
      this.ctx.log(`scheduled drill of ${targetName(target)} for ${at.toISOString()}: no completed backup to drill`);
      return false;
    }
    const queued = await enqueueDrill(this.ctx, { backupId: newest.id, requestedBy: 'schedule', slot: at });
    if (!queued) return false;
    this.ctx.log(
      `scheduled drill ${queued.drill.id} of backup ${newest.id} of ${targetName(target)} for ${at.toISOString()} queued`,
    );
    return true;
  }

  /**
   * For each target on a drill schedule, queues the drill of the latest slot at or before `now` when its schedule had
   * fired before that slot and nobody queued that slot's drill. Returns how many drills this call queued.
   */
  async catchUp(now: Date): Promise<number> {
    let queued = 0;
    for (const target of drilledTargets(this.ctx.targets)) {
      try {
        const slot = previousSlot(target.drill.schedule, now);
        const first = await this.ctx.catalog.drills.firstScheduled(target.app, target.env);
        if (first === undefined || slot.getTime() <= first.getTime()) continue;
        if (await this.fire(target, slot)) queued += 1;
      } catch (error) {
        this.failed(target, error);
      }
    }
    return queued;
  }

  /**
   * Records `drill.missed` for each target on a drill schedule whose newest proof is older than its drill period plus
   * a day (never proven: counted from its first scheduled drill; none yet: nothing to say). Returns how many events
   * this call recorded.
   */
  async checkMissed(now: Date): Promise<number> {
    let recorded = 0;
    for (const target of drilledTargets(this.ctx.targets)) {
      try {
        const backups = await this.ctx.catalog.listBackups({ app: target.app, env: target.env });
        const proven = provenBackupOf(backups, target);
        const reference = proven?.provenAt ?? (await this.ctx.catalog.drills.firstScheduled(target.app, target.env));
        if (reference === undefined || reference === null) continue;
        const period = schedulePeriodMs(target.drill.schedule, reference);
        const due = Math.max(
          reference.getTime() + period + DAY_MS,
          nextSlot(target.drill.schedule, reference).getTime(),
        );
        if (now.getTime() <= due) continue;
        const name = targetName(target);
        const facts = {
          lastProvenBackupId: proven?.id ?? null,
          lastProvenAt: proven?.provenAt?.toISOString() ?? null,
          expectedEveryMs: period,
          schedule: { cron: target.drill.schedule.cron, timezone: target.drill.schedule.timezone },
          hint:
            `Check that backstop serve (or a worker) is running and look at the drills of ${name}: ` +
            `backstop status --all, then drill by hand with: backstop drill ${name}`,
        };
        if (await recordMissed(this.ctx, 'drill.missed', target, reference, facts, now)) recorded += 1;
      } catch (error) {
        this.failed(target, error);
      }
    }
    return recorded;
  }

  private failed(target: Target, error: unknown): void {
    this.ctx.log(`drill scheduler: ${targetName(target)}: ${reasonOf(error)}`);
  }

  /** Runs work started by a timer: logged if it fails, never rejected, and awaited by `stop()`. */
  private track(what: string, work: () => Promise<unknown>): Promise<void> {
    const done = (async () => {
      try {
        await work();
      } catch (error) {
        this.ctx.log(`drill scheduler: ${what} failed: ${reasonOf(error)}`);
      }
    })();
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }
}

function drilledTargets(targets: readonly Target[]): DrilledTarget[] {
  return targets.filter((t): t is DrilledTarget => t.drill !== undefined && t.drill.schedule !== 'off');
}
