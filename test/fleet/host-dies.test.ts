import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mediaTree as tree, useFleet } from './fleet.ts';

// Issue scenario "a host dies": every process of a worker's host is killed in the middle of a backup, or of a
// restore; a worker on another host finishes the work. Each backup completes once and verifies, each restore
// completes once with the destination exactly the backup, and nothing of the dead attempt remains. Three trials each.

const fleet = useFleet();

type Row = { status: string; bytes_done: string; lease_generation: number; kind: string };

const operation = async (id: string) =>
  (await fleet.query<Row>('select status, bytes_done, lease_generation, kind from operations where id = $1', [id]))[0];

/**
 * Runs `work` on a worker of a first host whose link is slowed down (so that the work takes seconds), kills that host
 * once `killAtBytes` were done, and lets a second host finish it.
 */
async function killMidway(trial: string, start: () => Promise<string>, killAtBytes: number) {
  const first = await fleet.addHost(`${trial}a`);
  const second = await fleet.addHost(`${trial}b`);
  await fleet.network.throttle(first, '300mbit');
  const firstWorker = await fleet.startBackstop(first, 'worker');
  const operationId = await start();
  let last: Row | undefined;
  await fleet
    .waitFor('the work to be under way on the first host', async () => {
      last = await operation(operationId);
      return last?.status === 'running' && Number(last.bytes_done) >= killAtBytes ? last : undefined;
    })
    .catch((error: Error) => {
      throw new Error(`${error.message}; the operation: ${JSON.stringify(last)}\n${fleet.report()}`);
    });
  expect(await fleet.network.signalAll(first, 'SIGKILL')).toBeGreaterThan(0);
  expect((await firstWorker.exit).signal).toBe('SIGKILL');
  const secondWorker = await fleet.startBackstop(second, 'worker');
  const done = await fleet.waitFor('the second host to finish the work', async () => {
    const row = await operation(operationId);
    return row?.status === 'running' || row?.status === 'queued' ? undefined : row;
  });
  expect(done, fleet.report()).toMatchObject({ status: 'succeeded' });
  expect(done.lease_generation).toBeGreaterThanOrEqual(2);
  await fleet.end(secondWorker);
  return operationId;
}

describe('a host dies mid-backup', () => {
  test.each([1, 2, 3])(
    'trial %i: another host completes the backup once; it verifies; nothing of the dead attempt remains',
    async (trial) => {
      let backupId = '';
      await killMidway(
        `db${trial}`,
        async () => {
          const created = await fleet.backstop(['create', 'media', 'shop/live', `host dies, trial ${trial}`, '--json']);
          expect(created.code, created.stderr).toBe(0);
          const queued = JSON.parse(created.stdout) as { id: string; operationId: string };
          backupId = queued.id;
          return queued.operationId;
        },
        trial * 32 * 1024 * 1024,
      );
      const [backup] = await fleet.query<{ status: string }>('select status from backups where id = $1', [backupId]);
      expect(backup?.status).toBe('completed');
      const parts = await fleet.query<{ key: string }>('select key from backup_parts where backup_id = $1', [backupId]);
      const folder = `shop/live/${backupId}/`;
      expect(await fleet.keys(folder)).toEqual([`${folder}backup.json`, ...parts.map((part) => part.key)].sort());
      const events = await fleet.query<{ type: string }>(
        "select type from events where subject_id = $1 and type like 'backup.%'",
        [backupId],
      );
      expect(events.map((event) => event.type)).toEqual(['backup.succeeded']);
      const verified = await fleet.backstop(['verify', backupId, '--json']);
      expect(verified.code, verified.stderr).toBe(0);
    },
  );
});

describe('a host dies mid-restore', () => {
  test.each([1, 2, 3])(
    'trial %i: another host completes the restore once; the media are exactly the backup',
    async (trial) => {
      const original = tree(fleet.mediaDir);
      const created = await fleet.backstop([
        'create',
        'media',
        'shop/live',
        `to restore, trial ${trial}`,
        '--json',
        '--wait',
      ]);
      expect(created.code, created.stderr).toBe(0);
      const { id: backupId } = JSON.parse(created.stdout) as { id: string };
      // What the restore must undo: a file added since, one changed.
      writeFileSync(join(fleet.mediaDir, 'added-since.txt'), 'not in the backup');
      writeFileSync(join(fleet.mediaDir, 'upload-0.bin'), 'changed since');
      let restoreId = '';
      await killMidway(
        `dr${trial}`,
        async () => {
          const asked = await fleet.backstop(['restore', backupId, 'media', '--no-safety-backup', '--yes', '--json']);
          expect(asked.code, asked.stderr).toBe(0);
          const queued = JSON.parse(asked.stdout) as { id: string; operationId: string };
          restoreId = queued.id;
          return queued.operationId;
        },
        trial * 40 * 1024 * 1024, // at different points of the restore
      );
      expect(tree(fleet.mediaDir)).toEqual(original);
      // No staging folder of the dead attempt beside the media directory.
      expect(
        readdirSync(join(fleet.mediaDir, '..')).filter((name) => name.includes('media') && name !== 'media'),
      ).toEqual([]);
      const [restore] = await fleet.query<{ status: string }>('select status from restores where id = $1', [restoreId]);
      expect(restore?.status).toBe('succeeded');
      const events = await fleet.query<{ type: string }>(
        "select type from events where subject_id = $1 and type like 'restore.%'",
        [restoreId],
      );
      expect(events.map((event) => event.type)).toEqual(['restore.succeeded']);
    },
  );
});
