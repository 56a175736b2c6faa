import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackstopError, isBackstopError } from '../domain/backstop-error.ts';
import type { Backup } from '../domain/backup.ts';
import { type Drill, drillScratchName } from '../domain/drill.ts';
import type { LeaseFence } from '../domain/lease-fence.ts';
import { reasonOf } from '../domain/reason-of.ts';
import { drillServerUrl, type Target, targetName } from '../domain/target.ts';
import { MediaDirSource } from '../sources/media-dir-source.ts';
import { ScratchDatabase } from '../sources/pg-scratch-database.ts';
import { describeScratch, drillScratchRoot, removeScratch, type ScratchSpace } from './drill-scratch.ts';
import type { EngineContext, RunOptions } from './engine-context.ts';
import { restorableParts, restoreParts } from './run-restore.ts';

/** A drill's run: the lease it holds names its scratch space. */
export interface DrillRunOptions extends RunOptions {
  lease: LeaseFence;
}

/**
 * Runs a queued drill: restores every part of its backup into scratch space named after the attempt (a database on
 * the target's server, created by the restore; a directory under the scratch root), through the same code as a
 * restore (decryption, the sha256 of each part, and for media each file's sha256 against the manifest as it is
 * unpacked: media-tar-reader.ts), then checks the restored database: every table recorded at backup time is there
 * with exactly its recorded row count, and each of the environment's SQL checks returns true. The scratch space is
 * removed whatever happens (finally). The target's own database and media are never opened.
 *
 * Resolves to the drill as it ended, `succeeded` or `failed` (with what failed in `error`); the backup's proof is
 * recorded either way. Rejects only when the run was stopped (cancelled, given back) or the state failed.
 */
export async function runDrill(ctx: EngineContext, drillId: string, options: DrillRunOptions): Promise<Drill> {
  const drill = await ctx.catalog.drills.get(drillId);
  const startedAt = ctx.clock();
  await ctx.catalog.drills.update(drill.id, { status: 'running', startedAt, error: null });
  const scratch: ScratchSpace[] = [];
  // Whether the backup itself was reached: a drill that fails before restoring (no right to create the scratch
  // database, a drill server away) says nothing of the backup, so its failure is not recorded on it.
  const reached = { backup: false };
  let failure: string | undefined;
  try {
    failure = await restoreAndCheck(
      ctx,
      drill,
      drillScratchName(options.lease.operationId, options.lease.generation),
      scratch,
      reached,
      options,
    );
    // Cancelled while its checks ran: it proves nothing (a check cut short must not read as passed or failed).
    options.signal?.throwIfAborted();
  } catch (error) {
    if (options.signal?.aborted) {
      // Cancelled: the drill ends so. Given back (a shutdown, a lost lease): the next attempt runs it again.
      if (!options.abandoned?.()) {
        await ctx.catalog.drills.update(drill.id, {
          status: 'cancelled',
          finishedAt: ctx.clock(),
          error: reasonOf(options.signal.reason),
        });
      }
      throw options.signal.reason ?? error;
    }
    failure = drillFailureOf(error);
  } finally {
    for (const space of scratch) {
      await removeScratch(space).catch((error: unknown) =>
        ctx.log(`drill ${drill.id}: could not remove ${describeScratch(space)}: ${reasonOf(error)}`),
      );
    }
  }
  const finishedAt = ctx.clock();
  const seconds = Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10;
  await options.fence?.();
  await ctx.catalog.drills.update(drill.id, {
    status: failure === undefined ? 'succeeded' : 'failed',
    finishedAt,
    seconds,
    error: failure ?? null,
  });
  if (!reached.backup && failure !== undefined) {
    ctx.log(`drill ${drill.id} could not restore backup ${drill.backupId}, which it therefore does not judge`);
  } else if (await ctx.catalog.findBackup(drill.backupId)) {
    await ctx.catalog.recordProof(drill.backupId, finishedAt, seconds, failure ?? null);
  }
  ctx.log(
    failure === undefined
      ? `drill ${drill.id}: backup ${drill.backupId} proven restorable in ${seconds} s`
      : `drill ${drill.id} of backup ${drill.backupId} failed: ${failure}`,
  );
  return ctx.catalog.drills.get(drill.id);
}

