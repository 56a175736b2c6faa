import type { Backup } from '../domain/backup.ts';
import { findTarget } from '../domain/find-target.ts';
import type { Operation } from '../domain/operation.ts';
import type { PartsChoice } from '../domain/part-kind.ts';
import type { Principal } from '../domain/principal.ts';
import { configuredParts, targetName } from '../domain/target.ts';
import { enqueueBackup } from '../jobs/enqueue.ts';
import { audited } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

export interface CreateBackupInput {
  app: string;
  env: string;
  /** Default: every part the environment has (its database, its media, or both), as its schedule takes. */
  parts?: PartsChoice;
  note?: string | null;
}

/** Queues an on-demand backup of a target (operator role on its app). */
export async function createBackup(
  ctx: UseCaseContext,
  principal: Principal,
  input: CreateBackupInput,
  asked?: string,
): Promise<{ backup: Backup; operation: Operation }> {
  const words = asked ?? `create ${input.parts ?? ''} ${input.app}/${input.env}${input.note ? ` "${input.note}"` : ''}`;
  return audited(ctx, principal, words.replace(/ {2,}/g, ' '), async (scope) => {
    scope.authorize('backup.create', input.app);
    const target = findTarget(visibleTargets(ctx, principal, 'backup.create'), input.app, input.env);
    const queued = await enqueueBackup(ctx, {
      app: target.app,
      env: target.env,
      trigger: 'on-demand',
      parts: input.parts ?? configuredParts(target),
      note: input.note ?? null,
      requestedBy: principal.id,
    });
    scope.detail = `backup ${queued.backup.id} of ${targetName(target)} queued`;
    return queued;
  });
}
