import type { Backup, BackupStatus } from '../domain/backup.ts';
import { provenBackupOf, provesTarget } from '../domain/drill.ts';
import type { Target } from '../domain/target.ts';
import { nextSlot } from './cron-slots.ts';
import type { JobsContext } from './jobs-context.ts';

/** What `schedules` shows for one target: when it runs next, how its last scheduled backup went, what it keeps. */
export interface ScheduleSummary {
  app: string;
  env: string;
  schedule: Target['schedule'];
  /** The next slot after `now`; null when the schedule is off. */
  nextRunAt: Date | null;
  /** The newest scheduled backup, whatever its status. */
  lastBackup: {
    id: string;
    status: BackupStatus;
    createdAt: Date;
    completedAt: Date | null;
    error: string | null;
  } | null;
  /** When the newest completed scheduled backup completed. */
  lastCompletedAt: Date | null;
  retention: Target['retention'];
  /** Restore drills: their schedule and next run, and the newest proof of any backup of the target. */
  drill: {
    schedule: 'off' | { cron: string; timezone: string };
    nextRunAt: Date | null;
    lastProven: { backupId: string; at: Date; seconds: number | null } | null;
    /** The newest failed drill when it ended after the last proof (or there is none): what is wrong now. */
    lastFailed: { drillId: string; backupId: string; at: Date; error: string } | null;
  };
}

/**
 * One summary per configured target, in configuration order, optionally only those of `filter.app` and
 * `filter.env` (a filter naming no configured target gives an empty list). Reads only; schedules nothing.
 */
export async function describeSchedules(
  ctx: JobsContext,
  filter: { app?: string; env?: string } = {},
  now: Date,
): Promise<ScheduleSummary[]> {
  const targets = ctx.targets.filter(
    (t) => (filter.app === undefined || t.app === filter.app) && (filter.env === undefined || t.env === filter.env),
  );
  const summaries: ScheduleSummary[] = [];
  for (const target of targets) {
    const backups = await scheduledBackupsOf(ctx, target);
    const last = newest(backups);
    const lastCompleted = newest(backups.filter((b) => b.status === 'completed'));
    summaries.push({
      app: target.app,
      env: target.env,
      schedule: target.schedule,
      nextRunAt: target.schedule === 'off' ? null : nextSlot(target.schedule, now),
      lastBackup: last
        ? {
            id: last.id,
            status: last.status,
            createdAt: last.createdAt,
            completedAt: last.completedAt,
            error: last.error,
          }
        : null,
      lastCompletedAt: lastCompleted?.completedAt ?? null,
      retention: target.retention,
      drill: await drillSummary(ctx, target, now),
    });
  }
  return summaries;
}

async function drillSummary(ctx: JobsContext, target: Target, now: Date): Promise<ScheduleSummary['drill']> {
  const schedule = target.drill?.schedule ?? 'off';
  const backups = await ctx.catalog.listBackups({ app: target.app, env: target.env });
  const proven = provenBackupOf(backups, target);
  // A failure counts against the target when its backup could have stood as the proof: it proves the target and is
  // no older than the proven one; and it came after that proof.
  const failed = await ctx.catalog.drills.newestFailed(target.app, target.env);
  const failedBackup = failed && backups.find((backup) => backup.id === failed.backupId);
  const failedSince =
    failed !== undefined &&
    failedBackup !== undefined &&
    provesTarget(failedBackup, target) &&
    (proven === undefined || (failedBackup.createdAt >= proven.createdAt && failed.finishedAt! > proven.provenAt!));
  return {
    schedule,
    nextRunAt: schedule === 'off' ? null : nextSlot(schedule, now),
    lastProven: proven ? { backupId: proven.id, at: proven.provenAt!, seconds: proven.proofSeconds } : null,
    lastFailed: failedSince
      ? { drillId: failed.id, backupId: failed.backupId, at: failed.finishedAt!, error: failed.error ?? 'unknown' }
      : null,
  };
}

/** The newest completed scheduled backup of `target` (by the slot it was taken for), or undefined. */
export async function lastCompletedScheduledBackup(
  ctx: JobsContext,
  target: Pick<Target, 'app' | 'env'>,
): Promise<Backup | undefined> {
  return newest((await scheduledBackupsOf(ctx, target)).filter((b) => b.status === 'completed'));
}

/** The time a scheduled backup stands for: its slot (a catch-up is created after it), else when it was created. */
export function scheduledTimeOf(backup: Backup): Date {
  return backup.slot ?? backup.createdAt;
}

function scheduledBackupsOf(ctx: JobsContext, target: Pick<Target, 'app' | 'env'>): Promise<Backup[]> {
  return ctx.catalog.listBackups({ app: target.app, env: target.env, trigger: 'scheduled' });
}

function newest(backups: readonly Backup[]): Backup | undefined {
  let found: Backup | undefined;
  for (const backup of backups) {
    if (!found || scheduledTimeOf(backup).getTime() > scheduledTimeOf(found).getTime()) found = backup;
  }
  return found;
}
