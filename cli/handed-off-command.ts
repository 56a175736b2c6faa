import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { JsonLinesOutput } from '../adapters/console/json-lines-output.ts';
import { handleHelp } from '../commands/handlers/help.ts';
import { parseCommand } from '../commands/parse-command.ts';
import type { StateDb } from '../src/state/state.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';
import { runAuditCommand } from './audit-command.ts';
import { catalogUsage, parseCatalogArgs } from './catalog-args.ts';
import { runWithEngine } from './engine-session.ts';
import { type GlobalOptions, globalFlags, splitGlobalOptions } from './global-options.ts';
import type { LogTaps } from './log-taps.ts';
import { rebuildCommand } from './rebuild-command.ts';
import { render } from './render-reply.ts';
import { reportError } from './report-error.ts';
import { runTokenCommand } from './token-command.ts';
import { usageError } from './usage-error.ts';
import { runWebLogin, webUsageError } from './web-command.ts';

/**
 * Runs a command another `backstop` process handed to this server (because the server holds the embedded state),
 * with the server's engine and the client's terminal. Work it queues is run by the server's workers; `--wait`
 * follows it until it ends or the client goes away (the work goes on).
 */
export async function runHandedOff(
  engine: UseCaseContext,
  argv: string[],
  io: CliIo,
  signal: AbortSignal,
  /** The server's state database, for `backstop token` (API tokens live there, beside the engine's tables). */
  state?: StateDb,
  /** Where the server's web view answers, for `backstop web login`. */
  webBase?: string,
  /** The server's log lines of the work a command follows, for --verbose. */
  logTaps?: LogTaps,
): Promise<number> {
  const { options, words, problem } = splitGlobalOptions(argv);
  if (problem) return usageError(io, options.json, problem, { seeHelp: true });
  if (options.progress !== 'json') return runParsed(engine, options, words, io, signal, state, webBase, logTaps);
  // --progress json: progress lines to the client at once, the result line once the command has ended.
  const lines = new JsonLinesOutput(io.stdout);
  const here: CliIo = { ...io, stdout: lines.stdout, progressEvents: lines.event };
  const code = await runParsed(engine, options, words, here, signal, state, webBase, logTaps).catch((error: unknown) =>
    reportError(here, true, error),
  );
  lines.finish(code);
  return code;
}

async function runParsed(
  engine: UseCaseContext,
  options: GlobalOptions,
  words: string[],
  io: CliIo,
  signal: AbortSignal,
  state: StateDb | undefined,
  webBase: string | undefined,
  logTaps: LogTaps | undefined,
): Promise<number> {
  const refuse = (message: string) => usageError(io, options.json, message);
  const [name, ...args] = words;
  switch (name) {
    case 'serve':
      return refuse(`a server is already running on this data directory (process ${process.pid})`);
    case 'worker':
      return refuse(`the running server (process ${process.pid}) runs workers already`);
    case 'migrate':
      io.stdout.write(
        options.json
          ? `${JSON.stringify({ applied: [] })}\n`
          : `The state database is up to date (the running server, process ${process.pid}, migrated it).\n`,
      );
      return exitCodes.ok;
    case 'catalog': {
      const catalog = parseCatalogArgs(args);
      if (typeof catalog === 'string') return usageError(io, options.json, catalog, { usage: catalogUsage });
      return rebuildCommand(engine, io, options.json, catalog);
    }
    case 'audit':
      if (!state) return refuse('this server cannot read the audit log for other processes');
      return runAuditCommand(state, engine.targets, args, io, options);
    case 'web':
      if (!state || webBase === undefined) return refuse('this server cannot make web sign-in links');
      if (args.length !== 1 || args[0] !== 'login') return webUsageError(args, io, options);
      return runWebLogin(state, webBase, io, options);
    case 'token':
      if (!state) return refuse('this server cannot manage API tokens for other processes');
      return runTokenCommand(state, args, engine, io, options);
  }
  const parsed = parseCommand(words, { surfaceFlags: globalFlags });
  if (!parsed.ok) {
    return usageError(io, options.json, parsed.message, {
      ...(parsed.usage ? { usage: `backstop ${parsed.usage}` } : { seeHelp: true }),
    });
  }
  if (parsed.command.name === 'help') return render(io, options, handleHelp(parsed.command, 'backstop '));
  return runWithEngine(engine, parsed.command, options, io, {
    follow: options.wait,
    signal,
    asked: words.join(' '),
    ...(logTaps && { logTaps }),
  });
}
