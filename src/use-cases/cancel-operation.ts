import type { Operation } from '../domain/operation.ts';
import type { OperationQueue } from '../jobs/operation-queue.ts';
import { abandonDelivery } from '../notify/delivery-runner.ts';
import { engineRunners } from './operation-runners.ts';
import type { UseCaseContext } from './use-case-context.ts';

/**
 * Cancels the operation `id` names: an operation id, or the id of the backup, restore or download it runs. A queued operation
 * ends at once and its backup or restore is recorded as failed ("cancelled by ..."); a running one is flagged, and
 * its worker stops it at its next heartbeat and removes its partial objects. Resolves to the operation as it now is.
 */
export async function cancelOperation(ctx: UseCaseContext, id: string, by: string): Promise<Operation> {
  const operation = await findOperation(ctx.operations, id);
  const after = await ctx.operations.requestCancel(operation.id, by, ctx.clock());
  if (after.status === 'cancelled') {
    const reason = `cancelled by ${by}`;
    // A delivery's runner needs the webhook config, which this does not; its abandon does not.
    if (after.kind === 'delivery') await abandonDelivery(ctx, after, reason);
    else await engineRunners(ctx)[after.kind]?.abandon(after, reason);
  }
  return after;
}

/** The operation with this id, or the one running the backup, restore, download or drill with this id. */
export async function findOperation(queue: OperationQueue, id: string): Promise<Operation> {
  return (
    (await queue.find(id)) ??
    (await queue.findBySubject('backup', id)) ??
    (await queue.findBySubject('restore', id)) ??
    (await queue.findBySubject('download', id)) ??
    (await queue.findBySubject('drill', id)) ??
    (await queue.get(id)) // throws the "no operation" error a person can act on
  );
}
