import type { Backup } from './backup.ts';
import { configuredParts, type Target } from './target.ts';

export type DrillStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * One restore drill: a backup restored into scratch space that is made for the drill and always removed, then
 * checked (every table's row count as recorded at backup time, the configured SQL assertions, every media file's
 * sha256). It never touches the backup's target.
 */
export interface Drill {
  id: string;
  backupId: string;
  app: string;
  env: string;
  status: DrillStatus;
  requestedBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** What failed: the check, the table, recorded against found; null while running or when it passed. */
  error: string | null;
  /** How long the restore and the checks took, once it ended. */
  seconds: number | null;
  /** For a scheduled drill, the scheduled time it was fired for. */
  slot: Date | null;
}

export type NewDrill = Pick<Drill, 'backupId' | 'app' | 'env' | 'requestedBy'>;

/** What every drill's scratch database and directory are named after, with the id of the operation running it. */
export const DRILL_SCRATCH_PREFIX = 'backstop_drill_';

/**
 * The scratch space of the attempt under lease `generation` of the drill run by operation `operationId`:
 * `backstop_drill_<operationId>` (`backstop_drill_<operationId>_g2` for a later attempt), as a database name and a
 * directory name. Named after the operation, so that whatever a killed drill left is found again and removed only once
 * that attempt's lease is no longer live; and after the attempt, so that an attempt cut off past its lease removes
 * only its own, never the scratch space of the attempt that took over.
 */
export function drillScratchName(operationId: string, generation = 1): string {
  return `${DRILL_SCRATCH_PREFIX}${operationId}${generation > 1 ? `_g${generation}` : ''}`;
}

/** The operation and lease generation a scratch name belongs to, or undefined when it is not a drill's. */
export function attemptOfScratch(name: string): { operationId: string; generation: number } | undefined {
  const match = /^backstop_drill_([a-z0-9]{1,32})(?:_g([0-9]{1,9}))?$/.exec(name);
  if (match === null) return undefined;
  return { operationId: match[1]!, generation: match[2] === undefined ? 1 : Number(match[2]) };
}

/**
 * The backup a drill of a whole target proves, from its backups newest first: the newest completed one that holds
 * every part the target has, so that a media-only backup taken last does not leave the database unproven while the
 * target reads as proven; else the newest completed one with the database; else the newest completed one.
 */
export function backupToDrill(
  backups: readonly Backup[],
  target: Pick<Target, 'database' | 'media'> | undefined,
): Backup | undefined {
  const completed = backups.filter((backup) => backup.status === 'completed');
  const holds = (backup: Backup, parts: string) =>
    parts.split('+').every((part) => backup.parts.split('+').includes(part));
  const everyPart = target === undefined ? undefined : configuredParts(target);
  return (
    (everyPart === undefined ? undefined : completed.find((backup) => holds(backup, everyPart))) ??
    completed.find((backup) => holds(backup, 'db')) ??
    completed[0]
  );
}

/**
 * Whether a backup's proof stands for its target: a backup without the database part proves nothing of a target that
 * has a database (its media restored, its database unproven), so only backups holding the database count there; for
 * a target without a database (or one no longer configured: `target` undefined), every backup counts.
 */
export function provesTarget(backup: Pick<Backup, 'parts'>, target: Pick<Target, 'database'> | undefined): boolean {
  return target?.database === undefined || backup.parts.split('+').includes('db');
}

/**
 * The backup that stands as its target's proof: of the backups a drill proved restorable and that prove the target
 * (provesTarget), the newest one, by when it was taken. Not the proof made last: drilling an old backup again says
 * nothing of the recent ones, and must not keep an alert on the target's proof quiet.
 */
export function provenBackupOf<B extends Pick<Backup, 'parts' | 'provenAt' | 'createdAt'>>(
  backups: readonly B[],
  target: Pick<Target, 'database'> | undefined,
): B | undefined {
  let proven: B | undefined;
  for (const backup of backups) {
    if (backup.provenAt === null || !provesTarget(backup, target)) continue;
    if (!proven || backup.createdAt > proven.createdAt) proven = backup;
  }
  return proven;
}
