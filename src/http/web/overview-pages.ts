import type { AuditEntry } from '../../domain/audit-entry.ts';
import type { RetentionPolicy } from '../../domain/retention-policy.ts';
import type { ScheduleSummary } from '../../jobs/schedule-summary.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { drillSummary } from './drill-summary.ts';
import { type Html, html } from './html.ts';
import { page, timeOf } from './layout.ts';

/** Each environment's schedule: the next run, the last result, and what retention keeps, drawn as a timeline. */
export function schedulesPage(data: { session: WebSession; summaries: ScheduleSummary[] }): Html {
  return page(
    { title: 'Schedules', session: data.session, current: 'schedules' },
    html`<h1>Schedules</h1>
${data.summaries.length === 0 ? html`<p class="muted">No environment you may see.</p>` : data.summaries.map(scheduleSection)}`,
  );
}

function scheduleSection(summary: ScheduleSummary): Html {
  const name = `${summary.app}/${summary.env}`;
  const last = summary.lastBackup;
  return html`<section aria-labelledby="schedule-${summary.app}-${summary.env}">
  <h2 id="schedule-${summary.app}-${summary.env}">${name}</h2>
  <dl class="facts">
    <dt>Schedule</dt><dd>${summary.schedule === 'off' ? 'off (on-demand backups only)' : html`<code>${summary.schedule.cron}</code> (${summary.schedule.timezone}), ${summary.schedule.parts}`}</dd>
    <dt>Next run</dt><dd>${timeOf(summary.nextRunAt)}</dd>
    <dt>Last run</dt><dd>${last ? html`<a href="/backups/${last.id}"><span class="status ${last.status}">${last.status}</span></a> ${timeOf(last.createdAt)}${last.error ? html` <span class="error">${last.error}</span>` : ''}` : html`<span class="muted">none yet</span>`}</dd>
    <dt>Drills</dt><dd>${summary.drill.schedule === 'off' ? "none scheduled (drill from a backup's page)" : html`<code>${summary.drill.schedule.cron}</code> (${summary.drill.schedule.timezone})`} ${drillSummary(summary.drill)}</dd>
    <dt>Retention</dt><dd>scheduled: ${summary.retention.scheduled.daily} daily, ${summary.retention.scheduled.weekly} weekly, ${summary.retention.scheduled.monthly} monthly; on-demand: the ${summary.retention.onDemand.keepLast} newest, others ${summary.retention.onDemand.maxAgeDays} days</dd>
  </dl>
  ${summary.schedule === 'off' ? '' : retentionTimeline(summary.retention)}
</section>`;
}

/**
 * The scheduled policy as a timeline from now back a year: one mark per backup it keeps (daily, then weekly, then
 * monthly), on a scale that widens with age, so that a week and a year both fit.
 */
function retentionTimeline(policy: RetentionPolicy): Html {
  const { daily, weekly, monthly } = policy.scheduled;
  const days = [
    ...Array.from({ length: daily }, (_, i) => ({ age: i, tier: 'daily' })),
    ...Array.from({ length: weekly }, (_, i) => ({ age: daily + i * 7 + 7, tier: 'weekly' })),
    ...Array.from({ length: monthly }, (_, i) => ({ age: daily + weekly * 7 + i * 30 + 30, tier: 'monthly' })),
  ];
  const oldest = Math.max(1, ...days.map((d) => d.age));
  const x = (age: number) => 10 + (Math.sqrt(age) / Math.sqrt(oldest)) * 580;
  const colour: Record<string, string> = { daily: '#1a7f37', weekly: '#0a58ca', monthly: '#8250df' };
  const description = `Kept scheduled backups: ${daily} daily, ${weekly} weekly, ${monthly} monthly, reaching back about ${oldest} days.`;
  return html`<figure class="timeline">
  <svg viewBox="0 0 600 56" role="img" aria-label="${description}">
    <line x1="10" y1="24" x2="590" y2="24" stroke="currentColor" stroke-width="1"/>
    ${days.map((d) => html`<circle cx="${x(d.age).toFixed(1)}" cy="24" r="5" fill="${colour[d.tier] ?? 'gray'}"/>`)}
    <text x="10" y="52" font-size="11" fill="currentColor">now</text>
    <text x="590" y="52" font-size="11" fill="currentColor" text-anchor="end">${oldest} days ago</text>
  </svg>
  <figcaption class="muted">${description} <span class="legend daily">● daily</span> <span class="legend weekly">● weekly</span> <span class="legend monthly">● monthly</span></figcaption>
</figure>`;
}

/** The audit log, newest first: who did what from which surface, and what came of it. */
export function auditPage(data: { session: WebSession; entries: AuditEntry[]; app: string | undefined }): Html {
  return page(
    { title: 'Audit log', session: data.session, current: 'audit' },
    html`<h1>Audit log${data.app ? ` of ${data.app}` : ''}</h1>
${
  data.entries.length === 0
    ? html`<p class="muted">Nothing in the audit log yet.</p>`
    : html`<div class="scroll"><table class="stack">
  <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">App</th><th scope="col">What</th><th scope="col">Outcome</th></tr></thead>
  <tbody>${data.entries.map(
    (e) =>
      html`<tr><td data-label="When">${timeOf(e.at)}</td><td data-label="Who">${e.principal}</td><td data-label="App">${e.app ?? ''}</td><td data-label="What"><span><code>${e.action}</code>${e.detail ? html` <span class="muted">(${e.detail})</span>` : ''}</span></td><td data-label="Outcome"><span class="status ${e.outcome === 'ok' ? 'completed' : 'failed'}">${e.outcome}</span></td></tr>`,
  )}</tbody>
</table></div>`
}
<p class="muted">The newest 200 are shown; <code>backstop audit</code> and the API page through all of them.</p>`,
  );
}
