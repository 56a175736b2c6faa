import type { CliIo } from '../adapters/console/cli-io.ts';
import { compactTime } from '../adapters/console/human-time.ts';
import { timeZoneOf } from '../adapters/console/terminal-style.ts';
import { AccessPolicy } from '../src/access/access-policy.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { newId } from '../src/domain/new-id.ts';
import { targetName } from '../src/domain/target.ts';
import { OperationQueue } from '../src/jobs/operation-queue.ts';
import { Catalog } from '../src/state/catalog.ts';
import { DownloadBook } from '../src/state/download-book.ts';
import { openStateForReading } from '../src/state/state.ts';
import { listActiveOperations } from '../src/use-cases/operations.ts';
import { recentBackups } from '../src/use-cases/read-backups.ts';
import type { ReadingContext } from '../src/use-cases/use-case-context.ts';
import { cliOperator } from './cli-operator.ts';
import { type Candidate, type CompletionFacts, completeWords } from './complete-words.ts';
import { splitGlobalOptions } from './global-options.ts';
import { toolVersion } from './tool-version.ts';

/** How long completion may spend on the state: someone waits at the Tab key, and a slow state is no reason to hang. */
const stateBudgetMs = 1000;
/** How many of the newest backups are offered. */
const backupsOffered = 25;

/**
 * `backstop __complete <words...>` (hidden; the completion scripts call it): prints what may come as the last word,
 * one `value<TAB>description` a line, or `:files` for a file name. It reads the config (quietly) and the state
 * read-only, within a second; whatever fails or is late is left out, and nothing is ever written to stderr, because
 * it would land in the middle of the person's command line. Always exits 0.
 */
export async function completeCommand(words: string[], io: CliIo): Promise<number> {
  try {
    const completion = await completeWords(words, factsFor(words, io));
    if ('files' in completion) io.stdout.write(':files\n');
    else io.stdout.write(completion.candidates.map(line).join(''));
  } catch {
    // Nothing to offer: the shell falls back to its default.
  }
  return 0;
}

function line(candidate: Candidate): string {
  // A tab or a line break would split the line (a note may hold them).
  const description = candidate.description?.replace(/[\t\r\n]+/g, ' ').trim();
  return description ? `${candidate.value}\t${description}\n` : `${candidate.value}\n`;
}

function factsFor(words: string[], io: CliIo): CompletionFacts {
  const deadline = Date.now() + stateBudgetMs;
  let config: BackstopConfig | undefined;
  try {
    const explicitPath = splitGlobalOptions(words.slice(0, -1)).options.config;
    config = loadConfig({ ...(explicitPath !== undefined && { explicitPath }), env: io.env, cwd: io.cwd });
  } catch {
    config = undefined; // a config with a mistake: the grammar still completes
  }
  const reading =
    <T>(read: (ctx: ReadingContext) => Promise<T[]>) =>
    (): Promise<T[]> =>
      config === undefined ? Promise.resolve([]) : within(deadline, readState(config, read), []);
  const now = new Date();
  const timeZone = timeZoneOf(io.env);
  return {
    targets: config?.targets.map(targetName) ?? [],
    backups: reading(async (ctx) =>
      (await recentBackups(ctx, cliOperator(io), backupsOffered)).map((backup) => ({
        value: backup.id,
        description: [
          `${backup.app}/${backup.env}`,
          compactTime(backup.createdAt, now, timeZone),
          backup.status === 'completed' ? backup.parts : `${backup.parts} ${backup.status}`,
          ...(backup.note ? [backup.note.slice(0, 40)] : []),
        ].join('  '),
      })),
    ),
    operations: reading(async (ctx) =>
      (await listActiveOperations(ctx, cliOperator(io))).map((operation) => ({
        value: operation.id,
        description: `${operation.kind} ${operation.subjectId}${operation.target ? ` of ${operation.target}` : ''}  ${operation.status}`,
      })),
    ),
  };
}

/** Runs `read` over the state opened read-only (nothing when there is none yet), closing it afterwards. */
async function readState<T>(config: BackstopConfig, read: (ctx: ReadingContext) => Promise<T[]>): Promise<T[]> {
  const state = await openStateForReading({
    databaseUrl: config.stateDatabaseUrl,
    dataDir: config.dataDir,
    timeoutMs: stateBudgetMs,
  });
  if (state === undefined) return [];
  try {
    return await read({
      catalog: new Catalog(state.db, newId, toolVersion),
      operations: new OperationQueue(state.db, newId),
      downloads: new DownloadBook(state.db, newId),
      access: AccessPolicy.fromConfig(config.raw.apps),
      targets: config.targets,
    });
  } finally {
    await state.close();
  }
}

/** `work`, or `fallback` once the deadline has passed (the work is left to end by itself, its outcome ignored). */
function within<T>(deadline: number, work: Promise<T>, fallback: T): Promise<T> {
  work.catch(() => {});
  return Promise.race([
    work.catch(() => fallback),
    new Promise<T>((resolve) => setTimeout(() => resolve(fallback), Math.max(0, deadline - Date.now())).unref()),
  ]);
}
