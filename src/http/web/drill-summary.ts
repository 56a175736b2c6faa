import type { ScheduleSummary } from '../../jobs/schedule-summary.ts';
import { type Html, html } from './html.ts';
import { timeOf } from './layout.ts';

/** "Last proven restorable: <backup> at <time> (in 42 s)", a drill failed since, and the next scheduled drill. */
export function drillSummary(drill: ScheduleSummary['drill']): Html {
  const { lastProven: proven, lastFailed: failed } = drill;
  const provenHtml = proven
    ? html`Last proven restorable: <a href="/backups/${proven.backupId}">${proven.backupId}</a>, ${timeOf(proven.at)}${
        proven.seconds === null ? '' : ` (in ${proven.seconds} s)`
      }.`
    : html`<span class="muted">No backup proven restorable yet.</span>`;
  const failedHtml = failed
    ? html` <span class="status failed">Drill failed</span> ${timeOf(failed.at)} (backup <a href="/backups/${failed.backupId}">${failed.backupId}</a>): ${failed.error}`
    : '';
  const next = drill.nextRunAt ? html` Next drill ${timeOf(drill.nextRunAt)}.` : '';
  return html`<p class="drill-summary">${provenHtml}${failedHtml}${next}</p>`;
}
