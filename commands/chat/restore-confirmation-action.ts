import { createHash } from 'node:crypto';
import { isWellFormedId } from '../../src/domain/new-id.ts';
import { type Target, targetName } from '../../src/domain/target.ts';

/**
 * What the buttons of a restore's confirmation carry (see restore-confirmation.ts): the restore as it was described,
 * in the buttons' actions, so that any instance of a fleet can answer the click. Pure and light: the HTTP front's
 * thread reads it too, to take a question's clicks once (see `confirmationKey`).
 */

/** How long the buttons work: what the question says the restore replaces goes stale. */
export const confirmationTtlMs = 15 * 60_000;

/** The longest action a button may carry on every platform: Discord's `custom_id` (Slack allows 2000). */
export const maxActionLength = 100;

const verbs = { restore: 'restore-confirm', cancel: 'restore-cancel' } as const;

/** A restore waiting for its asker's click: everything its buttons carry. */
export interface AskedRestore {
  /** The asker's principal (`discord:123`): the only one whose click counts. */
  asker: string;
  askedAt: Date;
  backupId: string;
  parts: string;
  destination: { app: string; env: string };
  safetyBackup: boolean;
}

/** Whether a button's action is a restore confirmation's Restore or Cancel. */
export function isRestoreConfirmation(action: string): boolean {
  return action.startsWith(`${verbs.restore}:`) || action.startsWith(`${verbs.cancel}:`);
}

/**
 * The same for the Restore and the Cancel button of one question, and different for every question: whatever a person
 * clicks on a question counts once (a double click restores once; a Cancel cannot be followed by a Restore). Undefined
 * for any other action.
 */
export function confirmationKey(action: string): string | undefined {
  return isRestoreConfirmation(action) ? action.slice(action.indexOf(':') + 1) : undefined;
}

/**
 * The actions of the Restore and Cancel buttons, `restore-confirm:discord:123,mimt0k8g,7k3qx2,db,y,shop/staging`: when
 * it was asked in milliseconds, base 36 (which also tells two questions apart); the destination by name, or by `#` and
 * the start of its name's sha256 when the name is too long to fit. Undefined when even that does not fit in
 * `maxActionLength`.
 */
export function confirmationActions(asked: AskedRestore): { restore: string; cancel: string } | undefined {
  const byName = actionsOf(asked, 'name');
  if (byName.restore.length <= maxActionLength) return byName;
  const byDigest = actionsOf(asked, 'digest');
  return byDigest.restore.length <= maxActionLength ? byDigest : undefined;
}

function actionsOf(asked: AskedRestore, destination: 'name' | 'digest'): { restore: string; cancel: string } {
  const name = targetName(asked.destination);
  const payload = [
    asked.asker,
    asked.askedAt.getTime().toString(36),
    asked.backupId,
    asked.parts,
    asked.safetyBackup ? 'y' : 'n',
    destination === 'name' ? name : `#${digestOf(name)}`,
  ].join(',');
  return { restore: `${verbs.restore}:${payload}`, cancel: `${verbs.cancel}:${payload}` };
}

/** 48 bits of the name's sha256: a clash among one config's targets is not going to happen. */
function digestOf(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 12);
}

const partsWords = new Set(['db', 'media', 'db+media']);
const namePattern = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Which button of which question an action is; undefined when it is none (malformed, or a destination by digest that
 * none of `targets` has any more).
 */
export function parseConfirmation(
  action: string,
  targets: readonly Target[],
): { button: 'restore' | 'cancel'; asked: AskedRestore } | undefined {
  const button = action.startsWith(`${verbs.restore}:`)
    ? 'restore'
    : action.startsWith(`${verbs.cancel}:`)
      ? 'cancel'
      : undefined;
  if (button === undefined) return undefined;
  const [asker, seconds, backupId, parts, safety, written, ...rest] = action.slice(verbs[button].length + 1).split(',');
  const destination = written?.startsWith('#')
    ? targets.map(targetName).find((name) => `#${digestOf(name)}` === written)
    : written;
  const [app, env, ...more] = (destination ?? '').split('/');
  const askedAt = Number.parseInt(seconds ?? '', 36);
  const wellFormed =
    rest.length === 0 &&
    more.length === 0 &&
    /^[a-z-]+:\S+$/.test(asker ?? '') &&
    Number.isSafeInteger(askedAt) &&
    isWellFormedId(backupId ?? '') &&
    partsWords.has(parts ?? '') &&
    (safety === 'y' || safety === 'n') &&
    namePattern.test(app ?? '') &&
    namePattern.test(env ?? '');
  if (!wellFormed) return undefined;
  return {
    button,
    asked: {
      asker: asker!,
      askedAt: new Date(askedAt),
      backupId: backupId!,
      parts: parts!,
      destination: { app: app!, env: env! },
      safetyBackup: safety === 'y',
    },
  };
}

/** The restore in /backup words, every choice spelled out: what the confirmed click asks for. */
export function restoreWords(asked: AskedRestore): string {
  return [
    'restore',
    asked.backupId,
    asked.parts,
    'to',
    targetName(asked.destination),
    ...(asked.safetyBackup ? [] : ['--no-safety-backup']),
  ].join(' ');
}