/**
 * What failed, for a drill: a database restore's failure is about the scratch database, never the target, so the
 * restore's "the database was not changed" is left out; a permission the restoring role lacks is said to be its.
 */
function drillFailureOf(error: unknown): string {
  if (!isBackstopError(error, 'pg-restore-failed')) return reasonOf(error);
  const extension = /permission denied to create extension "([^"]+)"/.exec(error.message);
  const advice =
    extension === null
      ? ''
      : ` The role that restores (of drill.server, or of the target's URL) must be able to create extension ` +
        `${extension[1]}: a superuser, or the extension marked trusted; or set drill.server to a server where it may.`;
  return `Restoring the database part into the scratch database failed: ${error.message}${advice}`;
}

/** Restores into fresh scratch space (recorded in `scratch` as it is made) and checks it; resolves to what failed. */
async function restoreAndCheck(
  ctx: EngineContext,
  drill: Drill,
  name: string,
  scratch: ScratchSpace[],
  reached: { backup: boolean },
  options: DrillRunOptions,
): Promise<string | undefined> {
  const backup = await ctx.catalog.findBackup(drill.backupId);
  if (!backup) return `backup ${drill.backupId} no longer exists (deleted before the drill ran)`;
  const target = ctx.targets.find((t) => t.app === backup.app && t.env === backup.env);
  const parts = restorableParts(backup, backup.parts);
  const database = parts.some((p) => p.kind === 'db') ? scratchDatabase(backup, target, name) : undefined;
  let directory: string | undefined;
  if (database !== undefined) scratch.push({ kind: 'database', url: database.url, name });
  if (parts.some((p) => p.kind === 'media')) {
    const root = drillScratchRoot(ctx);
    scratch.push({ kind: 'directory', root, name });
    // Owner only, like the data directory's keys: it holds decrypted media while the drill runs (and after a kill,
    // until the next drill or serve start removes it).
    await mkdir(root, { recursive: true, mode: 0o700 });
    await chmod(root, 0o700);
    await mkdir(join(root, name), { recursive: true, mode: 0o700 });
    // Inside the scratch directory, so that the restore's staging directory beside it is removed with it.
    directory = join(root, name, 'media');
  }
  // One drill at a time per database server: the queue runs the drills of a server's lane one by one, and this lock
  // holds also where two targets name one server differently, or another Backstop drills on it.
  const lock =
    database === undefined
      ? undefined
      : await ScratchDatabase.lockServer(database.url, options.signal).catch((error: unknown) => {
          throw onDrillServer(error, database.drillServer);
        });
  try {
    const refusal = await database?.scratch.refusalToCreate();
    if (refusal !== undefined) return mayNotCreate(refusal, database!.drillServer, name);
    // An attempt that was killed may have left this very name behind (a restart of the same attempt): start afresh.
    for (const space of scratch.filter((s) => s.kind === 'database')) await removeScratch(space);
    reached.backup = true;
    await restoreParts(
      ctx,
      `drill ${drill.id}`,
      parts,
      (kind) => (kind === 'db' ? database!.scratch.source() : new MediaDirSource({ path: directory! })),
      options,
    );
    if (database === undefined) {
      const checks = target?.drill?.checks.length ?? 0;
      if (checks > 0) {
        ctx.log(`drill ${drill.id}: backup ${backup.id} has no database part, so the ${checks} SQL checks do not run`);
      }
      return undefined;
    }
    return await checkDatabase(ctx, drill, backup, target, database.scratch, options.signal);
  } finally {
    await lock?.release();
  }
}

