import { describe, expect, test } from 'vitest';
import type { NewEvent } from '../../src/domain/events.ts';
import {
  backupFailureHint,
  digestMessage,
  eventMessage,
  formatDuration,
  messageLines,
} from '../../src/notify/event-message.ts';
import { formatBytes, formatTime } from '../../src/text/format-units.ts';
import { asRecorded, sampleEvents } from './events.ts';

describe('eventMessage', () => {
  test.each([
    {
      event: sampleEvents.backupSucceeded,
      severity: 'success',
      title: 'Backup of shop/live completed',
      summary: 'Scheduled backup k3qx27 of shop/live (db+media) completed: 1.5 MB in 1 min 5 s.',
      lines: [
        'Target: shop/live',
        'Trigger: scheduled (2026-11-27 02:00 UTC)',
        'Parts: db+media',
        'Size: 1.5 MB',
        'Duration: 1 min 5 s',
        'Note: nightly',
        'Backup: k3qx27',
      ],
    },
    {
      event: sampleEvents.onDemandSucceeded,
      severity: 'success',
      title: 'Backup of shop/staging completed',
      summary: 'On-demand backup b7m2p9 of shop/staging (db) completed: 4.1 KB in 850 ms.',
      lines: [
        'Target: shop/staging',
        'Trigger: on demand, by slack:U1',
        'Parts: db',
        'Size: 4.1 KB',
        'Duration: 850 ms',
        'Note: before deploy',
        'Backup: b7m2p9',
      ],
    },
    {
      event: sampleEvents.backupFailed,
      severity: 'failure',
      title: 'Backup of shop/live failed',
      summary:
        'On-demand backup f4ab2c of shop/live (db) failed: pg_dump could not connect: connection refused (is the server running on 10.0.0.5:5432?).',
      lines: [
        'Target: shop/live',
        'Trigger: on demand, by slack:U1',
        'Parts: db',
        'Note: before deploy',
        'Reason: pg_dump could not connect: connection refused (is the server running on 10.0.0.5:5432?)',
        'What to do: Check that the database of shop/live is up and reachable from Backstop and that ' +
          'apps.shop.environments.live.database is right, then take a backup now with: backstop create db shop/live ' +
          '(or /backup create db shop/live in chat).',
        'Backup: f4ab2c',
      ],
    },
    {
      event: sampleEvents.backupMissed,
      severity: 'failure',
      title: 'No scheduled backup of shop/live since 2026-11-25 02:04 UTC',
      summary:
        'No scheduled backup of shop/live has completed since 2026-11-25 02:04 UTC; one is expected every 1 day.',
      lines: [
        'Target: shop/live',
        'Trigger: scheduled',
        'Last completed: k3qx27 at 2026-11-25 02:04 UTC',
        'Schedule: 0 2 * * * (Europe/Zurich)',
        'Expected every: 1 day',
        'What to do: Check that backstop serve (or a worker) is running and look at the failed backups of this ' +
          'target with: backstop list shop/live',
      ],
    },
    {
      event: sampleEvents.restoreSucceeded,
      severity: 'success',
      title: 'Restore into shop/staging completed',
      summary: 'Backup k3qx27 (db+media) was restored into shop/staging in 2 h 3 min.',
      lines: [
        'Target: shop/staging',
        'Trigger: on demand, by slack:U2',
        'From backup: k3qx27',
        'Parts: db+media',
        'Duration: 2 h 3 min',
        'Safety backup: s8d7f6 (to undo: backstop restore s8d7f6 db+media to shop/staging)',
        'Restore: r9x2k4',
      ],
    },
    {
      event: sampleEvents.restoreFailed,
      severity: 'failure',
      title: 'Restore into shop/staging failed',
      summary:
        'The restore of backup k3qx27 (db) into shop/staging failed: The database restore failed; shop/staging is unchanged. ERROR: out of shared memory.',
      lines: [
        'Target: shop/staging',
        'Trigger: on demand, by slack:U2',
        'From backup: k3qx27',
        'Parts: db',
        'Safety backup: s5t6u7',
        'Reason: The database restore failed; shop/staging is unchanged. ERROR: out of shared memory',
        'What to do: Fix the cause named in the reason, then run the restore again: backstop restore k3qx27 db to ' +
          'shop/staging. If shop/staging is not as it should be, the safety backup s5t6u7 holds it as it was ' +
          'before: backstop restore s5t6u7 db to shop/staging',
        'Restore: r2f3g4',
      ],
    },
    {
      event: sampleEvents.retentionPruned,
      severity: 'notice',
      title: 'Retention deleted 2 backups of shop/live',
      summary: 'Retention deleted 2 backups of shop/live; 23 backups kept.',
      lines: ['Target: shop/live', 'Deleted: aaa222 (older than 30 days), bbb333 (older than 30 days)', 'Kept: 23'],
    },
    {
      event: sampleEvents.downloadReady,
      severity: 'notice',
      title: 'Download of backup k3qx27 of shop/live is ready',
      summary: 'The download of backup k3qx27 of shop/live is ready; its links work until 2026-11-28 10:00 UTC.',
      lines: [
        'Target: shop/live',
        'Backup: k3qx27',
        'Note: nightly',
        'Requested by: slack:U1',
        'Database: shop-live-k3qx27.dump (2.0 KB): https://backstop.example.com/downloads/tok1',
        'Media: shop-live-k3qx27-media.tar (5.0 MB): https://backstop.example.com/downloads/tok2',
        'Links valid until: 2026-11-28 10:00 UTC',
      ],
    },
  ])('$event.type: $title', ({ event, severity, title, summary, lines }) => {
    const message = eventMessage(asRecorded(event));
    expect(message.severity).toBe(severity);
    expect(message.title).toBe(title);
    expect(message.summary).toBe(summary);
    expect(messageLines(message)).toEqual(lines);
  });

  test('a failed drill says what failed and what to do; a missed drill when the last proof was', () => {
    const failed = eventMessage(
      asRecorded({
        type: 'drill.failed',
        app: 'shop',
        env: 'live',
        subjectId: 'd7r1ll',
        data: {
          drillId: 'd7r1ll',
          backupId: 'k3qx27',
          app: 'shop',
          env: 'live',
          trigger: 'scheduled',
          requestedBy: 'schedule',
          reason: 'table shop.orders: recorded 1201 rows, found 1200',
          hint: 'Do not rely on backup k3qx27: take a new backup.',
        },
      }),
    );
    expect(failed.severity).toBe('failure');
    expect(failed.title).toBe('Restore drill of shop/live failed');
    expect(failed.summary).toBe(
      'The restore drill of backup k3qx27 of shop/live failed: table shop.orders: recorded 1201 rows, found 1200.',
    );
    expect(messageLines(failed)).toEqual([
      'Target: shop/live',
      'Trigger: scheduled',
      'Backup: k3qx27',
      'Reason: table shop.orders: recorded 1201 rows, found 1200',
      'What to do: Do not rely on backup k3qx27: take a new backup.',
      'Drill: d7r1ll',
    ]);
    const missed = eventMessage(
      asRecorded({
        type: 'drill.missed',
        app: 'shop',
        env: 'live',
        subjectId: null,
        data: {
          app: 'shop',
          env: 'live',
          lastProvenBackupId: 'k3qx27',
          lastProvenAt: '2026-11-29T05:01:00.000Z',
          expectedEveryMs: 7 * 86_400_000,
          schedule: { cron: '0 5 * * 0', timezone: 'UTC' },
          hint: 'Check that backstop serve is running.',
        },
      }),
    );
    expect(missed.title).toBe('No backup of shop/live proven restorable since 2026-11-29 05:01 UTC');
    expect(messageLines(missed)).toContain('Last proven: k3qx27 at 2026-11-29 05:01 UTC');
  });

  test('a drill someone asked for names them, as a person the message mentions', () => {
    const failed = eventMessage(
      asRecorded({
        type: 'drill.failed',
        app: 'shop',
        env: 'live',
        subjectId: 'd7r1ll',
        data: {
          drillId: 'd7r1ll',
          backupId: 'k3qx27',
          app: 'shop',
          env: 'live',
          trigger: 'on-demand',
          requestedBy: 'slack:UANA',
          reason: 'check "select count(*) > 0 from auth_user" did not hold',
          hint: 'Look at the check.',
        },
      }),
    );
    expect(messageLines(failed)).toContain('Trigger: on demand, by slack:UANA');
    expect(failed.people).toEqual(['slack:UANA']);
  });

  test('a missed backup of a target that never had one says so', () => {
    const message = eventMessage(
      // Without a hint, as an older version recorded it.
      asRecorded({
        ...sampleEvents.backupMissed,
        data: {
          ...sampleEvents.backupMissed.data,
          lastCompletedBackupId: null,
          lastCompletedAt: null,
          hint: undefined,
        },
      } as unknown as NewEvent),
    );
    expect(message.title).toBe('No scheduled backup of shop/live yet');
    expect(messageLines(message)).toContain('Last completed: none yet');
    expect(messageLines(message).at(-1)).toMatch(/^What to do: Check that backstop serve .* backstop list shop\/live$/);
  });

  test('a backup without a note leaves the note out rather than saying "null"', () => {
    const message = eventMessage(
      asRecorded({ ...sampleEvents.backupSucceeded, data: { ...sampleEvents.backupSucceeded.data, note: null } }),
    );
    expect(messageLines(message).join('\n')).not.toMatch(/Note|null|undefined/);
  });
});

