import { targetName } from '../../src/domain/target.ts';
import type { ScheduleSummary } from '../../src/jobs/schedule-summary.ts';
import { scheduleJson } from '../../src/use-cases/json-shapes.ts';
import { readSchedules } from '../../src/use-cases/read-schedules.ts';
import type { Command } from '../command.ts';
import { formatTime } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/** `schedule [target]`: each target's schedule, next run, last scheduled result and retention policy. */
export async function handleSchedule(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'schedule' }>,
): Promise<Reply> {
  const target =
    command.target !== undefined || ctx.binding?.env !== undefined
      ? resolveTarget(ctx, command.target, 'schedule')
      : undefined;
  const app = target?.app ?? ctx.binding?.app;
  const summaries = await readSchedules(ctx.engine, ctx.principal, {
    ...(app !== undefined && { app }),
    ...(target !== undefined && { env: target.env }),
  });
  const text =
    summaries.length === 0 ? 'No targets are configured.' : summaries.map((s) => scheduleText(s)).join('\n\n');
  return { outcome: 'ok', text, data: summaries.map(scheduleJson) };
}

function scheduleText(summary: ScheduleSummary): string {
  const name = targetName(summary);
  const { scheduled, onDemand } = summary.retention;
  const retention =
    `retention: scheduled ${scheduled.daily} daily / ${scheduled.weekly} weekly / ${scheduled.monthly} monthly` +
    `, on-demand ${onDemand.keepLast} newest + ${onDemand.maxAgeDays} days`;
  const drill = drillText(summary.drill);
  if (summary.schedule === 'off') return `*${name}*: no schedule (schedule: off)\n  ${retention}\n  ${drill}`;
  const last = summary.lastBackup;
  const lastText =
    last === null
      ? 'no scheduled backup yet'
      : `${last.id} ${last.status} (${formatTime(last.createdAt)})${last.error ? `: ${last.error}` : ''}`;
  return [
    `*${name}*: ${summary.schedule.parts} at "${summary.schedule.cron}" (${summary.schedule.timezone})`,
    `  next run: ${summary.nextRunAt ? formatTime(summary.nextRunAt) : 'none'}`,
    `  last: ${lastText}`,
    `  ${retention}`,
    `  ${drill}`,
  ].join('\n');
}

/** "drills: "0 5 * * 0" (UTC), next 2026-12-13 05:00 UTC; last proven restorable: 7k3qx2 at ... (in 42 s)". */
function drillText(drill: ScheduleSummary['drill']): string {
  const when =
    drill.schedule === 'off'
      ? 'drills: none scheduled'
      : `drills: "${drill.schedule.cron}" (${drill.schedule.timezone}), next ${drill.nextRunAt ? formatTime(drill.nextRunAt) : 'none'}`;
  const proven = drill.lastProven;
  const last =
    proven === null
      ? 'no backup proven restorable yet'
      : `last proven restorable: ${proven.backupId} at ${formatTime(proven.at)}${proven.seconds === null ? '' : ` (in ${proven.seconds} s)`}`;
  return `${when}; ${last}`;
}
