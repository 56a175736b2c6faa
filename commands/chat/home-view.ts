import type { Backup } from '../../src/domain/backup.ts';
import type { Principal } from '../../src/domain/principal.ts';
import type { RestoreRequest } from '../../src/domain/restore-request.ts';
import { proofWords } from '../../src/text/proof-words.ts';
import { listActiveOperations } from '../../src/use-cases/operations.ts';
import { listBackups } from '../../src/use-cases/read-backups.ts';
import { listRestoreRequests } from '../../src/use-cases/read-restore-requests.ts';
import { readTargets } from '../../src/use-cases/read-targets.ts';
import { formatBytes, formatTime, operationLine } from '../handlers/format.ts';
import { decisionButtons } from './approvals.ts';
import type { ChatContext } from './chat-handler.ts';
import type { ChatMessage } from './chat-types.ts';
import { mention } from './mention.ts';

/** How many requests and operations the overview lists at most (a Slack Home tab holds 100 blocks). */
const requestsShown = 20;
const operationsShown = 30;

/**
 * A person's overview, as the other surfaces show it through the same use cases and access check: per app they may
 * read, each environment's newest backup (and its newest completed one, when the newest is not); the operations
 * queued and running in those apps; and the restore requests they may approve (someone else's, into an app where
 * they hold the approver role) with Approve and Deny. Messages in the order to show them.
 */
export async function homeView(chat: ChatContext, principal: Principal): Promise<ChatMessage[]> {
  const { engine } = chat;
  const targets = readTargets(engine, principal);
  if (targets.length === 0) {
    return [
      {
        outcome: 'ok',
        text:
          `*Backstop*\nYou may not read the backups of any app yet. Ask whoever runs Backstop to add ${principal.id} ` +
          'to apps.<app>.access.viewer in its config.',
      },
    ];
  }
  const messages: ChatMessage[] = [];
  const apps = [...new Set(targets.map(({ target }) => target.app))];
  for (const app of apps) {
    const lines = [`*${app}*`];
    for (const { target } of targets.filter((t) => t.target.app === app)) {
      const { backups } = await listBackups(engine, principal, { app, env: target.env, limit: 20 });
      const newest = backups[0];
      const completed = backups.find((backup) => backup.status === 'completed');
      const name = `*${target.env}*${target.protected ? ' (protected)' : ''}`;
      if (newest === undefined) lines.push(`• ${name}: no backup yet`);
      else {
        lines.push(`• ${name}: ${backupSummary(newest)}`);
        if (completed !== undefined && completed !== newest)
          lines.push(`   last completed: ${backupSummary(completed)}`);
      }
    }
    messages.push({ outcome: 'ok', text: lines.join('\n') });
  }

  const active = await listActiveOperations(engine, principal);
  messages.push({
    outcome: 'ok',
    text:
      active.length === 0
        ? '*Running now*\nNothing is queued or running.'
        : [
            '*Running now*',
            ...active.slice(0, operationsShown).map((operation) => operationLine(operation, mention)),
            ...(active.length > operationsShown
              ? [`and ${active.length - operationsShown} more (/backup status)`]
              : []),
          ].join('\n'),
  });

  const approvable = new Set(targets.filter((t) => t.abilities.approve).map(({ target }) => target.app));
  const now = engine.clock().getTime();
  const waiting = (await listRestoreRequests(engine, principal, { status: 'pending', limit: 100 })).filter(
    (request) =>
      approvable.has(request.destApp) && request.requestedBy !== principal.id && request.expiresAt.getTime() > now,
  );
  if (approvable.size > 0) {
    messages.push({
      outcome: 'ok',
      text:
        waiting.length === 0
          ? '*Waiting for your approval*\nNo restore request waits for you.'
          : `*Waiting for your approval* (${waiting.length})`,
    });
    for (const request of waiting.slice(0, requestsShown)) messages.push(requestMessage(request));
  }
  return messages;
}

/**
 * "7k3qx2 completed 2026-05-01 02:00 UTC, db+media 12.3 MB, scheduled, "before deploy", proven restorable at ...
 * (in 42 s)" (or the drill that failed).
 */
function backupSummary(backup: Backup): string {
  const size = backup.storedParts.reduce((sum, part) => sum + part.storedSizeBytes, 0);
  const when = formatTime(backup.completedAt ?? backup.createdAt);
  const parts = backup.status === 'completed' ? `${backup.parts} ${formatBytes(size)}` : backup.parts;
  const proof = proofWords(backup);
  return (
    `${backup.id} ${backup.status} ${when}, ${parts}, ${backup.trigger}` +
    `${backup.note ? `, "${backup.note}"` : ''}${proof ? `, ${proof}` : ''}`
  );
}

function requestMessage(request: RestoreRequest): ChatMessage {
  return {
    outcome: 'ok',
    text:
      `*Restore request ${request.id}*: ${mention(request.requestedBy)} asks to restore backup ${request.backupId} ` +
      `(${request.parts}) into *${request.destApp}/${request.destEnv}*, ` +
      `${request.safetyBackup ? 'after a safety backup' : 'without a safety backup'}. ` +
      `Waiting until ${formatTime(request.expiresAt)}.`,
    buttons: decisionButtons(request),
  };
}
