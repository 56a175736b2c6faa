import { targetName } from '../../src/domain/target.ts';
import type { ScheduleSummary } from '../../src/jobs/schedule-summary.ts';
import { scheduleJson } from '../../src/use-cases/json-shapes.ts';
import { readSchedules } from '../../src/use-cases/read-schedules.ts';
import type { Command } from '../command.ts';
import { formatTime } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { type Phrase, statusTone, type ViewBlock } from './reply-view.ts';
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
  return {
    outcome: 'ok',
    text,
    data: summaries.map(scheduleJson),
    view: summaries.length === 0 ? [{ kind: 'line', phrase: text }] : scheduleView(summaries),
  };
}

/** The schedules as a table, then each retention policy with the targets that keep it. */
function scheduleView(summaries: readonly ScheduleSummary[]): ViewBlock[] {
  const rows = summaries.map((summary): Phrase[] => {
    const last = summary.lastBackup;
    const lastPhrase: Phrase =
      last === null
        ? { text: 'none yet', tone: 'quiet' }
        : [
            `${last.id} `,
            { text: last.status, tone: statusTone(last.status) },
            ' ',
            { at: last.createdAt },
            ...(last.error ? [`: ${last.error}`] : []),
          ];
    if (summary.schedule === 'off')
      return [targetName(summary), '', { text: 'off', tone: 'quiet' }, '', '', lastPhrase];
    const { parts, cron, timezone } = summary.schedule;
    return [targetName(summary), parts, cron, timezone, summary.nextRunAt ? { at: summary.nextRunAt } : '', lastPhrase];
  });
  const policies = new Map<string, string[]>();
  for (const summary of summaries) {
    const policy = retentionText(summary);
    policies.set(policy, [...(policies.get(policy) ?? []), targetName(summary)]);
  }
  return [
    { kind: 'table', columns: ['TARGET', 'PARTS', 'CRON', 'TIME ZONE', 'NEXT RUN', 'LAST SCHEDULED BACKUP'], rows },
    { kind: 'line', phrase: '' },
    ...[...policies].map(
      ([policy, targets]): ViewBlock => ({
        kind: 'line',
        phrase: `Retention of ${targets.join(', ')}: ${policy}`,
      }),
    ),
  ];
}

/** "scheduled 7 daily / 4 weekly / 12 monthly, on-demand 3 newest + 30 days" */
function retentionText(summary: ScheduleSummary): string {
  const { scheduled, onDemand } = summary.retention;
  return (
    `scheduled ${scheduled.daily} daily / ${scheduled.weekly} weekly / ${scheduled.monthly} monthly` +
    `, on-demand ${onDemand.keepLast} newest + ${onDemand.maxAgeDays} days`
  );
}

function scheduleText(summary: ScheduleSummary): string {
  const name = targetName(summary);
  const retention = `retention: ${retentionText(summary)}`;
  if (summary.schedule === 'off') return `*${name}*: no schedule (schedule: off)\n  ${retention}`;
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
  ].join('\n');
}
