import type { Backup } from '../../domain/backup.ts';
import type { Operation } from '../../domain/operation.ts';
import { targetName } from '../../domain/target.ts';
import type { ScheduleSummary } from '../../jobs/schedule-summary.ts';
import type { RetentionDecision } from '../../retention/retention-decision.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { formatBytes, shortCodeVersion } from '../../text/format-units.ts';
import type { readTargets } from '../../use-cases/read-targets.ts';
import { drillSummary } from './drill-summary.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, timeOf } from './layout.ts';
import { operationRow } from './operation-row.ts';

type TargetView = ReturnType<typeof readTargets>[number];

export interface BackupsPageData {
  session: WebSession;
  targets: TargetView[];
  chosen: TargetView;
  scheduled: BackupPage;
  onDemand: BackupPage;
  retention: Map<string, RetentionDecision>;
  active: Operation[];
  /** The target's drills: when a backup was last proven restorable, a failure since, the next drill. */
  drill?: ScheduleSummary['drill'];
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** The Backups view of one target: a picker, Create backup, work in progress, then Scheduled and On-demand apart. */
export function backupsPage(data: BackupsPageData): Html {
  const { chosen, session } = data;
  const name = targetName(chosen.target);
  return page(
    {
      title: `Backups of ${name}`,
      session,
      current: 'backups',
      live: true,
      ...(data.notice && { notice: data.notice }),
    },
    html`<h1>Backups of ${name}${chosen.target.protected ? html` <span class="tag">protected</span>` : ''}</h1>
${targetPicker(data.targets, name)}
${data.drill ? drillSummary(data.drill) : ''}
${chosen.abilities.createBackup ? createForm(session, chosen) : ''}
<section aria-labelledby="work-heading" data-live-list="${name}">
  <h2 id="work-heading">In progress</h2>
  ${data.active.length === 0 ? html`<p class="muted" data-empty>Nothing is running for ${name}.</p>` : html`<ul class="operations">${data.active.map(operationRow)}</ul>`}
</section>
${backupTable('Scheduled', 'scheduled', data.scheduled, data.retention, name)}
${backupTable('On-demand', 'on-demand', data.onDemand, data.retention, name)}`,
  );
}

function targetPicker(targets: TargetView[], current: string): Html {
  return html`<form method="get" action="/backups" class="picker">
  <label for="target">Application and environment</label>
  <select id="target" name="target">
    ${targets.map((t) => {
      const name = targetName(t.target);
      return html`<option value="${name}"${name === current ? html` selected` : ''}>${name}</option>`;
    })}
  </select>
  <button type="submit">Show</button>
</form>`;
}

function createForm(session: WebSession, chosen: TargetView): Html {
  const choices = chosen.parts === 'db+media' ? (['db+media', 'db', 'media'] as const) : [chosen.parts];
  const label = { 'db+media': 'Database and media', db: 'Database', media: 'Media' } as Record<string, string>;
  return html`<form method="post" action="/backups" class="create">
  <h2>Create backup</h2>
  ${csrfField(session)}
  <input type="hidden" name="target" value="${targetName(chosen.target)}">
  <fieldset>
    <legend>What to back up</legend>
    ${choices.map(
      (choice, i) =>
        html`<label><input type="radio" name="parts" value="${choice}"${i === 0 ? html` checked` : ''}> ${label[choice]}</label>`,
    )}
  </fieldset>
  <label for="note">Note <span class="muted">(optional)</span></label>
  <input id="note" name="note" maxlength="500" placeholder="before deploy">
  <button type="submit" class="primary">Create backup</button>
</form>`;
}

/** One page of a table of backups: newest first, and whether newer and older pages exist. */
export interface BackupPage {
  backups: Backup[];
  /** This page is not the newest. */
  older: boolean;
  /** The cursor of the next (older) page, when there is one. */
  next?: string;
}

function backupTable(
  title: string,
  id: string,
  { backups, older, next }: BackupPage,
  retention: Map<string, RetentionDecision>,
  target: string,
): Html {
  const here = `/backups?target=${encodeURIComponent(target)}`;
  return html`<section aria-labelledby="${id}-heading">
  <h2 id="${id}-heading">${title}${older ? ' (older)' : ''}</h2>
  ${
    backups.length === 0
      ? html`<p class="muted">No ${title.toLowerCase()} backups yet.</p>`
      : html`<div class="scroll"><table class="stack">
    <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Size</th><th scope="col">Note</th><th scope="col">Asked by</th><th scope="col">Status</th><th scope="col">Kept because</th><th scope="col">Verified</th><th scope="col">Proven restorable</th></tr></thead>
    <tbody>${backups.map((b) => backupRow(b, retention.get(b.id)))}</tbody>
  </table></div>`
  }
  ${
    older || next
      ? html`<nav class="pages" aria-label="${title} pages">${older ? html`<a href="${here}#${id}-heading">Newest ${title.toLowerCase()}</a>` : ''}${next ? html`<a href="${here}&${id}=${next}#${id}-heading">Older ${title.toLowerCase()} backups</a>` : ''}</nav>`
      : ''
  }
</section>`;
}

function backupRow(backup: Backup, decision: RetentionDecision | undefined): Html {
  const size = backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0);
  return html`<tr>
  <td data-label="When"><span><a href="/backups/${backup.id}">${timeOf(backup.createdAt)}</a> <span class="id">${backup.id}</span></span></td>
  <td data-label="What">${partsLabel(backup.parts)}${backup.codeVersion ? html` <span class="muted">code <code>${shortCodeVersion(backup.codeVersion)}</code></span>` : ''}</td>
  <td data-label="Size">${backup.storedParts.length > 0 ? formatBytes(size) : '—'}</td>
  <td data-label="Note"><div class="note">${backup.note ?? ''}</div></td>
  <td data-label="Asked by">${backup.requestedBy ?? 'schedule'}</td>
  <td data-label="Status"><span><span class="status ${backup.status}">${backup.status}</span>${backup.pinned ? html` <span class="tag">pinned</span>` : ''}</span></td>
  <td data-label="Kept because">${decision ? (decision.keep ? decision.reason : html`<span class="tag warn">pending deletion</span>`) : ''}</td>
  <td data-label="Verified">${backup.verifyError ? html`<span class="status failed">failed</span>` : timeOf(backup.verifiedAt)}</td>
  <td data-label="Proven restorable">${backup.proofError ? html`<span class="status failed">drill failed</span>` : timeOf(backup.provenAt)}</td>
</tr>`;
}

export function partsLabel(parts: string): string {
  return parts === 'db+media' ? 'database + media' : parts === 'db' ? 'database' : 'media';
}
