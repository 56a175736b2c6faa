import { type Action, refusal } from '../access/authorize.ts';
import type { Principal } from '../domain/principal.ts';
import { configuredParts, type Target } from '../domain/target.ts';
import type { UseCaseContext } from './use-case-context.ts';
import { visibleTargets } from './visible-targets.ts';

/** What a principal may do on a target, by what each surface offers: a surface shows no button for a `false`. */
export interface TargetAbilities {
  createBackup: boolean;
  pinOrVerify: boolean;
  prepareDownload: boolean;
  /** Drill its backups: restore them into scratch space and check them. */
  drill: boolean;
  /** Restore into this target: at once, or as a request for approval when `protected`. */
  restoreInto: boolean;
  /** Approve or deny other people's requests to restore into it (a person: never a token). */
  approve: boolean;
  cancel: boolean;
  readAudit: boolean;
}

const abilityActions: Record<keyof TargetAbilities, Action> = {
  createBackup: 'backup.create',
  pinOrVerify: 'backup.pin',
  prepareDownload: 'backup.download',
  drill: 'backup.drill',
  restoreInto: 'restore.request',
  approve: 'restore.approve',
  cancel: 'operation.cancel',
  readAudit: 'audit.read',
};

/**
 * The targets whose backups the principal may read (viewer role on the app), in configuration order, with the parts
 * each has, whether it is protected, and what the principal may do on it.
 */
export function readTargets(
  ctx: UseCaseContext,
  principal: Principal,
): Array<{ target: Target; parts: string; abilities: TargetAbilities }> {
  return visibleTargets(ctx, principal, 'backup.read').map((target) => {
    const abilities = Object.fromEntries(
      Object.entries(abilityActions).map(([ability, action]) => [
        ability,
        refusal(ctx.access, principal, action, target.app) === undefined &&
          (ability !== 'approve' || principal.kind !== 'api'),
      ]),
    ) as unknown as TargetAbilities;
    return { target, parts: configuredParts(target), abilities };
  });
}
