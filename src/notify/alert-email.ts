import type { BackstopEvent } from '../domain/events.ts';
import { formatTime } from '../text/format-units.ts';
import { eventMessage } from './event-message.ts';
import type { MailMessage } from './mailer.ts';

/**
 * The plain-text email of a failed or missed backup or drill, for the addresses an app lists under `notify.email`: what went
 * wrong, with which target, when, the reason as Backstop tells people, what to do, and where to look. The same words
 * as the webhook and chat messages (eventMessage).
 */
export function alertEmail(event: BackstopEvent, to: readonly string[]): MailMessage {
  const message = eventMessage(event);
  const target = event.app !== null && event.env !== null ? `${event.app}/${event.env}` : undefined;
  const fields = [{ label: 'When', value: formatTime(event.createdAt) }, ...message.fields];
  const width = Math.max(...fields.map((field) => field.label.length)) + 2;
  const look =
    (event.type === 'backup.failed' || event.type === 'drill.failed') && event.subjectId !== null
      ? `backstop show ${event.type === 'drill.failed' ? event.data.backupId : event.subjectId}`
      : `backstop list ${target ?? ''} scheduled`.replace('  ', ' ');
  const text = [
    message.summary,
    '',
    ...fields.map((field) => `${`${field.label}:`.padEnd(width)}${indentAfterFirst(field.value, width)}`),
    '',
    `To look: ${look} (or /backup ${look.slice('backstop '.length)} in chat).`,
    '',
    '-- ',
    `Backstop sends this to the addresses under apps.${event.app ?? '<app>'}.notify.email in its configuration.`,
    '',
  ].join('\n');
  return { to: to.join(', '), subject: `[Backstop] ${message.title}`, text };
}

/** A value of several lines, its later lines lined up under the first. */
function indentAfterFirst(value: string, width: number): string {
  return value
    .split('\n')
    .map((line, index) => (index === 0 ? line : `${' '.repeat(width)}${line.trimStart()}`))
    .join('\n');
}
