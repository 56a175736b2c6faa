import { periodKey, periodLabel } from './calendar-period.ts';
import type { RetentionSimulation } from './simulate-retention.ts';
import { ZoneCalendar } from './zone-calendar.ts';

const dayMs = 86_400_000;
const labelWidth = 9;
const tierRows = ['daily', 'weekly', 'monthly'];

/**
 * Draws what a policy keeps as plain text: one row per tier (daily, weekly, monthly, then any other tier present),
 * time running left to right from the oldest kept backup to `now`, a date axis in `timezone` (default UTC) and a
 * legend with the counts. A mark is `*` for one backup in a column, a digit for 2 to 9, `+` for more: on a year-long
 * axis the dailies share a column or two, and the digit says how many.
 */
export function renderRetentionTimeline(
  result: RetentionSimulation,
  options: { width: number; now: Date; timezone?: string },
): string {
  const calendar = ZoneCalendar.of(options.timezone ?? 'UTC');
  const columns = Math.max(20, options.width - labelWidth);
  const to = options.now.getTime();
  const from = Math.min(to - dayMs, ...result.kept.map((backup) => backup.at.getTime()));
  const msPerColumn = (to - from) / (columns - 1);
  const columnOf = (ms: number) => Math.min(columns - 1, Math.max(0, Math.round((ms - from) / msPerColumn)));
  const dayOf = (ms: number) => periodLabel('day', calendar.dayNumberOf(ms));

  const tiers = [...new Set([...tierRows, ...result.kept.map((backup) => backup.tier)])];
  const rows = tiers.map((tier) => {
    const counts = new Array<number>(columns).fill(0);
    for (const backup of result.kept) if (backup.tier === tier) counts[columnOf(backup.at.getTime())]! += 1;
    return tier.padEnd(labelWidth) + counts.map(mark).join('');
  });

  const axis = dateAxis(columns, (column) => calendar.dayNumberOf(from + column * msPerColumn));
  const count = (tier: string) => result.kept.filter((backup) => backup.tier === tier).length;
  const perColumn =
    msPerColumn >= dayMs ? `${(msPerColumn / dayMs).toFixed(1)} days` : `${(msPerColumn / 3_600_000).toFixed(1)} hours`;
  return [
    `Kept backups, ${dayOf(from)} to ${dayOf(to)} (${options.timezone ?? 'UTC'})`,
    ...rows,
    ' '.repeat(labelWidth) + axis.line,
    (' '.repeat(labelWidth) + axis.labels).trimEnd(),
    `${tiers.map((tier) => `${count(tier)} ${tier}`).join(', ')} kept (${result.kept.length}), ${result.deleted} deleted`,
    `one column = ${perColumn}; * one backup, 2-9 that many in one column, + ten or more`,
  ].join('\n');
}

function mark(count: number): string {
  if (count === 0) return '-';
  if (count === 1) return '*';
  return count <= 9 ? String(count) : '+';
}

/** The axis marks: days, months or years, the finest that leaves at least three columns per mark. */
const scales: Array<{ key: (dayNumber: number) => number; label: (key: number) => string }> = [
  { key: (day) => day, label: (key) => periodLabel('day', key) },
  { key: (day) => periodKey('month', day), label: (key) => periodLabel('month', key) },
  { key: (day) => Math.floor(periodKey('month', day) / 12), label: String },
];

/** An axis line with a `+` where a day, month or year begins, and labels below it. */
function dateAxis(columns: number, dayNumberAt: (column: number) => number): { line: string; labels: string } {
  const ticksOf = (scale: (typeof scales)[number]) => {
    const ticks: Array<{ column: number; label: string }> = [];
    for (let column = 1; column < columns; column++) {
      const key = scale.key(dayNumberAt(column));
      if (key !== scale.key(dayNumberAt(column - 1))) ticks.push({ column, label: scale.label(key) });
    }
    return ticks;
  };
  const ticks = scales.map(ticksOf).find((ticks) => ticks.length <= columns / 3) ?? [];
  const line = new Array<string>(columns).fill('-');
  for (const tick of ticks) line[tick.column] = '+';
  // Label every step-th tick, the smallest step that leaves two spaces between labels, so labels stay evenly spaced.
  let step = 1;
  const labelled = () => ticks.filter((_, index) => index % step === 0);
  const crowded = () =>
    labelled().some((tick, index, all) => index > 0 && tick.column - all[index - 1]!.column < tick.label.length + 2);
  while (crowded()) step += 1;
  let labels = '';
  for (const tick of labelled())
    if (tick.column + tick.label.length <= columns) labels = labels.padEnd(tick.column) + tick.label;
  return { line: line.join(''), labels };
}
