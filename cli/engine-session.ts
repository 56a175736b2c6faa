import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { confirmRestore } from '../adapters/console/confirm-restore.ts';
import { relativeTime } from '../adapters/console/human-time.ts';
import { progressEvent } from '../adapters/console/json-lines-output.ts';
import { ProgressLine } from '../adapters/console/progress-line.ts';
import type { Command } from '../commands/command.ts';
import type { HandlerContext } from '../commands/handlers/reply.ts';
import { runCommand } from '../commands/handlers/run-command.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import type { Operation } from '../src/domain/operation.ts';
import { reasonOf } from '../src/domain/reason-of.ts';
import { describeRestore } from '../src/engine/describe-restore.ts';
import { followOperation } from '../src/jobs/follow-operation.ts';
import { Worker } from '../src/jobs/worker.ts';
import { checkMediaTar } from '../src/sources/media-tar-check.ts';
import { checkPgDump } from '../src/sources/pg-dump-check.ts';
import type { ProgressListener } from '../src/sources/source.ts';
import { migrateToLatest, openState, type State } from '../src/state/state.ts';
import { formatTime } from '../src/text/format-units.ts';
import { engineRunners } from '../src/use-cases/operation-runners.ts';
import { cancelOperationAs } from '../src/use-cases/operations.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';
import { cliOperator } from './cli-operator.ts';
import { composeEngine } from './compose-engine.ts';
import type { GlobalOptions } from './global-options.ts';
import type { LogTaps } from './log-taps.ts';
import { rebuildCommand } from './rebuild-command.ts';
import { render } from './render-reply.ts';
import { usageError } from './usage-error.ts';
import { workerSettings } from './worker-settings.ts';

/** The CLI's commands that open the state and the engine (main.ts loads this module only for them). */

/** `backstop migrate`. */
export function migrate(config: BackstopConfig, options: GlobalOptions, io: CliIo): Promise<number> {
  return withState(config, async (state) => {
    const applied = await migrateToLatest(state.db);
    io.stdout.write(
      options.json
        ? `${JSON.stringify({ applied })}\n`
        : `${applied.length === 0 ? 'The state database is up to date' : `Applied ${applied.join(', ')}`} (${state.description}).\n`,
    );
    return exitCodes.ok;
  });
}

/** `backstop catalog rebuild`. */
export function rebuild(
  config: BackstopConfig,
  options: GlobalOptions,
  io: CliIo,
  trustUnsigned: boolean,
): Promise<number> {
  return withEngine(config, options, io, false, (engine) =>
    rebuildCommand(engine, io, options.json, { trustUnsigned }),
  );
}

/** The commands of the language that change nothing. */
const readingCommands = new Set<Command['name']>(['help', 'list', 'show', 'status', 'schedule']);

/**
 * A command of the /backup language, with the terminal's restore confirmation and progress line. This process holds
 * the state, so it also runs the work it queues when following it: on the embedded state nothing else could, so
 * `create` and `restore` always follow; with a shared database they follow with --wait (else a worker runs them).
 */
export function run(
  command: Command,
  config: BackstopConfig,
  options: GlobalOptions,
  io: CliIo,
  asked?: string,
): Promise<number> {
  // Asking what is there creates nothing: on a directory where nothing was done yet, reading commands answer from an
  // empty state in memory ("No backups yet") instead of making the state, its key and its secrets.
  const reads = readingCommands.has(command.name);
  return withEngine(config, options, io, reads, async (engine) => {
    const embedded = config.stateDatabaseUrl === undefined;
    const runHere = new Worker({
      ...workerSettings(config),
      concurrency: 1,
      queue: engine.operations,
      // A person waits: a backup failing because something is away is reported at once, not retried minutes later.
      runners: engineRunners(engine, { retryFailedBackups: false }),
      clock: engine.clock,
      log: engine.log,
    });
    // Work someone cancelled whose process then left (a second Ctrl-C) ends cancelled here, its objects removed.
    await runHere.finishAbandonedCancellations();
    return runWithEngine(engine, command, options, io, {
      follow: options.wait || (embedded && command.name !== 'cancel'),
      runHere,
      ...(asked !== undefined && { asked }),
    });
  });
}

/**
 * Runs a command against an engine someone else opened: this process's own (`run`), or a server's, for a command
 * handed over to it. `follow` waits for queued work to end (`runHere`: a worker in this process may run it).
 */
