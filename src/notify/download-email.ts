import type { Backup } from '../domain/backup.ts';
import type { Download } from '../domain/download.ts';
import { formatTime } from '../text/format-units.ts';
import type { MailMessage } from './mailer.ts';

/** The email that brings a requester the links of a prepared download, in text and HTML. */
export function downloadEmail(download: Download, backup: Backup, to: string): MailMessage {
  const target = `${backup.app}/${backup.env}`;
  const when = formatTime(backup.createdAt);
  const until = download.expiresAt ? formatTime(download.expiresAt) : '';
  const subject = `Backstop: your download of ${target} (backup ${backup.id}) is ready`;
  const facts = [
    `Backup ${backup.id} of ${target}, taken ${when}${backup.note ? `, note: "${backup.note}"` : ''}.`,
    `The links work until ${until}.`,
  ];
  const describe = (kind: string) =>
    kind === 'db' ? 'database (pg_dump custom format: pg_restore -d <db> <file>)' : 'media (tar with manifest.json)';
  const text = [
    ...facts,
    '',
    ...download.files.map((f) => `${describe(f.kind)}: ${f.filename} (${f.sizeBytes} bytes)\n  ${f.url}`),
    '',
    'The files are not encrypted: keep them safe and delete them when done.',
    '',
  ].join('\n');
  const html = [
    `<p>${facts.map(escapeHtml).join('<br>')}</p>`,
    '<ul>',
    ...download.files.map(
      (f) =>
        `<li>${escapeHtml(describe(f.kind))}: <a href="${escapeHtml(f.url)}">${escapeHtml(f.filename)}</a> (${f.sizeBytes} bytes)</li>`,
    ),
    '</ul>',
    '<p>The files are not encrypted: keep them safe and delete them when done.</p>',
  ].join('\n');
  return { to, subject, text, html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
