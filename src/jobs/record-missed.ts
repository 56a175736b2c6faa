import type { EventData } from '../domain/events.ts';
import { type Target, targetName } from '../domain/target.ts';
import type { JobsContext } from './jobs-context.ts';

type MissedType = 'backup.missed' | 'drill.missed';

/**
 * Records that something `target` should have had by now is missing (`backup.missed`: no scheduled backup
 * completed; `drill.missed`: no backup proven restorable), once per stretch however many instances notice it: the
 * dedupe key names the target and the stretch's start, `since`. Logs it when this call recorded it, and says so.
 */
export async function recordMissed<T extends MissedType>(
  ctx: Pick<JobsContext, 'events' | 'log'>,
  type: T,
  target: Pick<Target, 'app' | 'env'>,
  since: Date,
  facts: Omit<EventData[T], 'app' | 'env'>,
  now: Date,
): Promise<boolean> {
  const name = targetName(target);
  const data = { app: target.app, env: target.env, ...facts } as EventData[T];
  const event = { type, app: target.app, env: target.env, subjectId: null, data };
  const isNew = await ctx.events.record(
    { ...event, dedupeKey: `${type}:${name}:${since.toISOString()}` } as Parameters<typeof ctx.events.record>[0],
    now,
  );
  if (isNew) {
    const what =
      type === 'backup.missed' ? `no scheduled backup of ${name} completed` : `no backup of ${name} proven restorable`;
    ctx.log(`${what} since ${since.toISOString()}: ${type}`);
  }
  return isNew;
}
