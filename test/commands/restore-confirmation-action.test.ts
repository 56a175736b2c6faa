import { describe, expect, test } from 'vitest';
import {
  type AskedRestore,
  confirmationActions,
  confirmationKey,
  parseConfirmation,
  restoreWords,
} from '../../commands/chat/restore-confirmation-action.ts';
import { target } from '../support/engine.ts';

const asked: AskedRestore = {
  asker: 'discord:333333333333333333',
  askedAt: new Date('2026-11-26T10:00:00.123Z'),
  backupId: '7k3qx2',
  parts: 'db+media',
  destination: { app: 'shop', env: 'staging' },
  safetyBackup: false,
};
const longEnv = 'preview-of-the-new-checkout-for-the-eu-region-2';
const targets = [target('shop', 'staging', {}), target('shop', longEnv, {})];

describe('the actions of a restore confirmation', () => {
  test('carry the restore as asked, within 100 characters, and read back to it', () => {
    const actions = confirmationActions(asked)!;
    expect(actions.restore).toBe(
      `restore-confirm:discord:333333333333333333,${asked.askedAt.getTime().toString(36)},7k3qx2,db+media,n,shop/staging`,
    );
    expect(actions.restore.length).toBeLessThanOrEqual(100);
    expect(parseConfirmation(actions.restore, targets)).toEqual({ button: 'restore', asked });
    expect(parseConfirmation(actions.cancel, targets)).toEqual({ button: 'cancel', asked });
    expect(restoreWords(asked)).toBe('restore 7k3qx2 db+media to shop/staging --no-safety-backup');
  });

  test('a destination too long to fit travels as a digest, found again among the targets', () => {
    const long = { ...asked, destination: { app: 'shop', env: longEnv } };
    const actions = confirmationActions(long)!;
    expect(actions.restore.length).toBeLessThanOrEqual(100);
    expect(actions.restore).toMatch(/,#[0-9a-f]{12}$/);
    expect(parseConfirmation(actions.restore, targets)).toEqual({ button: 'restore', asked: long });
    // No longer configured: not found.
    expect(parseConfirmation(actions.restore, [targets[0]!])).toBeUndefined();
  });

  test('one key for both buttons of a question, another for another question, none for other actions', () => {
    const actions = confirmationActions(asked)!;
    const later = confirmationActions({ ...asked, askedAt: new Date(asked.askedAt.getTime() + 1) })!;
    expect(confirmationKey(actions.restore)).toBe(confirmationKey(actions.cancel));
    expect(confirmationKey(later.restore)).not.toBe(confirmationKey(actions.restore));
    expect(confirmationKey('approve:r4x9ka')).toBeUndefined();
  });

  test.each([
    'approve:r4x9ka',
    'restore-confirm:',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,db,y',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,db,y,shop/staging,extra',
    'restore-confirm:discord:1,mimt0k8g,7K3QX2,db,y,shop/staging',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,everything,y,shop/staging',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,db,maybe,shop/staging',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,db,y,shop/staging/x',
    'restore-confirm:discord:1,mimt0k8g,7k3qx2,db,y,../etc',
    'restore-cancel:nobody,mimt0k8g,7k3qx2,db,y,shop/staging',
  ])('%s is not a confirmation', (action) => {
    expect(parseConfirmation(action, targets)).toBeUndefined();
  });
});
