import { BackstopError, isBackstopError } from '../../src/domain/backstop-error.ts';
import type { Drill } from '../../src/domain/drill.ts';
import type { Operation } from '../../src/domain/operation.ts';
import { targetName } from '../../src/domain/target.ts';
import { drillBackup } from '../../src/use-cases/drill-backup.ts';
import { drillJson } from '../../src/use-cases/json-shapes.ts';
import type { Command } from '../command.ts';
import { operationError } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/**
 * `drill <id|app/env>`: queues a restore drill of a backup (of a target's newest completed backup). With a way to
 * follow it, waits for its end and says whether the backup was proven restorable, or what failed.
 */
export async function handleDrill(ctx: HandlerContext, command: Extract<Command, { name: 'drill' }>): Promise<Reply> {
  if (command.id === undefined && command.target === undefined && ctx.binding?.env === undefined) {
    const known = ctx.engine.targets.map(targetName);
    const message =
      'drill needs a backup id (see list) or a target app/env' +
      `${known.length > 0 ? ` (configured: ${known.join(', ')})` : ''}.`;
    throw new BackstopError('target-required', message, { userMessage: message });
  }
  const input =
    command.id !== undefined
      ? { backupId: command.id }
      : (() => {
          const target = resolveTarget(ctx, command.target, 'drill');
          return { app: target.app, env: target.env };
        })();
  const {
    drill: queued,
    operation,
    backup,
  } = await drillBackup(ctx.engine, ctx.principal, input, ctx.asked).catch((error: unknown) => {
    throw command.id === undefined ? error : appMeant(ctx, command.id, error);
  });
  const of = `backup ${backup.id} of ${targetName(backup)}`;
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text: `Drill ${queued.id} of ${of} is queued (operation ${operation.id}). Follow it with: status ${operation.id}`,
      data: { ...drillJson(queued), operationId: operation.id },
    };
  }
  const ended = await ctx.follow(operation);
  const drill = await ctx.engine.catalog.drills.get(queued.id);
  return { ...drillOutcome(ctx, drill, of, ended), data: { ...drillJson(drill), operationId: operation.id } };
}

/** A backup id that is not one but names an app (`drill blog`): the targets of that app are what was meant. */
function appMeant(ctx: HandlerContext, word: string, error: unknown): unknown {
  if (!isBackstopError(error, 'backup-not-found')) return error;
  const targets = ctx.engine.targets.filter((t) => t.app === word.toLowerCase()).map(targetName);
  if (targets.length === 0) return error;
  const message = `'${word}' is an app, not a backup id: drill one of its targets, e.g. drill ${targets[0]} (configured: ${targets.join(', ')}).`;
  return new BackstopError('target-required', message, { userMessage: message, cause: error });
}

function drillOutcome(
  ctx: HandlerContext,
  drill: Drill,
  of: string,
  ended: Operation,
): Pick<Reply, 'outcome' | 'text'> {
  if (drill.status === 'succeeded') {
    return { outcome: 'ok', text: `Drill ${drill.id}: ${of} proven restorable (in ${drill.seconds} s).` };
  }
  // Whoever cancelled it is named as the surface writes people ("cancelled by @ana" in chat).
  const why = ended.status === 'cancelled' ? operationError(ended, ctx.person) : (drill.error ?? ended.error);
  const how = drill.status === 'cancelled' || ended.status === 'cancelled' ? 'was cancelled' : 'FAILED';
  return { outcome: 'failed', text: `Drill ${drill.id} of ${of} ${how}: ${why}` };
}
