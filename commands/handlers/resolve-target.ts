import { BackstopError } from '../../src/domain/backstop-error.ts';
import { findTarget } from '../../src/domain/find-target.ts';
import { targetName } from '../../src/domain/target.ts';
import type { TargetRef } from '../command.ts';
import type { HandlerContext } from './reply.ts';

/**
 * The configured target a command names: `app/env`, a bare `env` in a channel bound to an app, or nothing in a
 * channel bound to a target. `what` ("create", "restore ... to") goes into the error when none is given.
 */
export function resolveTarget(ctx: HandlerContext, ref: TargetRef | undefined, what: string) {
  const bound = ctx.binding;
  if (ref === undefined) {
    if (bound?.env !== undefined) return findTarget(ctx.engine.targets, bound.app, bound.env);
    const known = ctx.engine.targets.map(targetName);
    const message = `${what} needs a target, written app/env${known.length > 0 ? ` (configured: ${known.join(', ')})` : ''}.`;
    throw new BackstopError('target-required', message, { userMessage: message });
  }
  const app = ref.app ?? bound?.app;
  if (app === undefined) {
    const message = `'${ref.env}' is not a target: write app/env, e.g. shop/${ref.env}.`;
    throw new BackstopError('target-required', message, { userMessage: message });
  }
  return findTarget(ctx.engine.targets, app, ref.env);
}
