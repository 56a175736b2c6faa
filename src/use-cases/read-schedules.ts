import { checkAppConfigured, findTarget } from '../domain/find-target.ts';
import type { Principal } from '../domain/principal.ts';
import { describeSchedules, type ScheduleSummary } from '../jobs/schedule-summary.ts';
import { authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

/** Each target's schedule, next run, last scheduled result and retention: of one target, one app, or all readable. */
export async function readSchedules(
  ctx: UseCaseContext,
  principal: Principal,
  filter: { app?: string; env?: string },
): Promise<ScheduleSummary[]> {
  if (filter.app !== undefined) {
    checkAppConfigured(ctx.targets, visibleTargets(ctx, principal, 'schedule.read'), filter.app);
    await authorizedRead(ctx, principal, 'schedule.read', filter.app, `schedule ${filter.app}`);
    if (filter.env !== undefined) findTarget(visibleTargets(ctx, principal, 'schedule.read'), filter.app, filter.env);
  }
  const visible = new Set(visibleTargets(ctx, principal, 'schedule.read').map((t) => t.app));
  const summaries = await describeSchedules(ctx, filter, ctx.clock());
  return summaries.filter((summary) => visible.has(summary.app));
}
