import type { RestoreRequest } from '../../domain/restore-request.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { partsLabel } from './backups-page.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, timeOf } from './layout.ts';

/**
 * Restore requests into protected targets: the pending ones first, with Approve and Deny for whoever may decide them
 * (an approver other than who asked) and Withdraw for who asked; then the recently decided.
 */
export function approvalsPage(data: {
  session: WebSession;
  pending: RestoreRequest[];
  decided: RestoreRequest[];
  mayDecide: (request: RestoreRequest) => boolean;
  notice?: { kind: 'ok' | 'error'; text: string };
}): Html {
  const { session } = data;
  const decide = (request: RestoreRequest, decision: 'approve' | 'deny' | 'withdraw', label: string) =>
    html`<form method="post" action="/approvals/${request.id}/${decision}" class="inline">${csrfField(session)}<button type="submit"${decision === 'approve' ? html` class="primary"` : ''}>${label}</button></form>`;
  const pendingItem = (request: RestoreRequest) => html`<li data-request="${request.id}">
  <p><strong>${request.requestedBy}</strong> asks to restore ${partsLabel(request.parts)} of
  <a href="/backups/${request.backupId}">backup ${request.backupId}</a> into <strong>${request.destApp}/${request.destEnv}</strong>
  (${request.safetyBackup ? 'after a safety backup' : 'without a safety backup'}). Asked ${timeOf(request.createdAt)}; expires ${timeOf(request.expiresAt)}. <span class="id">${request.id}</span></p>
  ${
    request.requestedBy === session.principal.id
      ? html`<p class="muted">Waiting for another approver.</p>${decide(request, 'withdraw', 'Withdraw')}`
      : data.mayDecide(request)
        ? html`${decide(request, 'approve', `Approve restore into ${request.destApp}/${request.destEnv}`)} ${decide(request, 'deny', 'Deny')}`
        : html`<p class="muted">An approver of ${request.destApp} decides it.</p>`
  }
</li>`;
  return page(
    { title: 'Approvals', session, current: 'approvals', ...(data.notice && { notice: data.notice }) },
    html`<h1>Approvals</h1>
<section aria-labelledby="pending-heading">
  <h2 id="pending-heading">Waiting for a decision</h2>
  ${data.pending.length === 0 ? html`<p class="muted">No restore request is waiting.</p>` : html`<ul class="requests">${data.pending.map(pendingItem)}</ul>`}
</section>
<section aria-labelledby="decided-heading">
  <h2 id="decided-heading">Decided</h2>
  ${
    data.decided.length === 0
      ? html`<p class="muted">None yet.</p>`
      : html`<ul class="requests">${data.decided.map(
          (r) =>
            html`<li><span class="status ${r.status}">${r.status}</span> ${partsLabel(r.parts)} of <a href="/backups/${r.backupId}">${r.backupId}</a> into ${r.destApp}/${r.destEnv}, asked by ${r.requestedBy}${r.decidedBy ? `, ${r.status} by ${r.decidedBy}` : ''} ${timeOf(r.decidedAt)}${r.restoreId ? html` · <a href="/operations/${r.restoreId}">the restore</a>` : ''}</li>`,
        )}</ul>`
  }
</section>`,
  );
}
