import type { BackstopEvent, NewEvent } from '../../src/domain/events.ts';

/**
 * Events shaped as the runners and the scheduler record them (src/jobs/operation-runners.ts, scheduler.ts,
 * prune-and-record.ts), for message and payload tests and to record into a real event log.
 */
export const sampleEvents = {
  backupSucceeded: {
    type: 'backup.succeeded',
    app: 'shop',
    env: 'live',
    subjectId: 'k3qx27',
    data: {
      backupId: 'k3qx27',
      app: 'shop',
      env: 'live',
      trigger: 'scheduled',
      parts: 'db+media',
      note: 'nightly',
      requestedBy: 'schedule',
      slot: '2026-11-27T02:00:00.000Z',
      sizeBytes: 1536 * 1024,
      durationMs: 65_000,
    },
  },
  onDemandSucceeded: {
    type: 'backup.succeeded',
    app: 'shop',
    env: 'staging',
    subjectId: 'b7m2p9',
    data: {
      backupId: 'b7m2p9',
      app: 'shop',
      env: 'staging',
      trigger: 'on-demand',
      parts: 'db',
      note: 'before deploy',
      requestedBy: 'slack:U1',
      slot: null,
      sizeBytes: 4200,
      durationMs: 850,
    },
  },
  backupFailed: {
    type: 'backup.failed',
    app: 'shop',
    env: 'live',
    subjectId: 'f4ab2c',
    data: {
      backupId: 'f4ab2c',
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      parts: 'db',
      note: 'before deploy',
      requestedBy: 'slack:U1',
      slot: null,
      reason: 'pg_dump could not connect: connection refused (is the server running on 10.0.0.5:5432?)',
    },
  },
  backupMissed: {
    type: 'backup.missed',
    app: 'shop',
    env: 'live',
    subjectId: null,
    data: {
      app: 'shop',
      env: 'live',
      lastCompletedBackupId: 'k3qx27',
      lastCompletedAt: '2026-11-25T02:04:00.000Z',
      expectedEveryMs: 24 * 3600 * 1000,
      schedule: { cron: '0 2 * * *', timezone: 'Europe/Zurich' },
      hint: 'Check that backstop serve (or a worker) is running and look at the failed backups of this target with: backstop list shop/live',
    },
  },
  restoreSucceeded: {
    type: 'restore.succeeded',
    app: 'shop',
    env: 'staging',
    subjectId: 'r9x2k4',
    data: {
      restoreId: 'r9x2k4',
      backupId: 'k3qx27',
      parts: 'db+media',
      destination: 'shop/staging',
      safetyBackupId: 's8d7f6',
      requestedBy: 'slack:U2',
      durationMs: 7_380_000,
    },
  },
  restoreFailed: {
    type: 'restore.failed',
    app: 'shop',
    env: 'staging',
    subjectId: 'r2f3g4',
    data: {
      restoreId: 'r2f3g4',
      backupId: 'k3qx27',
      parts: 'db',
      destination: 'shop/staging',
      safetyBackupId: 's5t6u7',
      requestedBy: 'slack:U2',
      reason: 'The database restore failed; shop/staging is unchanged. ERROR: out of shared memory',
    },
  },
  retentionPruned: {
    type: 'retention.pruned',
    app: 'shop',
    env: 'live',
    subjectId: null,
    data: {
      deleted: [
        { id: 'aaa222', reason: 'older than 30 days' },
        { id: 'bbb333', reason: 'older than 30 days' },
      ],
      kept: 23,
    },
  },
  downloadReady: {
    type: 'download.ready',
    app: 'shop',
    env: 'live',
    subjectId: 'd1e2f3',
    data: {
      downloadId: 'd1e2f3',
      backupId: 'k3qx27',
      app: 'shop',
      env: 'live',
      note: 'nightly',
      requestedBy: 'slack:U1',
      expiresAt: '2026-11-28T10:00:00.000Z',
      links: [
        {
          kind: 'db',
          url: 'https://backstop.example.com/downloads/tok1',
          filename: 'shop-live-k3qx27.dump',
          sizeBytes: 2048,
        },
        {
          kind: 'media',
          url: 'https://backstop.example.com/downloads/tok2',
          filename: 'shop-live-k3qx27-media.tar',
          sizeBytes: 5 * 1024 * 1024,
        },
      ],
    },
  },
} satisfies Record<string, NewEvent>;

/** A recorded event of `event` (id 1, at `at`). */
export function asRecorded(event: NewEvent, at = new Date('2026-11-27T10:04:00Z'), id = '1'): BackstopEvent {
  return {
    id,
    type: event.type,
    app: event.app,
    env: event.env,
    subjectId: event.subjectId,
    data: event.data,
    createdAt: at,
  } as BackstopEvent;
}
