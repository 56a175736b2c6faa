import { attemptOfScratch } from '../domain/drill.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { describeScratch, findDrillScratch, removeScratch } from '../engine/drill-scratch.ts';
import type { JobsContext } from './jobs-context.ts';

/**
 * Removes the scratch space of drills that will never remove it themselves: each database or directory named after a
 * drill's attempt (`backstop_drill_<operation>[_g<generation>]`) whose attempt no longer holds a live lease (the
 * process was killed, the operation ended, or another attempt took it over). Scratch space of an attempt whose lease
 * is live is left alone, whichever host runs it, and so is scratch space of an operation this state does not know
 * (another Backstop installation using the same database server). Looks on the database servers of `databaseUrls` (default: every
 * configured target's) and in the scratch directory. Returns how many it removed; what cannot be removed is logged and
 * looked at again next time.
 */
export async function removeDrillLeftovers(ctx: JobsContext, databaseUrls?: readonly string[]): Promise<number> {
  const urls =
    databaseUrls ??
    ctx.targets.flatMap((t) => [t.database, t.drill?.server].filter((url): url is string => url !== undefined));
  const found = await findDrillScratch(ctx, urls, (server, error) =>
    ctx.log(`could not look for drill scratch databases on ${server}: ${reasonOf(error)}`),
  );
  let removed = 0;
  for (const space of found) {
    const attempt = attemptOfScratch(space.name)!;
    const operation = await ctx.operations.find(attempt.operationId);
    if (operation === undefined) {
      // Not this state's: another Backstop installation may drill on the same server (or into the same folder).
      ctx.log(
        `${describeScratch(space)} belongs to no operation Backstop knows of here, so it is left alone: ` +
          'remove it by hand if no other Backstop uses this server',
      );
      continue;
    }
    const now = ctx.clock();
    const live =
      operation.status === 'running' &&
      operation.leaseGeneration === attempt.generation &&
      operation.leaseExpiresAt !== null &&
      operation.leaseExpiresAt >= now;
    if (live) continue;
    try {
      await removeScratch(space);
      removed += 1;
      ctx.log(`removed ${describeScratch(space)}, left by a drill that did not end (operation ${attempt.operationId})`);
    } catch (error) {
      ctx.log(`could not remove ${describeScratch(space)}: ${reasonOf(error)}`);
    }
  }
  return removed;
}
