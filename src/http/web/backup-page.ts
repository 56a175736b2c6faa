import type { AuditEntry } from '../../domain/audit-entry.ts';
import type { Backup } from '../../domain/backup.ts';
import type { Operation } from '../../domain/operation.ts';
import { targetName } from '../../domain/target.ts';
import type { RetentionDecision } from '../../retention/retention-decision.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { formatBytes } from '../../text/format-units.ts';
import type { TargetAbilities } from '../../use-cases/read-targets.ts';
import { partsLabel } from './backups-page.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, timeOf } from './layout.ts';
import { operationRow } from './operation-row.ts';

export interface BackupPageData {
  session: WebSession;
  backup: Backup;
  retention: RetentionDecision | undefined;
  operation: Operation | undefined;
  /** What the signed-in person may do on the backup's target. */
  abilities: TargetAbilities | undefined;
  /** Whether they may restore into some target (the form offers only those). */
  mayRestore: boolean;
  /** What people asked of it, newest first (for whoever may read the app's audit log). */
  history?: AuditEntry[];
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** One backup: what it holds (each part's size and sha256), who asked and when, its state, and what can be done. */
export function backupPage(data: BackupPageData): Html {
  const { backup, session, abilities } = data;
  const completed = backup.status === 'completed';
  return page(
    {
      title: `Backup ${backup.id}`,
      session,
      current: 'backups',
      live: true,
      ...(data.notice && { notice: data.notice }),
    },
    html`<p><a href="/backups?target=${encodeURIComponent(targetName(backup))}">← Backups of ${targetName(backup)}</a></p>
<h1>Backup ${backup.id}</h1>
<dl class="facts">
  <dt>Of</dt><dd>${targetName(backup)}, ${partsLabel(backup.parts)} (${backup.trigger})</dd>
  <dt>Status</dt><dd><span class="status ${backup.status}">${backup.status}</span>${backup.error ? html` <span class="error">${backup.error}</span>` : ''}</dd>
  <dt>Asked by</dt><dd>${backup.requestedBy ?? 'schedule'}</dd>
  <dt>Started</dt><dd>${timeOf(backup.createdAt)}</dd>
  <dt>Finished</dt><dd>${timeOf(backup.completedAt)}</dd>
  <dt>Note</dt><dd>${backup.note ?? html`<span class="muted">none</span>`}</dd>
  <dt>Code version</dt><dd>${backup.codeVersion ? html`<code>${backup.codeVersion}</code>` : html`<span class="muted">not recorded</span>`}</dd>
  <dt>Kept because</dt><dd>${data.retention ? (data.retention.keep ? data.retention.reason : html`<span class="tag warn">pending deletion</span> ${data.retention.reason}`) : '—'}</dd>
  <dt>Pinned</dt><dd>${backup.pinned ? 'yes: retention never deletes it' : 'no'}</dd>
  <dt>Last verified</dt><dd>${backup.verifyError ? html`<span class="status failed">failed</span> ${backup.verifyError}` : timeOf(backup.verifiedAt)}</dd>
  <dt>Proven restorable</dt><dd>${
    backup.proofError
      ? html`<span class="status failed">drill failed</span> ${backup.proofError}`
      : backup.provenAt
        ? html`${timeOf(backup.provenAt)}${backup.proofSeconds === null ? '' : ` (in ${backup.proofSeconds} s)`}`
        : html`<span class="muted">not drilled yet</span>`
  }</dd>
</dl>
${data.operation && (data.operation.status === 'queued' || data.operation.status === 'running') ? html`<section aria-labelledby="work-heading" data-reload-on-end><h2 id="work-heading">In progress</h2><ul class="operations">${operationRow(data.operation)}</ul></section>` : ''}
<section aria-labelledby="parts-heading">
  <h2 id="parts-heading">Parts</h2>
  ${
    backup.storedParts.length === 0
      ? html`<p class="muted">No part is stored${completed ? '' : ' yet'}.</p>`
      : html`<div class="scroll"><table class="stack">
    <thead><tr><th scope="col">Part</th><th scope="col">Size</th><th scope="col">sha256 (plaintext)</th><th scope="col">Stored as</th></tr></thead>
    <tbody>${backup.storedParts.map(
      (p) =>
        html`<tr><td data-label="Part">${p.kind === 'db' ? 'database (pg_dump custom format)' : 'media (tar)'}${p.tablesWithoutRows?.length ? html`<br><span class="muted">without the rows of ${p.tablesWithoutRows.join(', ')}</span>` : ''}</td><td data-label="Size">${formatBytes(p.sizeBytes)}</td><td data-label="sha256"><code class="hash">${p.sha256}</code></td><td data-label="Stored as"><span><code>${p.key}</code> (${formatBytes(p.storedSizeBytes)}, age)</span></td></tr>`,
    )}</tbody>
  </table></div>`
  }
</section>
${completed && backup.storedParts.some((p) => p.kind === 'media') ? html`<p><a href="/backups/${backup.id}/files">Browse the media files</a> <span class="muted">(reads the media part once)</span></p>` : ''}
${completed ? actions(data) : ''}
${
  data.history
    ? html`<section aria-labelledby="history-heading"><h2 id="history-heading">History</h2>${
        data.history.length === 0
          ? html`<p class="muted">Nothing in the audit log names it.</p>`
          : html`<ul class="requests">${data.history.map(
              (e) =>
                html`<li>${timeOf(e.at)} <strong>${e.principal}</strong> <code>${e.action}</code> <span class="status ${e.outcome === 'ok' ? 'completed' : 'failed'}">${e.outcome}</span>${e.detail ? html` <span class="muted">${e.detail}</span>` : ''}</li>`,
            )}</ul>`
      }</section>`
    : ''
}`,
  );
  function actions({ session }: BackupPageData): Html {
    const choices = backup.parts === 'db+media' ? ['db+media', 'db', 'media'] : [backup.parts];
    return html`<section aria-labelledby="actions-heading">
  <h2 id="actions-heading">Actions</h2>
  ${data.mayRestore ? html`<p><a class="button" href="/backups/${backup.id}/restore">Restore…</a></p>` : ''}
  ${
    abilities?.prepareDownload
      ? html`<form method="post" action="/backups/${backup.id}/download" class="inline">
    ${csrfField(session)}
    <label for="download-parts">Prepare download of</label>
    <select id="download-parts" name="parts">${choices.map((c) => html`<option value="${c}">${partsLabel(c)}</option>`)}</select>
    <button type="submit">Prepare download</button>
  </form>`
      : ''
  }
  ${
    abilities?.pinOrVerify
      ? html`<form method="post" action="/backups/${backup.id}/pin" class="inline">
    ${csrfField(session)}
    <input type="hidden" name="pinned" value="${backup.pinned ? 'false' : 'true'}">
    <button type="submit">${backup.pinned ? 'Unpin' : 'Pin (keep it whatever the retention policy)'}</button>
  </form>`
      : ''
  }
  ${
    abilities?.drill && completed
      ? html`<form method="post" action="/backups/${backup.id}/drill" class="inline">
    ${csrfField(session)}
    <button type="submit">Drill (restore into scratch space, check every table, remove it)</button>
  </form>`
      : ''
  }
  ${!data.mayRestore && !abilities?.prepareDownload && !abilities?.pinOrVerify ? html`<p class="muted">Your roles allow viewing this backup only.</p>` : ''}
</section>`;
  }
}
