import type { Backup } from '../../domain/backup.ts';
import type { MediaManifest, MediaManifestFile } from '../../sources/media-manifest.ts';
import type { WebSession } from '../../state/web-sessions.ts';
import { formatBytes } from '../../text/format-units.ts';
import { type Html, html } from './html.ts';
import { page, timeOf } from './layout.ts';

/** A media backup's files from its manifest: searchable by path, a page at a time. */
export function filesPage(data: {
  session: WebSession;
  backup: Backup;
  search: string;
  files: MediaManifestFile[];
  matched: number;
  total: number;
  skipped: MediaManifest['skipped'];
  offset: number;
  limit: number;
}): Html {
  const { backup, search, offset, limit } = data;
  const here = (from: number) =>
    `/backups/${backup.id}/files?${new URLSearchParams({ ...(search && { q: search }), ...(from > 0 && { from: String(from) }) })}`;
  return page(
    { title: `Files of backup ${backup.id}`, session: data.session, current: 'backups' },
    html`<p><a href="/backups/${backup.id}">← Backup ${backup.id}</a></p>
<h1>Files of backup ${backup.id}</h1>
<form method="get" action="/backups/${backup.id}/files" class="picker" role="search">
  <label for="q">Path contains</label>
  <input id="q" name="q" value="${search}" placeholder="uploads/2026">
  <button type="submit">Search</button>
</form>
<p>${search ? `${data.matched} of ${data.total} files match.` : `${data.total} files.`}${data.files.length > 0 ? ` Showing ${offset + 1}-${offset + data.files.length}.` : ''}</p>
${
  data.files.length === 0
    ? html`<p class="muted">No file${search ? ' matches' : ''}.</p>`
    : html`<div class="scroll"><table class="stack">
  <thead><tr><th scope="col">Path</th><th scope="col">Size</th><th scope="col">Modified</th><th scope="col">sha256</th></tr></thead>
  <tbody>${data.files.map(
    (f) =>
      html`<tr><td data-label="Path"><code>${f.path}</code></td><td data-label="Size">${formatBytes(f.size)}</td><td data-label="Modified">${timeOf(new Date(f.mtime))}</td><td data-label="sha256"><code class="hash">${f.sha256}</code></td></tr>`,
  )}</tbody>
</table></div>`
}
${
  offset > 0 || offset + limit < data.matched
    ? html`<nav class="pages" aria-label="File pages">${offset > 0 ? html`<a href="${here(Math.max(0, offset - limit))}">Previous ${limit}</a>` : ''}${offset + limit < data.matched ? html`<a href="${here(offset + limit)}">Next ${limit}</a>` : ''}</nav>`
    : ''
}
${data.skipped.length > 0 ? html`<h2>Not in the backup</h2><ul>${data.skipped.map((s) => html`<li><code>${s.path}</code>: ${s.reason}</li>`)}</ul>` : ''}`,
  );
}
