import { BackstopError } from '../domain/backstop-error.ts';
import type { Drill } from '../domain/drill.ts';
import type { NewEvent } from '../domain/events.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { drillServerUrl, type Target } from '../domain/target.ts';
import { runDrill } from '../engine/run-drill.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import { removeDrillLeftovers } from '../jobs/remove-drill-leftovers.ts';
import type { OperationRunner } from '../jobs/worker.ts';

/**
 * A drill operation: first the scratch space abandoned drills left on the same database server is removed, then the
 * drill runs (src/engine/run-drill.ts). A drill that finds something wrong records `drill.failed` and fails its
 * operation with what it found.
 */
export function drillRunner(ctx: JobsContext): OperationRunner {
  return {
    async run(operation, options) {
      const drill = await ctx.catalog.drills.get(operation.subjectId);
      const target = ctx.targets.find((t) => t.app === drill.app && t.env === drill.env);
      await removeDrillLeftovers(ctx, drillServers(target));
      const ended = await runDrill(ctx, drill.id, options);
      if (ended.status === 'failed') {
        // Deleted meanwhile (a prune that checked for drills just before this one was queued): nothing to alert on.
        if (!(await ctx.catalog.findBackup(ended.backupId))) {
          const message = `Backup ${ended.backupId} was deleted while the drill ran, so it proves nothing: ${ended.error}`;
          throw new BackstopError('drill-failed', message, { userMessage: message });
        }
        await recordFailure(ctx, ended);
        const message = `The drill of backup ${ended.backupId} failed: ${ended.error}`;
        throw new BackstopError('drill-failed', message, { userMessage: message });
      }
    },
    async discard(operation) {
      // The earlier attempt's scratch space is removed before the next one runs (its lease is no longer live).
      await ctx.catalog.drills.update(operation.subjectId, { status: 'queued', error: null });
    },
    async abandon(operation, reason) {
      const drill = await ctx.catalog.drills.find(operation.subjectId);
      const target = drill && ctx.targets.find((t) => t.app === drill.app && t.env === drill.env);
      await removeDrillLeftovers(ctx, drillServers(target)).catch((error: unknown) =>
        ctx.log(`drill ${operation.subjectId}: ${reasonOf(error)}`),
      );
      if (!drill || ['succeeded', 'failed', 'cancelled'].includes(drill.status)) return;
      const status = operation.cancelRequestedBy ? 'cancelled' : 'failed';
      await ctx.catalog.drills.update(drill.id, { status, finishedAt: ctx.clock(), error: reason });
      // A drill given up (its attempts ran out: killed, lost, never ending) failed to run, which says nothing of the
      // backup: the failure is the drill's (and alerted on), not recorded on the backup.
      if (status === 'failed') await recordFailure(ctx, { ...drill, status, error: reason });
    },
  };
}

/** The server a target's drills restore onto, as a list (none without a database). */
function drillServers(target: Target | undefined): string[] {
  const server = drillServerUrl(target);
  return server === undefined ? [] : [server];
}

/** What a person does about a failed drill, from what failed. */
export function drillFailureHint(drill: Drill): string {
  const reason = drill.error ?? '';
  const again = `drill it again with: backstop drill ${drill.backupId}`;
  if (/\btable .*recorded \d+ rows/.test(reason)) {
    return (
      `The restored database does not hold what the backup recorded. Do not rely on backup ${drill.backupId}: ` +
      `take a new backup (backstop create ${drill.app}/${drill.env}), drill it, and look at what changed (pg_restore --list).`
    );
  }
  if (/\bcheck "/.test(reason)) {
    return `An SQL check under apps.${drill.app}.environments.${drill.env}.drill.checks did not hold in the restored copy: look at the check and at backup ${drill.backupId} (backstop show ${drill.backupId}), then ${again}.`;
  }
  if (/so it is the key/.test(reason)) {
    return `The backup is intact but the identities this instance holds do not open it: give it the identity file that was in use when backup ${drill.backupId} was taken (encryption.identities in the config), then ${again}.`;
  }
  if (/sha256|decrypt|authenticat|damaged|truncated|manifest/i.test(reason)) {
    return `The stored backup is damaged: verify it (backstop verify ${drill.backupId}), take a new backup, and check the storage.`;
  }
  if (/may not create|permission denied|createdb/i.test(reason)) {
    return (
      `A drill creates a scratch database (backstop_drill_...) on the target's database server, or on its drill ` +
      `server when apps.${drill.app}.environments.${drill.env}.drill.server is set: give the role of that URL the ` +
      `CREATEDB right (ALTER ROLE <role> CREATEDB), or set drill.server to a server where it may create databases, ` +
      `then ${again}.`
    );
  }
  return `Fix the cause named in the reason, then ${again}.`;
}

async function recordFailure(ctx: JobsContext, drill: Drill): Promise<void> {
  const event: NewEvent = {
    type: 'drill.failed',
    app: drill.app,
    env: drill.env,
    subjectId: drill.id,
    data: {
      drillId: drill.id,
      backupId: drill.backupId,
      app: drill.app,
      env: drill.env,
      trigger: drill.slot === null ? 'on-demand' : 'scheduled',
      requestedBy: drill.requestedBy,
      reason: drill.error ?? 'no reason was recorded',
      hint: drillFailureHint(drill),
    },
    dedupeKey: `drill.failed:${drill.id}`,
  };
  try {
    await ctx.events.record(event, ctx.clock());
  } catch (error) {
    ctx.log(`could not record the event drill.failed of ${drill.id}: ${reasonOf(error)}`);
  }
}
