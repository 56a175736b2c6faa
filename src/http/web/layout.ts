import { randomBytes } from 'node:crypto';
import type { WebSession } from '../../state/web-sessions.ts';
import { formatTime } from '../../text/format-units.ts';
import { Html, html } from './html.ts';

export interface PageOptions {
  title: string;
  session: WebSession | undefined;
  /** Which entry of the navigation is this page's. */
  current?: 'backups' | 'operations' | 'approvals' | 'schedules' | 'audit';
  /** A message to show at the top (after a redirect). */
  notice?: { kind: 'ok' | 'error'; text: string };
  /** Whether the page follows operations live (loads the event stream). */
  live?: boolean;
}

/** A whole page: the header with navigation and sign-out, the notice, then `body`. */
export function page(options: PageOptions, body: Html): Html {
  const { session } = options;
  const link = (href: string, label: string, key: PageOptions['current']) =>
    html`<a href="${href}"${new Html(options.current === key ? ' aria-current="page"' : '')}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Backstop</title>
<link rel="stylesheet" href="/assets/backstop.css">
${options.live || session ? html`<script type="module" src="/assets/live.js"></script>` : ''}
</head>
<body${session ? html` data-csrf="${session.csrf}"` : ''}>
<header class="top">
  <a class="brand" href="/">Backstop</a>
  ${
    session
      ? html`<nav aria-label="Main">${link('/backups', 'Backups', 'backups')}${link('/operations', 'Operations', 'operations')}${link('/approvals', 'Approvals', 'approvals')}${link('/schedules', 'Schedules', 'schedules')}${link('/audit', 'Audit', 'audit')}</nav>
  <form method="post" action="/sign-out" class="who">
    <span>${session.name}</span>
    <input type="hidden" name="csrf" value="${session.csrf}">
    <button type="submit" class="link">Sign out</button>
  </form>`
      : ''
  }
</header>
<main>
${options.notice ? html`<p class="notice ${options.notice.kind}" role="${options.notice.kind === 'error' ? 'alert' : 'status'}">${options.notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A time as the exact UTC time, which the page's script turns into the viewer's time zone and a relative phrase. */
export function timeOf(date: Date | null): Html {
  if (date === null) return html`<span class="muted">—</span>`;
  return html`<time datetime="${date.toISOString()}">${formatTime(date)}</time>`;
}

/**
 * The hidden fields every form of a session sends back: its CSRF token, and a token of this rendering of the form, so
 * that a form sent twice (a double click, a resubmission) does its work once (see once-only.ts).
 */
export function csrfField(session: WebSession): Html {
  const once = randomBytes(12).toString('base64url');
  return html`<input type="hidden" name="csrf" value="${session.csrf}"><input type="hidden" name="once" value="${once}">`;
}
