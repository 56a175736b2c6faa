import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { confirmRestore } from '../../adapters/console/confirm-restore.ts';
import { ProgressLine } from '../../adapters/console/progress-line.ts';
import type { Command } from '../../commands/command.ts';
import { handleHelp } from '../../commands/handlers/help.ts';
import { parseCommand } from '../../commands/parse-command.ts';
import type { HandlerContext, Reply } from '../../commands/reply.ts';
import { runCommand } from '../../commands/run-command.ts';
import { usage } from '../../commands/usage.ts';
import { BackstopError } from '../backstop-error.ts';
import type { BackstopConfig } from '../config/backstop-config.ts';
import { loadConfig } from '../config/load-config.ts';
import { describeRestore } from '../engine/describe-restore.ts';
import type { EngineContext } from '../engine/engine-context.ts';
import { checkMediaTar } from '../sources/media-tar-check.ts';
import { checkPgDump } from '../sources/pg-dump-check.ts';
import { migrateToLatest, openState, type State } from '../state/state.ts';
import { type CliIo, exitCodes } from './cli-io.ts';
import { composeEngine } from './compose-engine.ts';
import { decryptCommand, decryptUsage } from './decrypt-command.ts';
import { type GlobalOptions, splitGlobalOptions } from './global-options.ts';
import { keygenCommand, keygenUsage } from './keygen-command.ts';
import { rebuildCommand } from './rebuild-command.ts';
import { retentionCommand, retentionUsage } from './retention-command.ts';
import { serveCommand } from './serve-command.ts';
import { toolVersion } from './tool-version.ts';

const adminUsage: Record<string, string> = {
  serve: 'backstop serve      run Backstop as a service (state migrations, then waits; scheduler and HTTP to come)',
  migrate: 'backstop migrate    bring the state database up to date',
  keygen: keygenUsage,
  decrypt: decryptUsage,
  catalog: 'backstop catalog rebuild   rebuild the catalogue from the backup.json files in storage',
  retention: retentionUsage,
  version: 'backstop version',
};

