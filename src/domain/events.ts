import type { PartsChoice } from './part-kind.ts';

/** What every backup event says of its backup. */
export interface BackupFacts {
  backupId: string;
  app: string;
  env: string;
  trigger: 'scheduled' | 'on-demand';
  parts: PartsChoice | string;
  note: string | null;
  requestedBy: string | null;
  /** The scheduled time of a scheduled backup (ISO 8601), else null. */
  slot: string | null;
}

/** What every restore event says of its restore. */
export interface RestoreFacts {
  restoreId: string;
  backupId: string;
  parts: PartsChoice | string;
  /** `app/env`. */
  destination: string;
  safetyBackupId: string | null;
  requestedBy: string | null;
}

/** The data each type of event carries: what a message needs to say what happened. Stored as JSON. */
export interface EventData {
  'backup.succeeded': BackupFacts & { sizeBytes: number; durationMs: number };
  'backup.failed': BackupFacts & { reason: string };
  'backup.missed': {
    app: string;
    env: string;
    lastCompletedBackupId: string | null;
    lastCompletedAt: string | null;
    expectedEveryMs: number;
    schedule: { cron: string; timezone: string };
    hint: string;
  };
  'restore.succeeded': RestoreFacts & { durationMs: number };
  'restore.failed': RestoreFacts & { reason: string };
  'drill.failed': {
    drillId: string;
    backupId: string;
    app: string;
    env: string;
    trigger: 'scheduled' | 'on-demand';
    requestedBy: string | null;
    /** What failed: the restore, a table's count (recorded against found), an SQL check. */
    reason: string;
    hint: string;
  };
  'drill.missed': {
    app: string;
    env: string;
    lastProvenBackupId: string | null;
    lastProvenAt: string | null;
    expectedEveryMs: number;
    schedule: { cron: string; timezone: string };
    hint: string;
  };
  'retention.pruned': { deleted: Array<{ id: string; reason: string }>; kept: number };
  'download.ready': {
    downloadId: string;
    backupId: string;
    app: string;
    env: string;
    note: string | null;
    requestedBy: string | null;
    expiresAt: string | null;
    links: Array<{ kind: string; url: string; filename: string; sizeBytes: number }>;
  };
}

export type EventType = keyof EventData;

/** Every event type, in the order people read them (docs, settings, webhook filters). */
export const eventTypes = [
  'backup.succeeded',
  'backup.failed',
  'backup.missed',
  'restore.succeeded',
  'restore.failed',
  'drill.failed',
  'drill.missed',
  'retention.pruned',
  'download.ready',
] as const satisfies readonly EventType[];

// A compile-time check that the list above names every EventType.
type MissingEventType = Exclude<EventType, (typeof eventTypes)[number]>;
const everyEventTypeListed: MissingEventType extends never ? true : false = true;
void everyEventTypeListed;

/** Something that happened, for notifications (webhooks, chat, email) to announce; `type` decides `data`'s shape. */
export type BackstopEvent = {
  [T in EventType]: {
    id: string;
    type: T;
    app: string | null;
    env: string | null;
    /** The backup, restore, drill or download it is about. */
    subjectId: string | null;
    data: EventData[T];
    createdAt: Date;
  };
}[EventType];

/** An event to record. */
export type NewEvent = {
  [T in EventType]: {
    type: T;
    app: string | null;
    env: string | null;
    subjectId: string | null;
    data: EventData[T];
    /** Set for events that must be recorded once however many instances notice them; a repeat is ignored. */
    dedupeKey?: string;
  };
}[EventType];