export async function runWithEngine(
  engine: UseCaseContext,
  command: Command,
  options: GlobalOptions,
  io: CliIo,
  how: {
    follow: boolean;
    runHere?: Worker;
    signal?: AbortSignal;
    asked?: string;
    /** The server's log lines of an operation, for a command handed to a server (its engine logs to its own log). */
    logTaps?: LogTaps;
  },
): Promise<number> {
  const print = (line: string) => io.stderr.write(`${line}\n`);
  if (options.verbose && how.logTaps) {
    // Handed to a server with --verbose: what the command does here is shown to its terminal as well.
    const serverLog = engine.log;
    engine = {
      ...engine,
      log: (line) => {
        serverLog(line);
        print(line);
      },
    };
  }
  if (command.name === 'restore') {
    const refused = await unconfirmed(engine, command, io, options);
    if (refused !== undefined) return usageError(io, options.json, refused, { code: 'confirmation-required' });
  }
  const progress = !options.json && io.stderr.isTTY ? new ProgressLine(io.stderr) : undefined;
  const ctx = cliHandlerContext(engine, io, progress?.update ?? jsonProgress(io), how.asked);
  if (how.follow) {
    ctx.follow = async (operation) => {
      // Ctrl-C while this process follows (and maybe runs) the work cancels it: what it wrote is removed and it ends
      // cancelled. A second Ctrl-C leaves at once; the cancel stands, and the next command (or any worker) finishes
      // the cleanup. SIGTERM (a CI job cancelled, `timeout`, systemd) cancels the same way, waits a little for the
      // cleanup and exits 143; a second signal leaves at once.
      let cancelled: Promise<unknown> | undefined;
      let following: Promise<unknown> = Promise.resolve();
      const cancel = () => {
        cancelled ??= cancelOperationAs(engine, ctx.principal, operation.id)
          .then(() => how.runHere?.stopRunning(operation.id, ctx.principal.id))
          .catch((error: unknown) => io.stderr.write(`Could not cancel it: ${reasonOf(error)}\n`));
      };
      const leaveNow = (code: number) => () => {
        io.stderr.write(
          `\nLeaving now: operation ${operation.id} stays cancelled; what it wrote is removed by the next backstop command.\n`,
        );
        void within(3000, Promise.allSettled([cancelled, how.runHere?.expireLease(operation.id)])).then(() =>
          process.exit(code),
        );
      };
      const leaveOnInterrupt = leaveNow(130);
      const leaveOnTerminate = leaveNow(143);
      const cancelOnInterrupt = () => {
        stopListening();
        process.once('SIGINT', leaveOnInterrupt);
        process.once('SIGTERM', leaveOnTerminate);
        io.stderr.write(`\nCancelling operation ${operation.id} (Ctrl-C again to leave at once)...\n`);
        cancel();
      };
      const cancelOnTerminate = () => {
        stopListening();
        process.once('SIGINT', leaveOnInterrupt);
        process.once('SIGTERM', leaveOnTerminate);
        io.stderr.write(`\nTerminated: cancelling operation ${operation.id} and removing what it wrote...\n`);
        cancel();
        void within(20_000, Promise.allSettled([cancelled, following])).then(() => process.exit(143));
      };
      const stopListening = () => {
        process.off('SIGINT', cancelOnInterrupt);
        process.off('SIGTERM', cancelOnTerminate);
      };
      if (how.runHere) {
        process.on('SIGINT', cancelOnInterrupt);
        process.on('SIGTERM', cancelOnTerminate);
      }
      const untap = options.verbose ? how.logTaps?.tap(operation.id, print) : undefined;
      try {
        const events = io.progressEvents;
        const ended = followOperation(engine, operation, {
          ...(progress && { onProgress: progress.update }),
          ...(events && { onChange: (row: Operation) => events(progressEvent(row)) }),
          ...(!options.json && {
            onWaiting: (ahead: Operation) => print(waitingWords(ahead, engine.clock())),
            onWaited: (ahead: Operation) => print(waitedWords(ahead)),
          }),
          ...(how.runHere && { runHere: how.runHere }),
          ...(how.signal && { signal: how.signal }),
        });
        following = ended;
        return await ended;
      } finally {
        untap?.();
        stopListening();
        process.off('SIGINT', leaveOnInterrupt);
        process.off('SIGTERM', leaveOnTerminate);
      }
    };
  }
  const reply = await runCommand(ctx, command, { prefix: 'backstop ', checks });
  progress?.done();
  return render(io, options, reply);
}

const checks = { db: checkPgDump, media: checkMediaTar };