/** The `backstop` command. Returns the exit status: 0 ok, 1 the operation failed, 2 usage or configuration. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { options, words, problem } = splitGlobalOptions(argv);
  if (problem) return usageError(io, problem, undefined);
  const [name, ...args] = words;
  try {
    if (name === undefined || (name === 'help' && args.length === 0)) return printHelp(io);
    if (name === 'version' || name === '--version') {
      io.stdout.write(`${options.json ? JSON.stringify({ version: toolVersion }) : `backstop ${toolVersion}`}\n`);
      return exitCodes.ok;
    }
    if (name in adminUsage && options.help) {
      io.stdout.write(`Usage: ${adminUsage[name]}\n`);
      return exitCodes.ok;
    }
    switch (name) {
      case 'keygen':
        return keygenCommand(args, io, options.json, new Date());
      case 'decrypt':
        return await decryptCommand(args, io, () => config(options, io).encryption.identityFiles);
      case 'migrate':
        return await withState(options, io, async (state) => {
          const applied = await migrateToLatest(state.db);
          io.stdout.write(
            options.json
              ? `${JSON.stringify({ applied })}\n`
              : `${applied.length === 0 ? 'The state database is up to date' : `Applied ${applied.join(', ')}`} (${state.description}).\n`,
          );
          return exitCodes.ok;
        });
      case 'retention':
        return retentionCommand(args, io, options.json, new Date());
      case 'serve':
        return await serveCommand(config(options, io), io);
      case 'catalog':
        if (args[0] !== 'rebuild' || args.length > 1)
          return usageError(io, 'catalog takes one subcommand: rebuild', adminUsage['catalog']);
        return await withEngine(options, io, (engine) => rebuildCommand(engine, io, options.json));
    }
    if (options.help && name in usage) {
      const entry = usage[name as keyof typeof usage];
      io.stdout.write(`Usage: backstop ${entry.line}\n${entry.purpose}.\n`);
      return exitCodes.ok;
    }
    const parsed = parseCommand(words);
    if (!parsed.ok) return usageError(io, parsed.message, parsed.usage ? `backstop ${parsed.usage}` : undefined);
    if (parsed.command.name === 'help') return render(io, options, handleHelp(parsed.command, 'backstop '));
    const command = parsed.command;
    return await withEngine(options, io, async (engine) => {
      if (command.name === 'restore' && !(await confirmed(engine, command, io, options))) return exitCodes.usage;
      const progress = !options.json && io.stderr.isTTY ? new ProgressLine(io.stderr) : undefined;
      const reply = await runCommand(cliHandlerContext(engine, io, progress), command, {
        prefix: 'backstop ',
        checks,
      });
      progress?.done();
      return render(io, options, reply);
    });
  } catch (error) {
    return reportError(io, options, error);
  }
}

const checks = { db: checkPgDump, media: checkMediaTar };

function cliHandlerContext(engine: EngineContext, io: CliIo, progress: ProgressLine | undefined): HandlerContext {
  return {
    engine,
    caller: `cli:${io.env['USER'] ?? safeUserName()}`,
    ...(progress ? { onProgress: progress.update } : {}),
  };
}

async function confirmed(
  engine: EngineContext,
  command: Extract<Command, { name: 'restore' }>,
  io: CliIo,
  options: GlobalOptions,
): Promise<boolean> {
  if (options.yes) return true;
  const to = command.to?.app !== undefined ? { app: command.to.app, env: command.to.env } : undefined;
  const preview = await describeRestore(engine, {
    backupId: command.id,
    ...(command.parts !== undefined && { parts: command.parts }),
    ...(to !== undefined && { to }),
  });
  if (!io.stdin.isTTY) {
    io.stderr.write(
      `restore overwrites ${preview.destination} (${preview.overwrites.join('; ')}).\n` +
        'Without a terminal to confirm on, add --yes to go ahead.\n',
    );
    return false;
  }
  const ok = await confirmRestore(io, preview, command.safetyBackup);
  if (!ok) io.stderr.write('Nothing was restored: the name typed did not match.\n');
  return ok;
}

function config(options: GlobalOptions, io: CliIo): BackstopConfig {
  return loadConfig({
    ...(options.config !== undefined && { explicitPath: options.config }),
    env: io.env,
    cwd: io.cwd,
  });
}

async function withState(options: GlobalOptions, io: CliIo, fn: (state: State) => Promise<number>): Promise<number> {
  const loaded = config(options, io);
  const state = await openState({ databaseUrl: loaded.stateDatabaseUrl, dataDir: loaded.dataDir });
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}

async function withEngine(
  options: GlobalOptions,
  io: CliIo,
  fn: (engine: EngineContext) => Promise<number>,
): Promise<number> {
  const loaded = config(options, io);
  const state = await openState({ databaseUrl: loaded.stateDatabaseUrl, dataDir: loaded.dataDir });
  try {
    await migrateToLatest(state.db);
    const print = (line: string) => io.stderr.write(`${line}\n`);
    return await fn(composeEngine(loaded, state, { log: options.verbose ? print : () => {}, notice: print }));
  } finally {
    await state.close();
  }
}

function render(io: CliIo, options: GlobalOptions, reply: Reply): number {
  if (options.json) io.stdout.write(`${JSON.stringify(reply.data ?? null, null, 2)}\n`);
  else (reply.outcome === 'ok' ? io.stdout : io.stderr).write(`${reply.text}\n`);
  return reply.outcome === 'ok' ? exitCodes.ok : reply.outcome === 'failed' ? exitCodes.failed : exitCodes.usage;
}

function printHelp(io: CliIo): number {
  const lines = Object.values(usage).map((u) => `  backstop ${u.line}`);
  io.stdout.write(
    [
      'Backstop: encrypted, portable backups of PostgreSQL databases and media files.',
      '',
      'Backups and restores:',
      ...lines,
      '',
      'Administration:',
      ...Object.values(adminUsage).map((line) => `  ${line}`),
      '',
      'Options: --config <file> (or BACKSTOP_CONFIG, default ./backstop.yaml), --json, --yes, --verbose, --help',
      'Exit status: 0 ok, 1 the operation failed, 2 usage or configuration error.',
      '',
    ].join('\n'),
  );
  return exitCodes.ok;
}

function usageError(io: CliIo, message: string, line: string | undefined): number {
  io.stderr.write(`backstop: ${message}\n${line ? `Usage: ${line}\n` : 'See: backstop help\n'}`);
  return exitCodes.usage;
}

const usageCodes = new Set(['config-invalid', 'config-missing', 'unknown-target', 'target-required', 'state-locked']);

function reportError(io: CliIo, options: GlobalOptions, error: unknown): number {
  const known = error instanceof BackstopError && error.userMessage !== undefined;
  const message = known
    ? (error as BackstopError).userMessage!
    : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  if (options.json) {
    const code = error instanceof BackstopError ? error.code : 'internal';
    io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
  io.stderr.write(`backstop: ${message}\n`);
  if (!known && error instanceof Error && io.env['BACKSTOP_DEBUG']) io.stderr.write(`${error.stack}\n`);
  return error instanceof BackstopError && usageCodes.has(error.code) ? exitCodes.usage : exitCodes.failed;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    prompt: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
