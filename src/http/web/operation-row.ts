import type { Operation } from '../../domain/operation.ts';
import { formatBytes } from '../../text/format-units.ts';
import { type Html, html } from './html.ts';
import { timeOf } from './layout.ts';

/**
 * One operation as a list item the page's script keeps up to date from the event stream (by `data-operation`): what
 * it is, its state and phase, and a progress bar once it knows how many bytes it expects.
 */
export function operationRow(operation: Operation): Html {
  const percent =
    operation.bytesExpected && operation.bytesExpected > 0
      ? Math.min(100, Math.round((operation.bytesDone / operation.bytesExpected) * 100))
      : undefined;
  return html`<li data-operation="${operation.id}" data-status="${operation.status}">
  <a href="/operations/${operation.id}">${operation.kind} ${operation.subjectId}</a>
  <span class="target">${operation.target ?? ''}</span>
  <span class="status ${operation.status}" data-field="status">${operation.status}</span>
  <span data-field="phase">${operation.phase ?? ''}</span>
  <span data-field="bytes">${operation.bytesDone > 0 ? formatBytes(operation.bytesDone) : ''}</span>
  <progress max="100"${percent === undefined ? '' : html` value="${percent}"`} aria-label="Progress of ${operation.kind} ${operation.subjectId}"></progress>
  <span class="muted">asked ${timeOf(operation.createdAt)} by ${operation.requestedBy ?? 'schedule'}</span>
  ${operation.error ? html`<span class="error" data-field="error">${operation.error}</span>` : ''}
</li>`;
}