function cliHandlerContext(
  engine: UseCaseContext,
  io: CliIo,
  onProgress: ProgressListener | undefined,
  asked: string | undefined,
): HandlerContext {
  return {
    engine,
    principal: cliOperator(io),
    ...(asked !== undefined && { asked }),
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * With --progress json, the progress of work this process does itself (verify reads a backup back here): a line at
 * most every quarter second, as often as a person could follow it and a script needs it.
 */
function jsonProgress(io: CliIo): ProgressListener | undefined {
  const events = io.progressEvents;
  if (!events) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    events({ type: 'progress', phase: p.phase, bytesDone: p.bytesDone, bytesExpected: p.bytesExpected ?? null });
  };
}

/** Why a restore is not to go ahead (no terminal to confirm on, the wrong name typed), or undefined when it is. */
async function unconfirmed(
  engine: UseCaseContext,
  command: Extract<Command, { name: 'restore' }>,
  io: CliIo,
  options: GlobalOptions,
): Promise<string | undefined> {
  if (options.yes) return undefined;
  const to = command.to?.app !== undefined ? { app: command.to.app, env: command.to.env } : undefined;
  const preview = await describeRestore(engine, {
    backupId: command.id,
    ...(command.parts !== undefined && { parts: command.parts }),
    ...(to !== undefined && { to }),
  });
  if (!io.stdin.isTTY) {
    return (
      `restore overwrites ${preview.destination} (${preview.overwrites.join('; ')}). ` +
      'Without a terminal to confirm on, add --yes to go ahead.'
    );
  }
  const ok = await confirmRestore(io, preview, command.safetyBackup);
  return ok ? undefined : 'Nothing was restored: the name typed did not match.';
}

async function withState(
  loaded: BackstopConfig,
  fn: (state: State) => Promise<number>,
  reads = false,
): Promise<number> {
  const state = await openState({
    databaseUrl: loaded.stateDatabaseUrl,
    dataDir: loaded.dataDir,
    whenAbsent: reads ? 'empty' : 'create',
  });
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}

/** Runs `fn` with the engine over the state; `reads`: a command that changes nothing (see `run`). */
async function withEngine(
  loaded: BackstopConfig,
  options: GlobalOptions,
  io: CliIo,
  reads: boolean,
  fn: (engine: UseCaseContext) => Promise<number>,
): Promise<number> {
  return withState(
    loaded,
    async (state) => {
      await migrateToLatest(state.db);
      const print = (line: string) => io.stderr.write(`${line}\n`);
      const log = options.verbose ? print : () => {};
      // On the embedded state this process runs the work itself while a person waits (see composeEngine).
      const interactive = loaded.stateDatabaseUrl === undefined || options.wait;
      const engine = await composeEngine(loaded, state, { log, notice: print, interactive, env: io.env });
      log(
        `config: ${loaded.source ?? `none (built-in defaults)`}; state: ${state.description}; ` +
          `storage: ${engine.store.describe()}`,
      );
      return fn(engine);
    },
    reads,
  );
}

/** `promise`, or nothing once `ms` have passed: a bound on cleanup before leaving. */
function within(ms: number, promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

/**
 * "Waiting for operation x (drill, running since ...) ahead of it in drill:127.0.0.1:5432", and when that one's lease
 * has run out or is about to, that a process killed while running it is taken over once its lease ends.
 */
function waitingWords(ahead: Operation, now: Date): string {
  const when = (at: Date) => relativeTime(at, now) ?? formatTime(at);
  const state =
    ahead.status === 'running' && ahead.startedAt !== null ? `running since ${when(ahead.startedAt)}` : ahead.status;
  const lease =
    ahead.status === 'running' && ahead.leaseExpiresAt !== null
      ? `; if the process running it was killed, it is taken over when its lease runs out (${
          ahead.leaseExpiresAt.getTime() <= now.getTime() ? 'now' : when(ahead.leaseExpiresAt)
        })`
      : '';
  return `Waiting for operation ${ahead.id} (${ahead.kind}, ${state}) ahead of this one in ${ahead.target}${lease}...`;
}

/** "Operation x (drill) has succeeded; this one goes on." once the operation a command waited for is out of its way. */
function waitedWords(ahead: Operation): string {
  const outcome: Record<string, string> = {
    succeeded: 'has succeeded',
    failed: 'has failed',
    cancelled: 'was cancelled',
    running: 'is running again (taken over)',
    queued: 'is queued again',
  };
  // A later attempt: the one that was killed was taken over (by this command, or by a worker) and finished.
  const attempt = ahead.attempts > 1 ? `, taken over on attempt ${ahead.attempts}` : '';
  return `Operation ${ahead.id} (${ahead.kind}) ${outcome[ahead.status] ?? ahead.status}${attempt}; this one goes on.`;
}
