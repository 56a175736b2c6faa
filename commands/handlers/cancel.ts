import { operationJson } from '../../src/use-cases/json-shapes.ts';
import { cancelOperationAs } from '../../src/use-cases/operations.ts';
import type { Command } from '../command.ts';
import type { HandlerContext, Reply } from './reply.ts';

/**
 * `cancel <id>`: stops a queued or running operation (the id of the operation, or of its backup or restore). A running
 * one stops at its worker's next heartbeat; with `ctx.follow` the reply waits until it has.
 */
export async function handleCancel(ctx: HandlerContext, command: Extract<Command, { name: 'cancel' }>): Promise<Reply> {
  const asked = await cancelOperationAs(ctx.engine, ctx.principal, command.id, ctx.asked);
  const what = `${asked.kind} ${asked.subjectId}${asked.target ? ` of ${asked.target}` : ''}`;
  if (asked.status === 'cancelled') {
    return {
      outcome: 'ok',
      text: `Cancelled the ${what} (operation ${asked.id}); it had not started.`,
      data: operationJson(asked),
    };
  }
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text: `Asked the worker running the ${what} (operation ${asked.id}) to stop; it removes what it wrote. Check with: status`,
      data: operationJson(asked),
    };
  }
  const ended = await ctx.follow(asked);
  const text =
    ended.status === 'cancelled'
      ? `Cancelled the ${what} (operation ${asked.id}); what it had written was removed.`
      : `The ${what} (operation ${asked.id}) ended ${ended.status} before it could be stopped.`;
  return { outcome: 'ok', text, data: operationJson(ended) };
}
