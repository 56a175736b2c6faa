import { type Action, refusal } from '../access/authorize.ts';
import type { Principal } from '../domain/principal.ts';
import type { Target } from '../domain/target.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * The targets of the apps on which `principal` may take `action`: what a list shows and what an unknown-target error
 * may name (a token for one app never learns the names of another's environments).
 */
export function visibleTargets(ctx: UseCaseContext, principal: Principal, action: Action): Target[] {
  return ctx.targets.filter((target) => refusal(ctx.access, principal, action, target.app) === undefined);
}
