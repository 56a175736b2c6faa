import { refusal } from '../access/authorize.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Restore } from '../domain/backup.ts';
import type { Operation } from '../domain/operation.ts';
import type { Principal } from '../domain/principal.ts';
import type { RestoreRequest } from '../domain/restore-request.ts';
import { approveRestoreRequest } from '../jobs/enqueue.ts';
import { formatTime } from '../text/format-units.ts';
import { audited, record } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

export type Decision = 'approve' | 'deny' | 'withdraw';

/** What a decision did: the request as it is now, and for an approval the restore it queued. */
export interface Decided {
  request: RestoreRequest;
  restore?: Restore;
  operation?: Operation;
}

/**
 * Decides a pending restore request. Approving or denying needs a person (not an API token) with the approver role on
 * the destination's app, other than whoever asked; withdrawing is for whoever asked. An approval queues the restore
 * in the same transaction that marks the request approved, so of two approvals at once only one queues anything; a
 * request decided before, or expired, is refused (`request-decided`) saying what became of it.
 */
export async function decideRestoreRequest(
  ctx: UseCaseContext,
  principal: Principal,
  decision: Decision,
  id: string,
): Promise<Decided> {
  return audited(ctx, principal, `${decision} ${id}`, async (scope) => {
    const request = await ctx.requests.get(id);
    scope.app = request.destApp;
    if (decision === 'withdraw' && principal.id !== request.requestedBy) {
      throw refused(`Only ${request.requestedBy}, who asked for it, can withdraw restore request ${id}.`);
    }
    if (decision !== 'withdraw') {
      // The second person of a two-person rule is a person: a token is whoever holds its secret.
      if (principal.kind === 'api') {
        throw refused(
          `An API token cannot ${decision} restore request ${id}: a person with the approver role decides it, in ` +
            'chat on its card.',
        );
      }
      if (principal.id === request.requestedBy) {
        throw refused(
          `You asked for restore request ${id}: someone else with the approver role must ${decision} it` +
            `${decision === 'deny' ? ' (to call it off yourself, withdraw it)' : ''}.`,
        );
      }
      scope.app = request.destApp;
      if (refusal(ctx.access, principal, 'restore.approve', request.destApp) !== undefined) {
        throw refused(
          `To ${decision} restore request ${id} you need the approver role on ${request.destApp}. Ask whoever runs ` +
            `Backstop to add ${principal.id} to apps.${request.destApp}.access.approver.`,
        );
      }
    }
    if (decision === 'approve') {
      const approved = await approveRestoreRequest(ctx, ctx.requests, id, principal.id);
      if (!approved) throw await alreadyDecided(ctx, id);
      scope.detail = `restore ${approved.restore.id} queued`;
      return approved;
    }
    const status = decision === 'deny' ? 'denied' : 'withdrawn';
    const decided = await ctx.requests.decide(id, { status, by: principal.id }, ctx.clock());
    if (!decided) throw await alreadyDecided(ctx, id);
    scope.detail = status;
    return { request: decided };
  });
}

/**
 * Marks the requests nobody decided in time as expired (each by one caller only, however many instances run this)
 * and records each in the audit log as Backstop's doing. Returns them, for the surfaces that show them to update.
 */
export async function expireRestoreRequests(ctx: UseCaseContext): Promise<RestoreRequest[]> {
  const now = ctx.clock();
  const expired = await ctx.requests.expireDue(now);
  for (const request of expired) {
    await record(
      ctx,
      { kind: 'system', id: 'backstop' },
      { app: request.destApp, action: `expire ${request.id}` },
      'ok',
      `nobody approved it by ${formatTime(request.expiresAt)}`,
    );
  }
  return expired;
}

async function alreadyDecided(ctx: UseCaseContext, id: string): Promise<BackstopError> {
  const request = await ctx.requests.get(id);
  const text =
    request.status === 'expired'
      ? `Restore request ${id} expired at ${formatTime(request.expiresAt)}: nothing was restored. Ask again with /backup restore.`
      : `Restore request ${id} was already ${request.status}${request.decidedBy ? ` by ${request.decidedBy}` : ''}.`;
  return new BackstopError('request-decided', text, { userMessage: text, details: { requestStatus: request.status } });
}

function refused(text: string): BackstopError {
  return new BackstopError('forbidden', text, { userMessage: text });
}
