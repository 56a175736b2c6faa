import type { Action } from '../../src/access/authorize.ts';
import type { Backup } from '../../src/domain/backup.ts';
import { type Target, targetName } from '../../src/domain/target.ts';
import { recentBackups } from '../../src/use-cases/recent-backups.ts';
import { visibleTargets } from '../../src/use-cases/visible-targets.ts';
import type { CommandName } from '../command.ts';
import { type ChatContext, chatPrincipal } from './chat-handler.ts';
import type { ChatCaller } from './chat-types.ts';

/** The word a person is typing: the backup id of a command that takes one, or a target (`app/env`). */
export interface SuggestionSlot {
  kind: 'backup' | 'target';
  /** The command the word is for: it decides which backups fit (only completed ones restore) or which role counts. */
  command: CommandName;
}

/** One choice: what the person reads, and the word it stands for. */
export interface Suggestion {
  label: string;
  value: string;
}

/** A platform's limits on a list of choices. */
export interface SuggestionLimits {
  /** The most choices shown. */
  count: number;
  /** The longest label, in characters; a longer one is cut with "…". */
  labelLength: number;
}

/**
 * Choices for a word being typed in chat (Discord's autocomplete), from the same use cases and access check as
 * every surface. Contract: only what the caller may see (backups of the apps they may read; targets of the apps on
 * which they may do what the command does), matching what they typed so far, best matches first, within `limits`;
 * never refused and never audited (it runs at each keystroke); rejects only for an outage.
 */
export interface ChatSuggestions {
  suggest(caller: ChatCaller, slot: SuggestionSlot, typed: string, limits: SuggestionLimits): Promise<Suggestion[]>;
}

/** How many of the newest backups are searched for what was typed: more than anyone scrolls through. */
const backupsSearched = 200;

/** Which backups a command can use; a command not listed can use any (show). */
const backupFits: Partial<Record<CommandName, (backup: Backup) => boolean>> = {
  restore: (backup) => backup.status === 'completed',
  download: (backup) => backup.status === 'completed',
  verify: (backup) => backup.status === 'completed',
  drill: (backup) => backup.status === 'completed',
  pin: (backup) => backup.status === 'completed' && !backup.pinned,
  unpin: (backup) => backup.pinned,
};

/** What a command does on the target it names; reading is enough for the others (list, schedule, prune --dry-run). */
const targetActions: Partial<Record<CommandName, Action>> = {
  create: 'backup.create',
  restore: 'restore.request',
};

export function createChatSuggestions(chat: ChatContext): ChatSuggestions {
  return {
    async suggest(caller, slot, typed, limits) {
      const words = typed.trim().toLowerCase();
      const choices =
        slot.kind === 'backup'
          ? await backupChoices(chat, caller, slot, words)
          : targetChoices(chat, caller, slot, words);
      return choices
        .slice(0, limits.count)
        .map((choice) => ({ ...choice, label: cut(choice.label, limits.labelLength) }));
    },
  };
}

/**
 * Backups newest first, those whose id starts with what was typed before those that mention it elsewhere (a note,
 * a target): "7k3qx2 · shop/live · 2 h ago · db+media · before deploy".
 */
async function backupChoices(
  chat: ChatContext,
  caller: ChatCaller,
  slot: SuggestionSlot,
  words: string,
): Promise<Suggestion[]> {
  const fits = backupFits[slot.command] ?? (() => true);
  const now = chat.engine.clock();
  const labelled = (await recentBackups(chat.engine, chatPrincipal(caller), backupsSearched))
    .filter(fits)
    .map((backup) => ({ label: backupLabel(backup, now), value: backup.id }));
  const byId = labelled.filter((choice) => choice.value.startsWith(words));
  const elsewhere = labelled.filter(
    (choice) => !choice.value.startsWith(words) && choice.label.toLowerCase().includes(words),
  );
  return [...byId, ...elsewhere];
}

function backupLabel(backup: Backup, now: Date): string {
  return [
    backup.id,
    `${backup.app}/${backup.env}`,
    timeAgo(backup.createdAt, now),
    backup.status === 'completed' ? backup.parts : `${backup.parts} ${backup.status}`,
    ...(backup.pinned ? ['pinned'] : []),
    ...(backup.note ? [backup.note.replace(/\s+/g, ' ')] : []),
  ].join(' · ');
}

/** Targets in the config's order, those of the app the channel is bound to first. */
function targetChoices(chat: ChatContext, caller: ChatCaller, slot: SuggestionSlot, words: string): Suggestion[] {
  const targets = visibleTargets(chat.engine, chatPrincipal(caller), targetActions[slot.command] ?? 'backup.read');
  const bound = chat.bindings.of(caller.channel)?.app;
  const ordered = [...targets.filter((t) => t.app === bound), ...targets.filter((t) => t.app !== bound)];
  return ordered
    .filter((target) => targetName(target).includes(words))
    .map((target) => ({ label: targetLabel(target), value: targetName(target) }));
}

function targetLabel(target: Target): string {
  return target.protected ? `${targetName(target)} · protected` : targetName(target);
}

/** "just now", "5 min ago", "2 h ago", "3 d ago": how long ago, as a person glances at it. */
export function timeAgo(then: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - then.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

function cut(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
