import { targetName } from '../../src/domain/target.ts';
import type { ScheduleSummary } from '../../src/jobs/schedule-summary.ts';
import { scheduleJson } from '../../src/use-cases/json-shapes.ts';
import { readSchedules } from '../../src/use-cases/read-schedules.ts';
import type { Command } from '../command.ts';
import { formatTime } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { type Phrase, type Span, statusTone, type ViewBlock } from './reply-view.ts';
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

/**
 * The schedules as a table (with the drills' schedules and proofs when a target has either), then each retention
 * policy with the targets that keep it.
 */
function scheduleView(summaries: readonly ScheduleSummary[]): ViewBlock[] {
  const drilled = summaries.some(
    (summary) =>
      summary.drill.schedule !== 'off' || summary.drill.lastProven !== null || summary.drill.lastFailed !== null,
  );
  const rows = summaries.map((summary): Phrase[] => [
    ...backupCells(summary),
    ...(drilled ? drillCells(summary.drill) : []),
  ]);
  const policies = new Map<string, string[]>();
  for (const summary of summaries) {
    const policy = retentionText(summary);
    policies.set(policy, [...(policies.get(policy) ?? []), targetName(summary)]);
  }
  const columns = ['TARGET', 'PARTS', 'CRON', 'TIME ZONE', 'NEXT RUN', 'LAST SCHEDULED BACKUP'];
  const noDrills: ViewBlock[] = drilled
    ? []
    : [{ kind: 'line', phrase: 'Drills: none scheduled; no backup proven restorable yet.' }];
  return [
    {
      kind: 'table',
      columns: [...columns, ...(drilled ? ['DRILLS', 'NEXT DRILL', 'LAST PROVEN RESTORABLE'] : [])],
      rows,
    },
    ...summaries.flatMap((summary): ViewBlock[] => {
      const failed = summary.drill.lastFailed;
      if (failed === null) return [];
      const phrase: Phrase = [
        `${targetName(summary)}: `,
        { text: 'drill FAILED', tone: 'bad' },
        ' at ',
        { at: failed.at },
        ` (drill ${failed.drillId} of backup ${failed.backupId}): ${failed.error}`,
      ];
      return [{ kind: 'line', phrase }];
    }),
    { kind: 'line', phrase: '' },
    ...[...policies].map(
      ([policy, targets]): ViewBlock => ({
        kind: 'line',
        phrase: `Retention of ${targets.join(', ')}: ${policy}`,
      }),
    ),
    ...noDrills,
  ];
}

/** A target's backup schedule, next run and last scheduled backup, as cells. */
function backupCells(summary: ScheduleSummary): Phrase[] {
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
  if (summary.schedule === 'off') return [targetName(summary), '', { text: 'off', tone: 'quiet' }, '', '', lastPhrase];
  const { parts, cron, timezone } = summary.schedule;
  return [targetName(summary), parts, cron, timezone, summary.nextRunAt ? { at: summary.nextRunAt } : '', lastPhrase];
}

/** A target's drill schedule ("0 5 * * 0 (UTC)" or off), next drill and the backup last proven restorable. */
function drillCells(drill: ScheduleSummary['drill']): Phrase[] {
  const proven = drill.lastProven;
  const last: Phrase =
    proven === null
      ? { text: 'none yet', tone: 'quiet' }
      : [`${proven.backupId}${proven.seconds === null ? '' : ` in ${proven.seconds} s`}, `, { at: proven.at }];
  if (drill.schedule === 'off') return [{ text: 'off', tone: 'quiet' }, '', withFailure(last, drill)];
  return [
    `${drill.schedule.cron} (${drill.schedule.timezone})`,
    drill.nextRunAt ? { at: drill.nextRunAt } : '',
    withFailure(last, drill),
  ];
}

/** The last proof's cell, marked when a drill failed since (what failed is said below the table). */
function withFailure(last: Phrase, drill: ScheduleSummary['drill']): Phrase {
  if (drill.lastFailed === null) return last;
  const failed: Span = { text: 'FAILED (below)', tone: 'bad' };
  if (drill.lastProven === null) return failed;
  const before: readonly Span[] = typeof last === 'object' && Symbol.iterator in last ? last : [last as Span];
  return [failed, '; proven before: ', ...before];
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
  const failed = drill.lastFailed;
  const failure =
    failed === null
      ? ''
      : `; drill FAILED at ${formatTime(failed.at)} (drill ${failed.drillId} of backup ${failed.backupId}): ${failed.error}`;
  return `${when}; ${last}${failure}`;
}
