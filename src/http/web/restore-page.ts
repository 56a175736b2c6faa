import type { Backup } from '../../domain/backup.ts';
import { type Target, targetName } from '../../domain/target.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { partsLabel } from './backups-page.ts';
import { type Html, html } from './html.ts';
import { csrfField, page } from './layout.ts';

export interface RestorePageData {
  session: WebSession;
  backup: Backup;
  /** The targets the person may restore into that have the backup's parts. */
  destinations: Target[];
  parts: string;
  to: string;
  safetyBackup: boolean;
  /** What the restore would do, once a destination is chosen. */
  preview?: {
    overwrites: string[];
    backupSummary: string;
    needsApproval: boolean;
    safetyBackup: boolean;
    /** It needs approval and nobody would be shown the request: no chat channel is bound to the destination. */
    approvalUnreachable: boolean;
  };
  notice?: { kind: 'ok' | 'error'; text: string };
}

/**
 * Restore in two steps: choose what and where (a GET form, so it changes nothing), then read exactly what will be
 * overwritten and type the destination's name to confirm. Into a protected target the button asks for approval.
 */
export function restorePage(data: RestorePageData): Html {
  const { backup, session, preview } = data;
  const choices = backup.parts === 'db+media' ? ['db+media', 'db', 'media'] : [backup.parts];
  return page(
    { title: `Restore ${backup.id}`, session, current: 'backups', ...(data.notice && { notice: data.notice }) },
    html`<p><a href="/backups/${backup.id}">← Backup ${backup.id}</a></p>
<h1>Restore backup ${backup.id}</h1>
<form method="get" action="/backups/${backup.id}/restore" class="choose">
  <label for="parts">What</label>
  <select id="parts" name="parts">${choices.map((c) => html`<option value="${c}"${c === data.parts ? html` selected` : ''}>${partsLabel(c)}</option>`)}</select>
  <label for="to">Into</label>
  <select id="to" name="to">${data.destinations.map((t) => {
    const name = targetName(t);
    return html`<option value="${name}"${name === data.to ? html` selected` : ''}>${name}${t.protected ? ' (protected: needs approval)' : ''}</option>`;
  })}</select>
  <label><input type="checkbox" name="safety" value="on"${data.safetyBackup ? html` checked` : ''}> Take a safety backup of the destination first</label>
  <button type="submit">Show what this would overwrite</button>
</form>
${preview ? confirmation(data, preview) : ''}`,
  );
  function confirmation(d: RestorePageData, p: NonNullable<RestorePageData['preview']>): Html {
    return html`<section aria-labelledby="confirm-heading" class="danger">
  <h2 id="confirm-heading">${p.needsApproval ? 'Ask for approval to restore' : 'Confirm the restore'}</h2>
  <p>${p.backupSummary}</p>
  <p>This overwrites, in <strong>${d.to}</strong>:</p>
  <ul>${p.overwrites.map((line) => html`<li>${line}</li>`)}</ul>
  <p>${p.safetyBackup ? `A safety backup of ${d.to} is taken first (if it holds anything), so the restore can be undone.` : html`<strong>No safety backup is taken:</strong> what is overwritten is gone.`}</p>
  ${p.needsApproval ? html`<p>${d.to} is protected: this creates a request that another person with the approver role must approve (in the Approvals page, Slack or Discord). Nothing is restored until then.</p>` : ''}
  ${
    p.approvalUnreachable
      ? html`<p class="notice error" role="alert">Nobody could approve it: no Slack or Discord channel is bound to ${d.to} where approvers would see the request (channels: under the app in the config), or nobody holds the approver role on it. Bind one (channels: under the app in the config) and give someone the approver role, or run the restore with <code>backstop restore</code> on the server, which needs no approval.</p>`
      : confirmForm(d, p)
  }
</section>`;
  }
  function confirmForm(d: RestorePageData, p: NonNullable<RestorePageData['preview']>): Html {
    return html`<form method="post" action="/backups/${d.backup.id}/restore">
    ${csrfField(session)}
    <input type="hidden" name="parts" value="${d.parts}">
    <input type="hidden" name="to" value="${d.to}">
    <input type="hidden" name="safety" value="${p.safetyBackup ? 'on' : 'off'}">
    <label for="confirm">Type <strong>${d.to}</strong> to confirm</label>
    <input id="confirm" name="confirm" autocomplete="off" required autofocus>
    <button type="submit" class="danger">${p.needsApproval ? 'Ask for approval' : `Restore into ${d.to}`}</button>
  </form>`;
  }
}
