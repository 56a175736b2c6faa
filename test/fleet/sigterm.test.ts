import { describe, expect, test } from 'vitest';
import { useFleet } from './fleet.ts';

// SIGTERM (a pod deleted, a node drained): a `worker` or `serve` in the middle of a backup stops taking work, gives
// the running backup back to the queue and exits well within a pod's grace period (60 s in deploy/kubernetes); a
// process on another host then runs the backup to completion, and nothing of the stopped attempt remains.

const fleet = useFleet();
const GRACE_SECONDS = 60;

type Row = { status: string; bytes_done: string; attempts: number };

describe.each(['worker', 'serve'] as const)('SIGTERM to a %s mid-backup', (role) => {
  test.each([1, 2, 3])('trial %i: it hands the backup back and exits within the grace period', async (trial) => {
    const first = await fleet.addHost(`${role[0]}t${trial}a`);
    const second = await fleet.addHost(`${role[0]}t${trial}b`);
    await fleet.network.throttle(first, '300mbit');
    const stopping = await fleet.startBackstop(first, role);
    const created = await fleet.backstop(['create', 'media', 'shop/live', `sigterm ${role} ${trial}`, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { id: backupId, operationId } = JSON.parse(created.stdout) as { id: string; operationId: string };
    const operation = async () =>
      (await fleet.query<Row>('select status, bytes_done, attempts from operations where id = $1', [operationId]))[0];
    await fleet.waitFor('the backup to be under way', async () => {
      const row = await operation();
      return row?.status === 'running' && Number(row.bytes_done) >= trial * 24 * 1024 * 1024 ? row : undefined;
    });

    const signalledAt = Date.now();
    stopping.child.kill('SIGTERM');
    const exit = await stopping.exit;
    const seconds = (Date.now() - signalledAt) / 1000;
    expect(exit.code, stopping.stderr()).toBe(0);
    expect(seconds).toBeLessThan(GRACE_SECONDS);
    // Given back, the attempt not counted: the next one starts afresh at once, not after a lease runs out.
    expect(await operation()).toMatchObject({ status: 'queued', attempts: 0 });

    const other = await fleet.startBackstop(second, 'worker');
    const done = await fleet.waitFor('another host to complete the backup', async () => {
      const row = await operation();
      return row?.status === 'succeeded' || row?.status === 'failed' ? row : undefined;
    });
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const parts = await fleet.query<{ key: string }>('select key from backup_parts where backup_id = $1', [backupId]);
    const folder = `shop/live/${backupId}/`;
    expect(await fleet.keys(folder)).toEqual([`${folder}backup.json`, ...parts.map((part) => part.key)].sort());
    process.stdout.write(`SIGTERM to a ${role}, trial ${trial}: exited ${seconds.toFixed(2)} s after the signal\n`);
    await fleet.end(other);
  });
});
