import { BackstopError } from '../domain/backstop-error.ts';
import { findTarget } from '../domain/find-target.ts';
import type { Principal } from '../domain/principal.ts';
import { targetName } from '../domain/target.ts';
import type { PruneReport } from '../engine/prune-target.ts';
import { pruneAndRecord } from '../jobs/prune-and-record.ts';
import { audited, authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

/**
 * Deletes what the retention policy no longer keeps (operator role), or with `dryRun` says what it would delete
 * (viewer role, not audited: a read). Of one target, of one app's targets, or of every target the principal may prune.
 * A prune that deletes something records `retention.pruned`, as the prunes after backups and the daily one do.
 */
export async function pruneBackups(
  ctx: UseCaseContext,
  principal: Principal,
  input: { app?: string; env?: string; dryRun: boolean },
  asked?: string,
): Promise<PruneReport[]> {
  const action = input.dryRun ? 'retention.preview' : 'retention.prune';
  const words =
    asked ??
    `prune${input.app ? ` ${input.app}${input.env ? `/${input.env}` : ''}` : ''}${input.dryRun ? ' --dry-run' : ''}`;
  const choose = () => {
    const visible = visibleTargets(ctx, principal, action);
    if (input.app !== undefined && input.env !== undefined) return [findTarget(visible, input.app, input.env)];
    return visible.filter((t) => input.app === undefined || t.app === input.app);
  };
  const run = async () => {
    const reports: PruneReport[] = [];
    for (const target of choose()) reports.push(await pruneAndRecord(ctx, target, { dryRun: input.dryRun }));
    return reports;
  };
  if (input.dryRun) {
    if (input.app !== undefined) await authorizedRead(ctx, principal, action, input.app, words);
    return run();
  }
  return audited(ctx, principal, words, async (scope) => {
    if (input.app !== undefined) scope.authorize(action, input.app);
    else if (visibleTargets(ctx, principal, action).length === 0 && ctx.targets.length > 0) {
      const message = `prune needs the operator role on some app, which ${principal.id} does not have.`;
      throw new BackstopError('forbidden', message, { userMessage: message, details: { requiredRole: 'operator' } });
    }
    const reports = await run();
    scope.detail = reports.map((r) => `${targetName(r)}: deleted ${r.deleted.length}, kept ${r.kept}`).join('; ');
    return reports;
  });
}
