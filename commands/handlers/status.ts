import { operationJson } from '../../src/use-cases/json-shapes.ts';
import { listActiveOperations, listFinishedOperations, showOperation } from '../../src/use-cases/operations.ts';
import type { Command } from '../command.ts';
import { operationLine, operationTable, operationView } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import type { ViewBlock } from './reply-view.ts';

/** How many finished operations `status --all` shows: the recent past, not the whole history. */
const finishedShown = 20;

/**
 * `status`: queued and running operations, in the order they run; with `--all` the operations that finished last too
 * (newest first); with an id, that one operation, found by its own id or its backup's, restore's or download's.
 */
export async function handleStatus(ctx: HandlerContext, command: Extract<Command, { name: 'status' }>): Promise<Reply> {
  if (command.id !== undefined) {
    const operation = await showOperation(ctx.engine, ctx.principal, command.id);
    return {
      outcome: 'ok',
      text: operationLine(operation, ctx.person),
      data: operationJson(operation),
      view: operationView(operation),
    };
  }
  const active = await listActiveOperations(ctx.engine, ctx.principal);
  const lines =
    active.length === 0
      ? ['Nothing is queued or running.']
      : [
          `${active.length} operation${active.length === 1 ? '' : 's'} queued or running, in the order they run:`,
          ...active.map((operation) => operationLine(operation, ctx.person)),
        ];
  const view: ViewBlock[] = [
    { kind: 'line', phrase: lines[0]! },
    ...(active.length > 0 ? [operationTable(active)] : []),
  ];
  if (!command.all) return { outcome: 'ok', text: lines.join('\n'), data: active.map(operationJson), view };
  const finished = await listFinishedOperations(ctx.engine, ctx.principal, finishedShown);
  lines.push(
    ...(finished.length === 0
      ? ['Nothing has finished yet.']
      : ['Finished last, newest first:', ...finished.map((operation) => operationLine(operation, ctx.person))]),
  );
  view.push(
    { kind: 'line', phrase: '' },
    { kind: 'line', phrase: finished.length === 0 ? 'Nothing has finished yet.' : 'Finished last, newest first:' },
    ...(finished.length > 0 ? [operationTable(finished)] : []),
  );
  return { outcome: 'ok', text: lines.join('\n'), data: [...active, ...finished].map(operationJson), view };
}
