import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { Backup } from '../../src/domain/backup.ts';
import type { Principal } from '../../src/domain/principal.ts';
import { targetName } from '../../src/domain/target.ts';
import { authorizedRead } from '../../src/use-cases/audited.ts';
import { showBackup } from '../../src/use-cases/read-backups.ts';
import { previewRestore } from '../../src/use-cases/request-restore.ts';
import { formatTime } from '../handlers/format.ts';
import type { ChatContext } from './chat-handler.ts';
import type { ChatForm, ChatFormErrors, ChatFormValues } from './chat-types.ts';

/** The id of a backup's restore form, as `restore-form:<backup>` buttons open it and submissions bring it back. */
export function restoreFormId(backupId: string): string {
  return `restore:${backupId}`;
}

/** The backup a form id names, if it is a restore form's. */
export function backupOfRestoreForm(form: string): string | undefined {
  const match = /^restore:([a-z0-9]{1,32})$/.exec(form);
  return match?.[1];
}

const partLabels: Record<string, string> = {
  'db+media': 'Database and media',
  db: 'Database only',
  media: 'Media only',
};

/**
 * The form that asks what to restore from a completed backup and where: the parts (those the backup holds), the
 * destination (the environments of the backup's app; a protected one says it needs approval) and whether to take a
 * safety backup first (yes unless unticked). Refused (a BackstopError with a userMessage, audited) when the caller
 * may not read the backup or restore into its app, or the backup is not completed: they are told at the click,
 * rather than after filling in a form.
 */
export async function restoreForm(chat: ChatContext, principal: Principal, backupId: string): Promise<ChatForm> {
  const { backup } = await showBackup(chat.engine, principal, backupId);
  await authorizedRead(chat.engine, principal, 'restore.request', backup.app, `restore ${backup.id}`);
  if (backup.status !== 'completed') {
    const message = `Backup ${backup.id} is ${backup.status}, not completed: only a completed backup can be restored.`;
    throw new BackstopError('backup-not-restorable', message, { userMessage: message });
  }
  const destinations = chat.engine.targets.filter((t) => t.app === backup.app);
  const own = targetName(backup);
  return {
    id: restoreFormId(backup.id),
    title: `Restore ${backup.id}`,
    intro:
      `Backup *${backup.id}* of ${own}, taken ${formatTime(backup.createdAt)} (${backup.trigger})` +
      `${backup.note ? `: "${backup.note}"` : ''}. The destination ends exactly as in the backup: what it holds now ` +
      'is overwritten.',
    submit: 'Restore',
    fields: [
      {
        kind: 'choice',
        name: 'parts',
        label: 'What',
        options: partChoices(backup).map((value) => ({ value, label: partLabels[value] ?? value })),
        initial: backup.parts,
      },
      {
        kind: 'choice',
        name: 'destination',
        label: 'Into',
        options: destinations.map((target) => ({
          value: targetName(target),
          label:
            `${targetName(target)}${targetName(target) === own ? ' (where it was taken)' : ''}` +
            `${target.protected ? ' (protected: needs approval)' : ''}`,
        })),
        initial: destinations.some((target) => targetName(target) === own) ? own : targetName(destinations[0]!),
      },
      {
        kind: 'checkbox',
        name: 'safetyBackup',
        label: 'Safety backup',
        description: 'Back up the destination first, so that this restore can be undone',
        checked: true,
      },
    ],
  };
}

/**
 * What is wrong with a submitted restore form, by field, found as the restore itself would find it (the roles, the
 * destination, the parts the backup holds, whether the restore is possible) without doing anything: the refusal of
 * a role is audited, as every refusal is. Empty when the restore may be asked for. A problem that is not the
 * person's to fix (the store or a database not answering) is left for the restore to report.
 */
export async function checkRestoreForm(
  chat: ChatContext,
  principal: Principal,
  backupId: string,
  values: ChatFormValues,
): Promise<ChatFormErrors> {
  const backup = await chat.engine.catalog.findBackup(backupId);
  if (!backup) return { destination: `There is no backup ${backupId} any more: it was deleted.` };
  const parts = values['parts'];
  if (typeof parts !== 'string' || !partChoices(backup).includes(parts)) {
    return { parts: `Choose what to restore: backup ${backup.id} holds ${backup.parts}.` };
  }
  const to = destinationOf(values);
  if (to === undefined || to.app !== backup.app) {
    return { destination: `Choose one of the environments of ${backup.app}.` };
  }
  try {
    // The roles first, so that a refusal is audited in the words of the restore asked for.
    const asked = restoreFormCommand(backup.id, values);
    await authorizedRead(chat.engine, principal, 'restore.request', to.app, asked);
    await authorizedRead(chat.engine, principal, 'backup.read', backup.app, asked);
    await previewRestore(chat.engine, principal, {
      backupId: backup.id,
      parts,
      to,
      safetyBackup: values['safetyBackup'] === true,
    });
    return {};
  } catch (error) {
    if (!(error instanceof BackstopError) || error.userMessage === undefined) return {};
    const field = error.code === 'part-missing' || error.code === 'bad-parts' ? 'parts' : 'destination';
    return { [field]: error.userMessage };
  }
}

/**
 * The `/backup` words a restore form's values stand for (`restore 7k3qx2 db to shop/staging`), so that a submission
 * goes through the same parsing, use case and approval flow as the typed command, and the audit log shows it so.
 */
export function restoreFormCommand(backupId: string, values: ChatFormValues): string {
  const words = ['restore', backupId];
  if (typeof values['parts'] === 'string') words.push(values['parts']);
  const to = destinationOf(values);
  if (to !== undefined) words.push('to', `${to.app}/${to.env}`);
  if (values['safetyBackup'] !== true) words.push('--no-safety-backup');
  return words.join(' ');
}

function partChoices(backup: Backup): string[] {
  return backup.parts === 'db+media' ? ['db+media', 'db', 'media'] : [backup.parts];
}

function destinationOf(values: ChatFormValues): { app: string; env: string } | undefined {
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(typeof values['destination'] === 'string' ? values['destination'] : '');
  return match ? { app: match[1]!, env: match[2]! } : undefined;
}