describe('what to do about a failed backup', () => {
  const shop = { app: 'shop', env: 'live' };
  test.each([
    [
      'pg_dump 15 is older than the server (16): install the package postgresql-client-16',
      /^Install the PostgreSQL client package/,
    ],
    ['password authentication failed for user "shop"', /^Check that the database of shop\/live is up/],
    ['ENOSPC: no space left on device, write', /^Free disk space/],
    ['AccessDenied: Access Denied', /^Check the storage settings \(storage\.s3/],
    [
      "ENOENT: no such file or directory, scandir '/srv/media'",
      /^Check that the media of shop\/live \(apps\.shop\.environments\.live\.media\)/,
    ],
    [
      'cancelled by slack:U1',
      /^It was cancelled\. When ready, take a backup now with: backstop create db\+media shop\/live/,
    ],
    ['its worker stopped responding during each of 3 attempts', /^Look at the logs and memory/],
    [
      'something nobody foresaw',
      /^Read the reason above and the log of backstop serve; fix the cause, then take a backup now/,
    ],
  ])('%s', (reason, hint) => {
    expect(backupFailureHint(reason, shop, 'db+media')).toMatch(hint);
  });
});

describe('digestMessage', () => {
  test('lists the day’s successes grouped by target, with counts', () => {
    const events = [
      asRecorded(sampleEvents.backupSucceeded, new Date('2026-11-27T02:01:00Z'), '1'),
      asRecorded(sampleEvents.onDemandSucceeded, new Date('2026-11-27T09:30:00Z'), '2'),
      asRecorded(sampleEvents.retentionPruned, new Date('2026-11-27T02:02:00Z'), '3'),
      asRecorded(sampleEvents.restoreSucceeded, new Date('2026-11-27T11:00:00Z'), '4'),
    ];
    const message = digestMessage('2026-11-27', events);
    expect(message.title).toBe('Backstop daily digest for 2026-11-27: 2 backups, 1 prune, 1 restore');
    expect(message.summary).toBe('On 2026-11-27 (UTC): 2 backups, 1 prune, 1 restore on 2 targets.');
    expect(message.fields).toEqual([
      {
        label: 'shop/live: 1 backup, 1 prune',
        value: [
          '02:01 backup k3qx27 (scheduled, db+media, 1.5 MB) "nightly"',
          '02:02 retention deleted 2 backups',
        ].join('\n'),
      },
      {
        label: 'shop/staging: 1 backup, 1 restore',
        value: [
          '09:30 backup b7m2p9 (on-demand, db, 4.1 KB) "before deploy"',
          '11:00 restore of backup k3qx27 (db+media)',
        ].join('\n'),
      },
    ]);
  });
});

describe('formatting', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [10 * 1024 * 1024, '10 MB'],
    [3.5 * 1024 ** 3, '3.5 GB'],
  ])('formatBytes(%d) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  test.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [4250, '4.2 s'],
    [42_000, '42 s'],
    [60_000, '1 min'],
    [65_000, '1 min 5 s'],
    [3_600_000, '1 h'],
    [7_380_000, '2 h 3 min'],
    [86_400_000, '1 day'],
    [2 * 86_400_000 + 3 * 3_600_000, '2 days 3 h'],
  ])('formatDuration(%d) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  test('formatTime', () => expect(formatTime(new Date('2026-11-27T10:04:59Z'))).toBe('2026-11-27 10:04 UTC'));
});
