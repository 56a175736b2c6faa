import type { BackstopEvent, EventType } from '../domain/events.ts';
import { formatBytes, formatTime } from '../text/format-units.ts';

/**
 * What an event says to a person, before any platform formats it: a title, one sentence to read at a glance, and
 * labelled facts (target, trigger, size, duration, note; for failures the reason and what to do). Pure functions.
 */

/** failure: someone should act (red); success: work done (green); notice: for information (a prune, a download). */
export type MessageSeverity = 'failure' | 'success' | 'notice';

export interface MessageField {
  label: string;
  value: string;
}

export interface EventMessage {
  /** "Backup of shop/live failed" */
  title: string;
  /** One sentence: "On-demand backup 7k3qx2 of shop/live (db) failed: pg_dump exited 1." */
  summary: string;
  fields: MessageField[];
  severity: MessageSeverity;
  /** The people the message names, as principal ids (who asked): a format that can mention them does. */
  people?: string[];
}

/** The message's facts as plain lines: "Target: shop/live". */
export function messageLines(message: EventMessage): string[] {
  return message.fields.map((field) => `${field.label}: ${field.value}`);
}

/** The message of one event, naming who asked for it in `people` when someone did. */
export function eventMessage(event: BackstopEvent): EventMessage {
  const message = messageOf(event);
  const requestedBy = str(event.data, 'requestedBy');
  return requestedBy === undefined || requestedBy === 'schedule' ? message : { ...message, people: [requestedBy] };
}

function messageOf(event: BackstopEvent): EventMessage {
  switch (event.type) {
    case 'backup.succeeded':
      return backupSucceeded(event);
    case 'backup.failed':
      return backupFailed(event);
    case 'backup.missed':
      return backupMissed(event);
    case 'restore.succeeded':
      return restoreSucceeded(event);
    case 'restore.failed':
      return restoreFailed(event);
    case 'drill.failed':
      return drillFailed(event);
    case 'drill.missed':
      return drillMissed(event);
    case 'retention.pruned':
      return retentionPruned(event);
    case 'download.ready':
      return downloadReady(event);
    default:
      return unknownEvent(event);
  }
}

