import { operationJson } from '../../src/use-cases/json-shapes.ts';
import { listActiveOperations } from '../../src/use-cases/operations.ts';
import { operationLine } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';

/** `status`: queued and running operations, in the order they run. */
export async function handleStatus(ctx: HandlerContext): Promise<Reply> {
  const active = await listActiveOperations(ctx.engine, ctx.principal);
  const text =
    active.length === 0
      ? 'Nothing is queued or running.'
      : [
          `${active.length} operation${active.length === 1 ? '' : 's'} queued or running, in the order they run:`,
          ...active.map(operationLine),
        ].join('\n');
  return { outcome: 'ok', text, data: active.map(operationJson) };
}
