import type { Trigger } from '../src/domain/backup.ts';
import type { PartsChoice } from '../src/domain/part-kind.ts';

/** A target as written in a command: `app/env`, or just `env` where the channel is bound to an app. */
export interface TargetRef {
  app?: string;
  env: string;
}

/** A parsed /backup command: what every adapter (CLI, Slack, Discord) hands to the handlers. */
export type Command =
  | { name: 'help'; topic?: string }
  | { name: 'list'; target?: TargetRef; trigger?: Trigger }
  | { name: 'create'; parts?: PartsChoice; target?: TargetRef; note?: string }
  /** `id`: of a backup, a restore, a download or an operation. */
  | { name: 'show'; id: string }
  | { name: 'restore'; id: string; parts?: PartsChoice; to?: TargetRef; safetyBackup: boolean }
  | { name: 'verify'; id: string }
  /** A backup by `id`, or the newest completed backup of `target` (or of the channel's bound target). */
  | { name: 'drill'; id?: string; target?: TargetRef }
  | { name: 'pin'; id: string }
  | { name: 'unpin'; id: string }
  | { name: 'prune'; target?: TargetRef; dryRun: boolean }
  | { name: 'schedule'; target?: TargetRef }
  | { name: 'download'; id: string; parts?: PartsChoice; email?: string }
  /** One operation (`id`: its own, or its backup's, restore's or download's), or all: finished ones too (`all`). */
  | { name: 'status'; id?: string; all?: true }
  | { name: 'cancel'; id: string };

export type CommandName = Command['name'];
