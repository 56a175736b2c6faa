import { describe, expect, test } from 'vitest';
import { useFleet } from './fleet.ts';

// Issue scenario "storage unreachable for 30 s": the storage host's link goes down in the middle of a backup and
// comes back 30 s later. The backup retries and completes, or fails cleanly; either way nothing half-written is left,
// nothing is recorded completed while storage is away, and a completed backup verifies. Three trials.

const OUTAGE_MS = 30_000;
const fleet = useFleet();

type Row = { status: string; bytes_done: string; attempts: number; error: string | null };

describe('the storage host is unreachable for 30 s mid-backup', () => {
  test.each([1, 2, 3])(
    'trial %i: the backup completes after the outage, or fails with nothing left',
    async (trial) => {
      const host = await fleet.addHost(`su${trial}`);
      await fleet.network.throttle(host, '300mbit');
      const worker = await fleet.startBackstop(host, 'worker');
      try {
        const created = await fleet.backstop([
          'create',
          'media',
          'shop/live',
          `storage outage, trial ${trial}`,
          '--json',
        ]);
        expect(created.code, created.stderr).toBe(0);
        const { id: backupId, operationId } = JSON.parse(created.stdout) as { id: string; operationId: string };
        const operation = async () =>
          (
            await fleet.query<Row>('select status, bytes_done, attempts, error from operations where id = $1', [
              operationId,
            ])
          )[0];
        await fleet.waitFor('the backup to be writing', async () => {
          const row = await operation();
          return row?.status === 'running' && Number(row.bytes_done) > trial * 24 * 1024 * 1024 ? row : undefined;
        });
        await fleet.network.cut(fleet.storage);
        const cutAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        // Nothing can have been recorded completed while storage was away.
        const [duringOutage] = await fleet.query<{ status: string }>('select status from backups where id = $1', [
          backupId,
        ]);
        expect(duringOutage?.status).not.toBe('completed');
        const during = await operation();
        await fleet.network.heal(fleet.storage);
        const healedAt = Date.now();

        const ended = await fleet.waitFor(
          'the backup to end',
          async () => {
            const row = await operation();
            return row?.status === 'succeeded' || row?.status === 'failed' ? row : undefined;
          },
          180_000,
        );
        const folder = `shop/live/${backupId}/`;
        const [backup] = await fleet.query<{ status: string }>('select status from backups where id = $1', [backupId]);
        if (ended.status === 'succeeded') {
          expect(backup?.status).toBe('completed');
          const parts = await fleet.query<{ key: string }>('select key from backup_parts where backup_id = $1', [
            backupId,
          ]);
          expect(await fleet.keys(folder)).toEqual([`${folder}backup.json`, ...parts.map((part) => part.key)].sort());
          const verified = await fleet.backstop(['verify', backupId, '--json']);
          expect(verified.code, verified.stderr).toBe(0);
        } else {
          expect(backup?.status).toBe('failed');
          expect(await fleet.keys(folder)).toEqual([]);
        }
        // This run's figures, for the report.
        process.stdout.write(
          `storage outage trial ${trial}: ${ended.status} (${ended.error ?? 'no error'}) after ${ended.attempts} attempt(s), ` +
            `${((Date.now() - healedAt) / 1000).toFixed(1)} s after storage came back (${((healedAt - cutAt) / 1000).toFixed(0)} s away); ` +
            `at the end of the outage the operation was ${during?.status} (${during?.error ?? 'no error recorded'})\n`,
        );
      } finally {
        await fleet.network.heal(fleet.storage).catch(() => {});
        await fleet.end(worker);
      }
    },
    300_000,
  );
});
