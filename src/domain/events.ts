export type EventType =
  | 'backup.succeeded'
  | 'backup.failed'
  | 'backup.missed'
  | 'restore.succeeded'
  | 'restore.failed'
  | 'retention.pruned'
  | 'download.ready';

/** Something that happened, for notifications (webhooks, chat, email) to announce. */
export interface BackstopEvent {
  id: string;
  type: EventType;
  app: string | null;
  env: string | null;
  /** The backup, restore or download it is about. */
  subjectId: string | null;
  /** What a message needs to say what happened: target, trigger, sizes, duration, note, reason, hint. */
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface NewEvent {
  type: EventType;
  app: string | null;
  env: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  /** Set for events that must be recorded once however many instances notice them; a repeat is ignored. */
  dedupeKey?: string;
}
