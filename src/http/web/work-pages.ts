import type { Download } from '../../domain/download.ts';
import type { Operation } from '../../domain/operation.ts';
import type { PartKind } from '../../domain/part-kind.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { formatBytes } from '../../text/format-units.ts';
import { partsInWords } from '../../use-cases/safety-coverage.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, timeOf } from './layout.ts';
import { operationRow } from './operation-row.ts';

type Notice = { kind: 'ok' | 'error'; text: string };

/** Operations of the apps the person may read: in progress (live, with Cancel) and the recently finished. */
export function operationsPage(data: {
  session: WebSession;
  active: Operation[];
  finished: Operation[];
  mayCancel: (operation: Operation) => boolean;
  notice?: Notice;
}): Html {
  const { session } = data;
  return page(
    { title: 'Operations', session, current: 'operations', live: true, ...(data.notice && { notice: data.notice }) },
    html`<h1>Operations</h1>
<section aria-labelledby="active-heading" data-live-list="*">
  <h2 id="active-heading">Queued and running</h2>
  ${
    data.active.length === 0
      ? html`<p class="muted" data-empty>Nothing is queued or running.</p>`
      : html`<ul class="operations">${data.active.map(
          (o) => html`${operationRow(o)}${data.mayCancel(o) ? cancelForm(session, o) : ''}`,
        )}</ul>`
  }
</section>
<section aria-labelledby="finished-heading">
  <h2 id="finished-heading">Finished</h2>
  ${data.finished.length === 0 ? html`<p class="muted">Nothing has finished yet.</p>` : html`<ul class="operations">${data.finished.map(operationRow)}</ul>`}
</section>`,
  );
}

function cancelForm(session: WebSession, operation: Operation): Html {
  return html`<li class="cancel"><form method="post" action="/operations/${operation.id}/cancel">
  ${csrfField(session)}
  <button type="submit">Cancel ${operation.kind} ${operation.subjectId}</button>
</form></li>`;
}

const nextSteps: Record<string, string> = {
  backup: 'See the backup for its parts; retry with Create backup once the cause is fixed.',
  restore: 'Nothing was half-restored: the destination is as it was before, or as the safety backup holds it.',
  download: 'Prepare the download again once the cause is fixed.',
};

/** One operation, followed live until it ends, then its outcome and what to do. */
export function operationPage(data: {
  session: WebSession;
  operation: Operation;
  subjectHref: string | undefined;
  /** For a restore: the backup it restores, and the safety backup taken of the destination first. */
  restore?: {
    backupId: string;
    safetyBackupId: string | null;
    safetyAsked: boolean;
    /** The restored parts that did not exist before, which the safety backup therefore does not hold. */
    createdByRestore: readonly PartKind[];
  };
  mayCancel: boolean;
  notice?: Notice;
}): Html {
  const { operation, session } = data;
  const running = operation.status === 'queued' || operation.status === 'running';
  return page(
    {
      title: `${operation.kind} ${operation.subjectId}`,
      session,
      current: 'operations',
      live: true,
      ...(data.notice && { notice: data.notice }),
    },
    html`<h1>${capitalised(operation.kind)} ${operation.subjectId}</h1>
<section aria-live="polite"${running ? html` data-reload-on-end` : ''}>
  <ul class="operations">${operationRow(operation)}</ul>
  ${operation.status === 'succeeded' ? html`<p class="notice ok">Completed ${timeOf(operation.finishedAt)}.</p>` : ''}
  ${operation.status === 'failed' ? html`<p class="notice error" role="alert">Failed: ${operation.error ?? 'no reason recorded'}. ${nextSteps[operation.kind] ?? ''}</p>` : ''}
  ${operation.status === 'cancelled' ? html`<p class="notice error">Cancelled${operation.cancelRequestedBy ? ` by ${operation.cancelRequestedBy}` : ''}.</p>` : ''}
</section>
${data.subjectHref ? html`<p><a href="${data.subjectHref}">Open the ${operation.kind}</a></p>` : ''}
${
  data.restore
    ? html`<p>Restores <a href="/backups/${data.restore.backupId}">backup ${data.restore.backupId}</a>${
        data.restore.safetyBackupId
          ? html`; the safety backup taken first is <a href="/backups/${data.restore.safetyBackupId}">backup ${data.restore.safetyBackupId}</a> (restore it to undo${
              data.restore.createdByRestore.length > 0
                ? html`; ${partsInWords(data.restore.createdByRestore)} did not exist before and stays as restored`
                : ''
            })`
          : data.restore.safetyAsked
            ? running
              ? '; a safety backup of the destination is taken first, if it holds anything'
              : '; the destination held nothing yet, so no safety backup was needed'
            : '; no safety backup was asked for'
      }.</p>`
    : ''
}
${running && data.mayCancel ? html`<ul class="operations">${cancelForm(session, operation)}</ul>` : ''}`,
  );
}

/** A prepared download: its links once ready (for whoever may download), with when they expire. */
export function downloadPage(data: {
  session: WebSession;
  download: Download;
  operation: Operation | undefined;
  emailed: boolean;
  notice?: Notice;
}): Html {
  const { download, session, operation } = data;
  const pending = operation && (operation.status === 'queued' || operation.status === 'running');
  return page(
    { title: `Download ${download.id}`, session, live: true, ...(data.notice && { notice: data.notice }) },
    html`<p><a href="/backups/${download.backupId}">← Backup ${download.backupId}</a></p>
<h1>Download ${download.id}</h1>
${pending ? html`<section data-reload-on-end aria-live="polite"><p>Preparing…</p><ul class="operations">${operationRow(operation)}</ul></section>` : ''}
${download.status === 'failed' ? html`<p class="notice error" role="alert">Preparing failed: ${download.error ?? ''}</p>` : ''}
${
  download.files.length > 0
    ? html`<ul class="links">${download.files.map(
        (f) =>
          html`<li><a href="${f.url}" rel="noreferrer" download>${f.filename}</a> (${formatBytes(f.sizeBytes)})</li>`,
      )}</ul>
  <p class="muted">The links expire ${timeOf(download.expiresAt)}.</p>`
    : ''
}
<p class="muted">${data.emailed ? `The links are also emailed to ${download.email}.` : 'The links are shown here only: email is not configured for you on this server.'}</p>
`,
  );
}

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
