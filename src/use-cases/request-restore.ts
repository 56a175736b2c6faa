import { BackstopError } from '../domain/backstop-error.ts';
import type { Backup, Restore } from '../domain/backup.ts';
import { findTarget } from '../domain/find-target.ts';
import type { Operation } from '../domain/operation.ts';
import type { PartsChoice } from '../domain/part-kind.ts';
import type { Principal } from '../domain/principal.ts';
import type { RestoreRequest } from '../domain/restore-request.ts';
import { type Target, targetName } from '../domain/target.ts';
import { describeRestore } from '../engine/describe-restore.ts';
import { enqueueRestore } from '../jobs/enqueue.ts';
import { type AuditScope, audited, authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

export interface RestoreInput {
  backupId: string;
  /** Default: every part the backup holds. */
  parts?: PartsChoice | string;
  /** Default: the backup's own target. */
  to?: { app: string; env: string };
  safetyBackup: boolean;
}

/** A restore that was queued, or one that waits for a second person because its destination is protected. */
export type RestoreOutcome =
  | { kind: 'queued'; restore: Restore; operation: Operation }
  | { kind: 'approval-required'; destination: Target; backup: Backup };

/**
 * Asks for a restore: the restorer role on the destination's app and the viewer role on the backup's. A restore into
 * a protected target needs a second person's approval unless whoever holds the config asks (the operator at the
 * command line): then nothing is queued and the outcome says approval is required; `openRestoreRequest` records the
 * request where the surface can show it to approvers. Everything else is queued at once.
 */
export async function requestRestore(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  asked?: string,
): Promise<RestoreOutcome> {
  return audited(ctx, principal, asked ?? restoreWords(input), async (scope) => {
    const { backup, destination } = await checkRestore(ctx, principal, input, scope);
    if (needsApproval(principal, destination)) {
      scope.detail = `approval required: ${targetName(destination)} is protected`;
      return { kind: 'approval-required', destination, backup };
    }
    return queueRestore(ctx, principal, input, destination, scope);
  });
}

/**
 * Asks for a restore as `requestRestore` does, except that a restore needing approval is recorded at once as a
 * request for approvers, whose cards chat posts to the channels bound to the destination: for surfaces that post no
 * card of their own (the API, the web view).
 */
export async function restoreOrRequestApproval(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  surface: {
    /** Whether anyone will be shown a request into `destination` to approve it; if not, the restore is refused. */
    approvalReachable: (destination: Target) => boolean;
  },
  asked?: string,
): Promise<
  | { kind: 'queued'; restore: Restore; operation: Operation }
  | { kind: 'approval-requested'; request: RestoreRequest; destination: Target }
> {
  return audited(ctx, principal, asked ?? restoreWords(input), async (scope) => {
    const { backup, destination } = await checkRestore(ctx, principal, input, scope);
    if (!needsApproval(principal, destination)) return queueRestore(ctx, principal, input, destination, scope);
    if (!surface.approvalReachable(destination)) {
      const name = targetName(destination);
      const message =
        `${name} is protected, and no chat channel is bound to it where an approver would see the request, so ` +
        `nobody could approve it. Bind one (channels: under apps.${destination.app} in the config, with Slack or ` +
        `Discord configured), or ask whoever holds the Backstop config to run "backstop ${restoreWords(input)}" on ` +
        'the server.';
      throw new BackstopError('approval-unreachable', message, {
        userMessage: message,
        details: { destination: name },
      });
    }
    const request = await insertRequest(ctx, principal, input, backup, destination, { postCards: true });
    scope.detail = `approval requested: ${request.id}`;
    return { kind: 'approval-requested', request, destination };
  });
}

async function queueRestore(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  destination: Target,
  scope: AuditScope,
): Promise<{ kind: 'queued'; restore: Restore; operation: Operation }> {
  const queued = await enqueueRestore(ctx, {
    backupId: input.backupId,
    ...(input.parts !== undefined && { parts: input.parts }),
    to: { app: destination.app, env: destination.env },
    safetyBackup: input.safetyBackup,
    requestedBy: principal.id,
  });
  scope.detail = `restore ${queued.restore.id} queued`;
  return { kind: 'queued', ...queued };
}

/**
 * Records a restore into a protected target as a request waiting for someone else with the approver role (checked
 * as `requestRestore` checks it, so an impossible restore is refused before anyone is asked to approve it), for a
 * surface that posts the request's card itself (chat). Refused
 * when the destination needs no approval: then the restore is asked for with `requestRestore`.
 */
export async function openRestoreRequest(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  asked?: string,
): Promise<RestoreRequest> {
  return audited(ctx, principal, asked ?? restoreWords(input), async (scope) => {
    const { backup, destination } = await checkRestore(ctx, principal, input, scope);
    if (!needsApproval(principal, destination)) {
      const message = `${targetName(destination)} needs no approval: restore into it directly.`;
      throw new BackstopError('invalid-option', message, { userMessage: message });
    }
    const request = await insertRequest(ctx, principal, input, backup, destination, { postCards: false });
    scope.detail = `approval requested: ${request.id}`;
    return request;
  });
}

async function insertRequest(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  backup: Backup,
  destination: Target,
  options: { postCards: boolean },
): Promise<RestoreRequest> {
  const now = ctx.clock();
  return ctx.requests.insert(
    {
      backupId: backup.id,
      parts: input.parts ?? backup.parts,
      destApp: destination.app,
      destEnv: destination.env,
      safetyBackup: input.safetyBackup,
      requestedBy: principal.id,
      expiresAt: new Date(now.getTime() + ctx.approvalTtlMs),
      postCards: options.postCards,
    },
    now,
  );
}

/**
 * What a restore would do, before anyone asks for it: the destination, what it overwrites (each part's own
 * description of what is there now), whether it would wait for approval and whether a safety backup would be taken
 * first. Needs what the restore needs (restorer role on the destination's app, viewer on the backup's); checks that
 * the restore is possible; not audited (it changes nothing).
 */
export async function previewRestore(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
): Promise<{
  destination: Target;
  /** The parts the restore would overwrite: those asked for, else every part of the backup. */
  parts: string;
  overwrites: string[];
  backupSummary: string;
  needsApproval: boolean;
  safetyBackup: boolean;
}> {
  const backup = await ctx.catalog.getBackup(input.backupId);
  const to = input.to ?? { app: backup.app, env: backup.env };
  await authorizedRead(ctx, principal, 'restore.request', to.app, `preview restore ${backup.id}`);
  await authorizedRead(ctx, principal, 'backup.read', backup.app, `preview restore ${backup.id}`);
  const destination = findTarget(visibleTargets(ctx, principal, 'restore.request'), to.app, to.env);
  const described = await describeRestore(ctx, {
    backupId: backup.id,
    ...(input.parts !== undefined && { parts: input.parts }),
    to: { app: destination.app, env: destination.env },
  });
  return {
    destination,
    parts: input.parts ?? backup.parts,
    overwrites: described.overwrites,
    backupSummary: described.backupSummary,
    needsApproval: needsApproval(principal, destination),
    safetyBackup: input.safetyBackup,
  };
}

/** Whether a restore by `principal` into `destination` needs a second person's approval. */
export function needsApproval(principal: Principal, destination: Target): boolean {
  return destination.protected && principal.kind !== 'operator';
}

/** The backup and destination of a restore, after checking roles and that the restore is possible. */
async function checkRestore(
  ctx: UseCaseContext,
  principal: Principal,
  input: RestoreInput,
  scope: AuditScope & { authorize: (action: 'restore.request' | 'backup.read', app: string) => void },
): Promise<{ backup: Backup; destination: Target }> {
  const backup = await ctx.catalog.getBackup(input.backupId);
  const to = input.to ?? { app: backup.app, env: backup.env };
  scope.authorize('restore.request', to.app);
  scope.authorize('backup.read', backup.app);
  const destination = findTarget(visibleTargets(ctx, principal, 'restore.request'), to.app, to.env);
  // Refuses now what the worker would refuse later: a missing part, a backup not completed, an unknown destination.
  await describeRestore(ctx, {
    backupId: backup.id,
    ...(input.parts !== undefined && { parts: input.parts }),
    to: { app: destination.app, env: destination.env },
  });
  return { backup, destination };
}

/** The restore in /backup words, for the audit log when the surface has none of its own. */
function restoreWords(input: RestoreInput): string {
  return [
    'restore',
    input.backupId,
    ...(input.parts !== undefined ? [input.parts] : []),
    ...(input.to !== undefined ? ['to', `${input.to.app}/${input.to.env}`] : []),
    ...(input.safetyBackup ? [] : ['--no-safety-backup']),
  ].join(' ');
}
