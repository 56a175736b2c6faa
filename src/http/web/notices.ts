import type { Request } from 'express';

/**
 * What a page says after an action redirected to it. Only these fixed texts: a notice's words never come from the
 * address, which anyone can write.
 */
const notices = {
  'backup-queued': 'The backup is queued: its progress shows here as it runs.',
  'restore-queued': 'The restore is queued: its progress shows here as it runs.',
  'approval-requested':
    'The restore into a protected target waits for another approver: it is listed here and posted to the channels bound to it.',
  'drill-queued':
    'The drill is queued: the backup is restored into scratch space and checked; the backup page then says how it went.',
  'download-queued': 'The download is being prepared: its links appear here when ready, and by email when configured.',
  pinned: 'Pinned: retention never deletes this backup until it is unpinned.',
  unpinned: 'Unpinned: retention decides about this backup again.',
  'cancel-asked': 'Cancel asked: a queued operation ends at once, a running one at its next heartbeat.',
  approved: 'Approved: the restore is queued.',
  denied: 'Denied: nothing is restored.',
  withdrawn: 'Withdrawn: nothing is restored.',
} as const;

export function noticeIn(request: Request): { kind: 'ok'; text: string } | undefined {
  const key = request.query['notice'];
  return typeof key === 'string' && key in notices
    ? { kind: 'ok', text: notices[key as keyof typeof notices] }
    : undefined;
}