function backupSucceeded(event: BackstopEvent): EventMessage {
  const facts = backupFacts(event);
  const size = num(event.data, 'sizeBytes');
  const duration = num(event.data, 'durationMs');
  const how = [
    size !== undefined ? formatBytes(size) : undefined,
    duration !== undefined ? `in ${formatDuration(duration)}` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return {
    title: `Backup of ${facts.target} completed`,
    summary: `${capitalise(facts.triggerWord)} backup ${facts.id} of ${facts.target} (${facts.parts}) completed${how ? `: ${how}` : ''}.`,
    severity: 'success',
    fields: compact([
      ['Target', facts.target],
      ['Trigger', facts.trigger],
      ['Parts', facts.parts],
      ['Size', size !== undefined ? formatBytes(size) : undefined],
      ['Duration', duration !== undefined ? formatDuration(duration) : undefined],
      ['Note', facts.note],
      ['Backup', facts.id],
    ]),
  };
}

function backupFailed(event: BackstopEvent): EventMessage {
  const facts = backupFacts(event);
  const reason = str(event.data, 'reason') ?? 'no reason was recorded';
  const hint = str(event.data, 'hint') ?? backupFailureHint(reason, event, facts.parts);
  return {
    title: `Backup of ${facts.target} failed`,
    summary: `${capitalise(facts.triggerWord)} backup ${facts.id} of ${facts.target} (${facts.parts}) failed: ${firstLine(reason)}`,
    severity: 'failure',
    fields: compact([
      ['Target', facts.target],
      ['Trigger', facts.trigger],
      ['Parts', facts.parts],
      ['Note', facts.note],
      ['Reason', reason],
      ['What to do', hint],
      ['Backup', facts.id],
    ]),
  };
}

function backupMissed(event: BackstopEvent): EventMessage {
  const target = targetOf(event);
  const lastAt = date(event.data, 'lastCompletedAt');
  const lastId = str(event.data, 'lastCompletedBackupId');
  const every = num(event.data, 'expectedEveryMs');
  const schedule = field(event.data, 'schedule') as { cron?: unknown; timezone?: unknown } | undefined;
  const cron = typeof schedule?.cron === 'string' ? schedule.cron : undefined;
  const zone = typeof schedule?.timezone === 'string' ? schedule.timezone : undefined;
  const hint =
    str(event.data, 'hint') ??
    `Check that backstop serve (or a worker) is running and look at the failed backups of this target with: backstop list ${target}`;
  const since = lastAt ? `since ${formatTime(lastAt)}` : 'since its schedule was set up';
  return {
    title: lastAt
      ? `No scheduled backup of ${target} since ${formatTime(lastAt)}`
      : `No scheduled backup of ${target} yet`,
    summary: `No scheduled backup of ${target} has completed ${since}${every !== undefined ? `; one is expected every ${formatDuration(every)}` : ''}.`,
    severity: 'failure',
    fields: compact([
      ['Target', target],
      ['Trigger', 'scheduled'],
      ['Last completed', lastAt ? `${lastId ?? 'a backup'} at ${formatTime(lastAt)}` : 'none yet'],
      ['Schedule', cron ? `${cron}${zone ? ` (${zone})` : ''}` : undefined],
      ['Expected every', every !== undefined ? formatDuration(every) : undefined],
      ['What to do', hint],
    ]),
  };
}

function restoreSucceeded(event: BackstopEvent): EventMessage {
  const facts = restoreFacts(event);
  const duration = num(event.data, 'durationMs');
  return {
    title: `Restore into ${facts.destination} completed`,
    summary: `Backup ${facts.backupId} (${facts.parts}) was restored into ${facts.destination}${duration !== undefined ? ` in ${formatDuration(duration)}` : ''}.`,
    severity: 'success',
    fields: compact([
      ['Target', facts.destination],
      ['Trigger', facts.requestedBy ? `on demand, by ${facts.requestedBy}` : 'on demand'],
      ['From backup', facts.backupId],
      ['Parts', facts.parts],
      ['Duration', duration !== undefined ? formatDuration(duration) : undefined],
      [
        'Safety backup',
        facts.safetyBackupId
          ? `${facts.safetyBackupId} (to undo: backstop restore ${facts.safetyBackupId} ${facts.parts} to ${facts.destination})`
          : 'none was taken',
      ],
      ['Restore', facts.restoreId],
    ]),
  };
}

function restoreFailed(event: BackstopEvent): EventMessage {
  const facts = restoreFacts(event);
  const reason = str(event.data, 'reason') ?? 'no reason was recorded';
  const retry = `backstop restore ${facts.backupId} ${facts.parts} to ${facts.destination}`;
  const safety = facts.safetyBackupId
    ? ` If ${facts.destination} is not as it should be, the safety backup ${facts.safetyBackupId} holds it as it was before: backstop restore ${facts.safetyBackupId} ${facts.parts} to ${facts.destination}`
    : '';
  const hint =
    str(event.data, 'hint') ??
    `${cancelled(reason) ? 'It was cancelled. When ready, run it again' : 'Fix the cause named in the reason, then run the restore again'}: ${retry}.${safety}`;
  return {
    title: `Restore into ${facts.destination} failed`,
    summary: `The restore of backup ${facts.backupId} (${facts.parts}) into ${facts.destination} failed: ${firstLine(reason)}`,
    severity: 'failure',
    fields: compact([
      ['Target', facts.destination],
      ['Trigger', facts.requestedBy ? `on demand, by ${facts.requestedBy}` : 'on demand'],
      ['From backup', facts.backupId],
      ['Parts', facts.parts],
      ['Safety backup', facts.safetyBackupId ?? undefined],
      ['Reason', reason],
      ['What to do', hint],
      ['Restore', facts.restoreId],
    ]),
  };
}

function drillFailed(event: BackstopEvent): EventMessage {
  const target = targetOf(event);
  const backupId = str(event.data, 'backupId') ?? '?';
  const reason = str(event.data, 'reason') ?? 'no reason was recorded';
  const trigger = str(event.data, 'trigger');
  const requestedBy = str(event.data, 'requestedBy');
  return {
    title: `Restore drill of ${target} failed`,
    summary: `The restore drill of backup ${backupId} of ${target} failed: ${firstLine(reason)}`,
    severity: 'failure',
    fields: compact([
      ['Target', target],
      [
        'Trigger',
        trigger === 'scheduled'
          ? 'scheduled'
          : trigger
            ? `on demand${requestedBy ? `, by ${requestedBy}` : ''}`
            : undefined,
      ],
      ['Backup', backupId],
      ['Reason', reason],
      ['What to do', str(event.data, 'hint')],
      ['Drill', str(event.data, 'drillId')],
    ]),
  };
}

function drillMissed(event: BackstopEvent): EventMessage {
  const target = targetOf(event);
  const lastAt = date(event.data, 'lastProvenAt');
  const every = num(event.data, 'expectedEveryMs');
  const schedule = field(event.data, 'schedule') as { cron?: unknown; timezone?: unknown } | undefined;
  const cron = typeof schedule?.cron === 'string' ? schedule.cron : undefined;
  return {
    title: lastAt
      ? `No backup of ${target} proven restorable since ${formatTime(lastAt)}`
      : `No backup of ${target} proven restorable yet`,
    summary: `No drill has proven a backup of ${target} restorable ${lastAt ? `since ${formatTime(lastAt)}` : 'yet'}${every !== undefined ? `; drills are scheduled every ${formatDuration(every)}` : ''}.`,
    severity: 'failure',
    fields: compact([
      ['Target', target],
      [
        'Last proven',
        lastAt ? `${str(event.data, 'lastProvenBackupId') ?? 'a backup'} at ${formatTime(lastAt)}` : 'never',
      ],
      [
        'Drill schedule',
        cron ? `${cron}${typeof schedule?.timezone === 'string' ? ` (${schedule.timezone})` : ''}` : undefined,
      ],
      ['What to do', str(event.data, 'hint')],
    ]),
  };
}

const LISTED_AT_MOST = 10;

function retentionPruned(event: BackstopEvent): EventMessage {
  const target = targetOf(event);
  const deleted = Array.isArray(field(event.data, 'deleted'))
    ? (field(event.data, 'deleted') as Array<Record<string, unknown>>)
    : [];
  const kept = num(event.data, 'kept');
  const listed = deleted
    .slice(0, LISTED_AT_MOST)
    .map((d) => `${String(d['id'])}${typeof d['reason'] === 'string' ? ` (${d['reason']})` : ''}`);
  if (deleted.length > LISTED_AT_MOST) listed.push(`and ${deleted.length - LISTED_AT_MOST} more`);
  const count = plural(deleted.length, 'backup');
  return {
    title: `Retention deleted ${count} of ${target}`,
    summary: `Retention deleted ${count} of ${target}${kept !== undefined ? `; ${plural(kept, 'backup')} kept` : ''}.`,
    severity: 'notice',
    fields: compact([
      ['Target', target],
      ['Deleted', listed.length > 0 ? listed.join(', ') : undefined],
      ['Kept', kept !== undefined ? String(kept) : undefined],
    ]),
  };
}

function downloadReady(event: BackstopEvent): EventMessage {
  const target = targetOf(event);
  const backupId = str(event.data, 'backupId') ?? '?';
  const expiresAt = date(event.data, 'expiresAt');
  const requestedBy = str(event.data, 'requestedBy');
  const links = Array.isArray(field(event.data, 'links'))
    ? (field(event.data, 'links') as Array<Record<string, unknown>>)
    : [];
  return {
    title: `Download of backup ${backupId} of ${target} is ready`,
    summary: `The download of backup ${backupId} of ${target} is ready${expiresAt ? `; its links work until ${formatTime(expiresAt)}` : ''}.`,
    severity: 'notice',
    fields: compact([
      ['Target', target],
      ['Backup', backupId],
      ['Note', str(event.data, 'note')],
      ['Requested by', requestedBy],
      ...links.map((link): [string, string] => {
        const size = typeof link['sizeBytes'] === 'number' ? ` (${formatBytes(link['sizeBytes'])})` : '';
        return [
          link['kind'] === 'db' ? 'Database' : link['kind'] === 'media' ? 'Media' : String(link['kind']),
          `${String(link['filename'])}${size}: ${String(link['url'])}`,
        ];
      }),
      ['Links valid until', expiresAt ? formatTime(expiresAt) : undefined],
    ]),
  };
}

function unknownEvent(event: BackstopEvent): EventMessage {
  const target = event.app && event.env ? `${event.app}/${event.env}` : undefined;
  return {
    title: `${event.type}${target ? ` of ${target}` : ''}`,
    summary: `${event.type}${target ? ` of ${target}` : ''}.`,
    severity: 'notice',
    fields: compact([['Target', target]]),
  };
}

/** The day's successes, grouped by target: what a `success: digest` endpoint gets once a day. */
export function digestMessage(day: string, events: readonly BackstopEvent[]): EventMessage {
  const byTarget = new Map<string, BackstopEvent[]>();
  for (const event of events) {
    const target = targetOf(event);
    byTarget.set(target, [...(byTarget.get(target) ?? []), event]);
  }
  const counts = countByType(events);
  const fields: MessageField[] = [];
  for (const [target, list] of [...byTarget.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const lines = list.slice(0, LISTED_AT_MOST * 2).map(digestLine);
    if (list.length > lines.length) lines.push(`and ${list.length - lines.length} more`);
    fields.push({ label: `${target}: ${describeCounts(countByType(list))}`, value: lines.join('\n') });
  }
  return {
    title: `Backstop daily digest for ${day}: ${describeCounts(counts)}`,
    summary: `On ${day} (UTC): ${describeCounts(counts)} on ${plural(byTarget.size, 'target')}.`,
    severity: 'success',
    fields,
  };
}

function digestLine(event: BackstopEvent): string {
  const at = event.createdAt.toISOString().slice(11, 16);
  const data = event.data;
  switch (event.type) {
    case 'backup.succeeded': {
      const size = num(data, 'sizeBytes');
      const note = str(data, 'note');
      const details = [str(data, 'trigger'), str(data, 'parts'), size !== undefined ? formatBytes(size) : undefined]
        .filter(Boolean)
        .join(', ');
      return `${at} backup ${str(data, 'backupId') ?? event.subjectId} (${details})${note ? ` "${note}"` : ''}`;
    }
    case 'restore.succeeded':
      return `${at} restore of backup ${str(data, 'backupId') ?? '?'} (${str(data, 'parts') ?? '?'})`;
    case 'retention.pruned': {
      const deleted = Array.isArray(field(data, 'deleted')) ? (field(data, 'deleted') as unknown[]).length : 0;
      return `${at} retention deleted ${plural(deleted, 'backup')}`;
    }
    case 'download.ready':
      return `${at} download of backup ${str(data, 'backupId') ?? '?'} prepared`;
    default:
      return `${at} ${event.type}`;
  }
}

const COUNT_WORDS: Partial<Record<EventType, [string, string]>> = {
  'backup.succeeded': ['backup', 'backups'],
  'restore.succeeded': ['restore', 'restores'],
  'retention.pruned': ['prune', 'prunes'],
  'download.ready': ['download', 'downloads'],
};

function countByType(events: readonly BackstopEvent[]): Map<EventType, number> {
  const counts = new Map<EventType, number>();
  for (const event of events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  return counts;
}

function describeCounts(counts: Map<EventType, number>): string {
  const parts: string[] = [];
  for (const [type, count] of counts) {
    const words = COUNT_WORDS[type] ?? [type, type];
    parts.push(`${count} ${count === 1 ? words[0] : words[1]}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/**
 * What to do about a failed backup, from its reason: the likely fix, then how to take the backup again.
 */
export function backupFailureHint(reason: string, event: Pick<BackstopEvent, 'app' | 'env'>, parts: string): string {
  const target = event.app && event.env ? `${event.app}/${event.env}` : 'app/env';
  const setting = event.app && event.env ? `apps.${event.app}.environments.${event.env}` : 'the environment';
  const again = `take a backup now with: backstop create ${parts} ${target} (or /backup create ${parts} ${target} in chat)`;
  if (cancelled(reason)) return `It was cancelled. When ready, ${again}.`;
  if (/pg_dump|pg_restore|postgresql-client/i.test(reason) && /install|package|version/i.test(reason)) {
    return `Install the PostgreSQL client package the reason names on the machines running Backstop, then ${again}.`;
  }
  if (
    /ECONNREFUSED|could not connect|connection refused|timeout expired|could not translate host|password authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist|database "[^"]*" does not exist/i.test(
      reason,
    )
  ) {
    return `Check that the database of ${target} is up and reachable from Backstop and that ${setting}.database is right, then ${again}.`;
  }
  if (/ENOSPC|no space left/i.test(reason)) {
    return `Free disk space where Backstop writes (its storage and data directory), then ${again}.`;
  }
  if (/AccessDenied|NoSuchBucket|InvalidAccessKeyId|SignatureDoesNotMatch|credentials/i.test(reason)) {
    return `Check the storage settings (storage.s3: bucket, region, credentials) and what the key may do, then ${again}.`;
  }
  if (/ENOENT|no such file|EACCES|permission denied/i.test(reason) && parts.includes('media')) {
    return `Check that the media of ${target} (${setting}.media) exists and that Backstop may read it, then ${again}.`;
  }
  if (/worker stopped responding/i.test(reason)) {
    return `Look at the logs and memory of the machines running backstop serve or backstop worker, then ${again}.`;
  }
  return `Read the reason above and the log of backstop serve; fix the cause, then ${again}.`;
}

// --- Formatting -------------------------------------------------------------------------------------------------

/** 850 -> "850 ms", 4200 -> "4.2 s", 65000 -> "1 min 5 s", 7380000 -> "2 h 3 min", 86400000 -> "1 day". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? (Math.floor(seconds * 10) / 10).toString() : Math.floor(seconds)} s`;
  const totalSeconds = Math.floor(seconds);
  if (totalSeconds < 3600) {
    const s = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)} min${s > 0 ? ` ${s} s` : ''}`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 24 * 60) {
    const m = totalMinutes % 60;
    return `${Math.floor(totalMinutes / 60)} h${m > 0 ? ` ${m} min` : ''}`;
  }
  const totalHours = Math.floor(totalMinutes / 60);
  const days = Math.floor(totalHours / 24);
  const h = totalHours % 24;
  return `${plural(days, 'day')}${h > 0 ? ` ${h} h` : ''}`;
}

// --- Reading event data -----------------------------------------------------------------------------------------

function backupFacts(event: BackstopEvent) {
  const trigger = str(event.data, 'trigger');
  const requestedBy = str(event.data, 'requestedBy');
  const slot = date(event.data, 'slot');
  const scheduled = trigger === 'scheduled';
  return {
    target: targetOf(event),
    id: str(event.data, 'backupId') ?? event.subjectId ?? '?',
    parts: str(event.data, 'parts') ?? '?',
    note: str(event.data, 'note'),
    triggerWord: scheduled ? 'scheduled' : 'on-demand',
    trigger: scheduled
      ? `scheduled${slot ? ` (${formatTime(slot)})` : ''}`
      : `on demand${requestedBy ? `, by ${requestedBy}` : ''}`,
  };
}

function restoreFacts(event: BackstopEvent) {
  return {
    destination: str(event.data, 'destination') ?? targetOf(event),
    backupId: str(event.data, 'backupId') ?? '?',
    restoreId: str(event.data, 'restoreId') ?? event.subjectId ?? undefined,
    parts: str(event.data, 'parts') ?? '?',
    safetyBackupId: str(event.data, 'safetyBackupId'),
    requestedBy: str(event.data, 'requestedBy'),
  };
}

function targetOf(event: Pick<BackstopEvent, 'app' | 'env' | 'data'>): string {
  const app = event.app ?? str(event.data, 'app');
  const env = event.env ?? str(event.data, 'env');
  return app && env ? `${app}/${env}` : (app ?? 'all targets');
}

/**
 * Event data is read defensively: it is JSON stored by whichever Backstop version recorded the event, so a field may
 * be missing or shaped differently from what this version writes.
 */
function field(data: object, key: string): unknown {
  return (data as Record<string, unknown>)[key];
}

function str(data: object, key: string): string | undefined {
  const value = field(data, key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(data: object, key: string): number | undefined {
  const value = field(data, key);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function date(data: object, key: string): Date | undefined {
  const value = str(data, key);
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function compact(fields: Array<[string, string | undefined]>): MessageField[] {
  return fields.filter((f): f is [string, string] => f[1] !== undefined).map(([label, value]) => ({ label, value }));
}

function cancelled(reason: string): boolean {
  return /^cancelled by /i.test(reason);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
