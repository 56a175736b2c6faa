import { describe, expect, test } from 'vitest';
import { useFleet } from './fleet.ts';

// Issue scenario "a worker is cut off": a worker loses the state past its lease in the middle of a backup (its link
// to the state host drops everything, or the whole host stalls), another worker on another host takes the backup
// over, then the first comes back. The first must not complete anything, overwrite the other's objects or leave
// objects behind; the backup completes once and verifies. Three trials of each way of being cut off.

const fleet = useFleet();

type Row = { id: string; status: string; lease_generation: number; bytes_done: string; attempts: number };

describe.each([
  ['partitioned from the state host (its packets to it are lost)', 'partition'],
  ['its host stalls (every process stopped, then continued)', 'stall'],
] as const)('a worker cut off past its lease: %s', (_how, way) => {
  test.each([1, 2, 3])(
    'trial %i: the backup completes once, by the other worker, and only its objects remain',
    async (trial) => {
      const first = await fleet.addHost(`w${way[0]}${trial}a`);
      const second = await fleet.addHost(`w${way[0]}${trial}b`);
      await fleet.network.throttle(first, '300mbit'); // the backup takes seconds there, so the cut comes mid-write
      const firstWorker = await fleet.startBackstop(first, 'worker');
      try {
        const created = await fleet.backstop(['create', 'media', 'shop/live', `${way} trial ${trial}`, '--json']);
        expect(created.code, created.stderr).toBe(0);
        const { id: backupId, operationId } = JSON.parse(created.stdout) as { id: string; operationId: string };
        const operation = () =>
          fleet.query<Row>('select id, status, lease_generation, bytes_done, attempts from operations where id = $1', [
            operationId,
          ]);
        // The first worker is well into the backup.
        await fleet.waitFor('the first worker to be writing', async () => {
          const [row] = await operation();
          return row?.status === 'running' && Number(row.bytes_done) > 16 * 1024 * 1024 ? row : undefined;
        });
        if (way === 'partition') await fleet.network.cutBetween(first, fleet.state);
        else expect(await fleet.network.signalAll(first, 'SIGSTOP')).toBeGreaterThan(0);

        const secondWorker = await fleet.startBackstop(second, 'worker');
        const done = await fleet.waitFor('the second worker to complete the backup', async () => {
          const [row] = await operation();
          return row?.status === 'succeeded' || row?.status === 'failed' ? row : undefined;
        });
        expect(done, fleet.report()).toMatchObject({ status: 'succeeded' });

        // The first comes back and learns that it lost the operation.
        if (way === 'partition') await fleet.network.heal(first);
        else await fleet.network.signalAll(first, 'SIGCONT');
        await fleet.waitFor(
          'the first worker to give the backup up',
          async () =>
            firstWorker.stderr().includes(`operation ${operationId}`) && /left to it/.test(firstWorker.stderr())
              ? true
              : undefined,
          60_000,
        );

        const [ended] = await operation();
        expect(ended).toMatchObject({ status: 'succeeded' });
        expect(ended!.lease_generation).toBeGreaterThanOrEqual(2);
        const [backup] = await fleet.query<{ status: string }>('select status from backups where id = $1', [backupId]);
        expect(backup?.status).toBe('completed');
        const parts = await fleet.query<{ key: string }>('select key from backup_parts where backup_id = $1', [
          backupId,
        ]);
        const folder = `shop/live/${backupId}/`;
        expect(parts.map((part) => part.key)).toEqual([`${folder}media.g${ended!.lease_generation}.tar.age`]);
        expect(await fleet.keys(folder), fleet.report()).toEqual([`${folder}backup.json`, parts[0]!.key].sort());
        const events = await fleet.query<{ type: string }>(
          "select type from events where subject_id = $1 and type like 'backup.%' order by id",
          [backupId],
        );
        expect(events.map((event) => event.type)).toEqual(['backup.succeeded']);
        const verified = await fleet.backstop(['verify', backupId, '--json']);
        expect(verified.code, verified.stderr).toBe(0);
        expect(JSON.parse(verified.stdout)).toMatchObject({ verification: { ok: true } });
        // Its log, off a terminal, is JSON lines; those of the backup name the operation and the target.
        const lines = secondWorker
          .stderr()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { level: string; time: string; msg: string; operationId?: string });
        expect(lines.find((line) => line.msg.endsWith(`backup ${backupId} of shop/live completed`))).toMatchObject({
          level: 'info',
          operationId,
          target: 'shop/live',
        });
        await fleet.end(secondWorker);
      } finally {
        await fleet.network.heal(first).catch(() => {});
        await fleet.network.signalAll(first, 'SIGCONT').catch(() => 0);
        await fleet.end(firstWorker);
      }
    },
    180_000,
  );
});