/**
 * How many failures a drill's error lists one by one (the rest are counted, and every one is in the log): enough for
 * any config's checks, few enough that a database whose every table differs still gives a readable message.
 */
const FAILURES_LISTED = 50;

/**
 * Every recorded table with its recorded count, then every SQL check (all of them, so that one drill tells all that
 * is wrong); resolves to what failed, or undefined when everything held.
 */
async function checkDatabase(
  ctx: EngineContext,
  drill: Drill,
  backup: Backup,
  target: Target | undefined,
  scratch: ScratchDatabase,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const failures: string[] = [];
  const db = backup.storedParts.find((p) => p.kind === 'db')!;
  if (db.tableRows === undefined) {
    ctx.log(`drill ${drill.id}: backup ${backup.id} recorded no row counts (taken by an older Backstop): not compared`);
  } else {
    const differences = await scratch.differencesFrom(db.tableRows, signal);
    failures.push(...differences);
    const tables = Object.keys(db.tableRows).length;
    if (differences.length === 0) {
      const which = tables === 1 ? 'the one table has its' : `all ${tables} tables have their`;
      ctx.log(`drill ${drill.id}: ${which} recorded row counts`);
    }
  }
  for (const check of target?.drill?.checks ?? []) {
    const failed = await scratch.failedAssertion(check, signal);
    if (failed === undefined) ctx.log(`drill ${drill.id}: check "${check}" holds`);
    else failures.push(failed);
  }
  for (const failure of failures) ctx.log(`drill ${drill.id}: FAILED: ${failure}`);
  if (failures.length <= 1) return failures[0];
  const listed = failures.slice(0, FAILURES_LISTED).join('; ');
  const more = failures.length - FAILURES_LISTED;
  return `${failures.length} failures: ${listed}${more > 0 ? `; and ${more} more (each is in the log)` : ''}`;
}

/** What a drill says when the role it restores as may not create its scratch database. */
function mayNotCreate(
  refusal: { user: string; server: string },
  drillServer: string | undefined,
  name: string,
): string {
  const where = drillServer === undefined ? refusal.server : `the drill server ${refusal.server} (${drillServer})`;
  const advice =
    drillServer === undefined
      ? 'or set drill.server to a PostgreSQL URL whose role may create databases'
      : `or change ${drillServer} to a URL whose role may create databases`;
  return (
    `${refusal.user} may not create databases on ${where}, and a drill restores into a scratch database it creates ` +
    `there (${name}); nothing was restored. Give the role the right (ALTER ROLE "${refusal.user}" CREATEDB), ${advice}`
  );
}

/** An error met on a configured drill server, said to be about it (the target's own server is not involved). */
function onDrillServer(error: unknown, drillServer: string | undefined): unknown {
  if (drillServer === undefined) return error;
  const message = `The drill server (${drillServer}) could not be used: ${reasonOf(error)}`;
  return new BackstopError('drill-failed', message, { userMessage: message, cause: error });
}

/**
 * The scratch database of a drill, on the target's drill server, else on the target's own database server;
 * `drillServer` names the config key of a drill server, for messages.
 */
function scratchDatabase(
  backup: Backup,
  target: Target | undefined,
  name: string,
): { url: string; scratch: ScratchDatabase; drillServer: string | undefined } {
  const server = drillServerUrl(target);
  if (server === undefined) {
    const message =
      `A drill of backup ${backup.id} restores its database onto ${targetName(backup)}'s database server, and ` +
      `${targetName(backup)} has no database configured (any more): add it to the config, or drill another backup.`;
    throw new BackstopError('drill-not-possible', message, { userMessage: message });
  }
  const drillServer =
    target?.drill?.server === undefined ? undefined : `apps.${backup.app}.environments.${backup.env}.drill.server`;
  return { url: server, scratch: new ScratchDatabase(server, name), drillServer };
}
