import { createInterface } from 'node:readline/promises';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { JsonLinesOutput } from '../adapters/console/json-lines-output.ts';
import { handleHelp } from '../commands/handlers/help.ts';
import { parseCommand } from '../commands/parse-command.ts';
import { usage } from '../commands/usage.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { isBackstopError } from '../src/domain/backstop-error.ts';
import { catalogUsage, parseCatalogArgs } from './catalog-args.ts';
import { shells } from './complete-words.ts';
import { completionScript, completionUsage, type Shell } from './completion-scripts.ts';
import { decryptCommand, decryptUsage } from './decrypt-command.ts';
import { type GlobalOptions, globalFlags, splitGlobalOptions } from './global-options.ts';
import { keygenCommand, keygenUsage } from './keygen-command.ts';
import { render } from './render-reply.ts';
import { reportError } from './report-error.ts';
import { retentionCommand, retentionUsage } from './retention-command.ts';
import { toolVersion } from './tool-version.ts';
import { unexpectedWord, unknownSubcommand } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

/** The engine and its drivers load only for commands that use them, so help and usage errors answer at once. */
const session = () => import('./engine-session.ts');

const adminUsage: Record<string, string> = {
  serve:
    'backstop serve      run Backstop: workers, scheduled backups, HTTP (/api/v1, /metrics, /healthz, /readyz on http.port)',
  worker: 'backstop worker     run queued operations only (more workers beside serve, with a shared DATABASE_URL)',
  migrate: 'backstop migrate    bring the state database up to date',
  keygen: keygenUsage,
  decrypt: decryptUsage,
  catalog: catalogUsage,
  retention: retentionUsage,
  token:
    'backstop token create --name <name> --role viewer|operator|restorer|approver --apps <app,app|*> | list | revoke <id>   (HTTP API tokens)',
  audit: 'backstop audit [--app <app>] [--limit <n>]   who did what, from every surface, newest first',
  web: 'backstop web login   a one-time link that signs the holder of the config in to the Backups view',
  discord: 'backstop discord register [--guild <id>]   register the /backup command with Discord',
  keys: 'backstop keys retire <age1...>   stop encrypting to a key on every instance sharing the state',
  config:
    'backstop config check [--config <file>] | schema   check a config file and print it resolved, secrets redacted; the JSON Schema',
  completion: completionUsage,
  version: 'backstop version',
};

/** The `backstop` command. Returns the exit status: 0 ok, 1 the operation failed, 2 usage or configuration. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  // The completion scripts' question: answered before anything else, quietly (see completeCommand).
  if (argv[0] === '__complete') return (await import('./complete-command.ts')).completeCommand(argv.slice(1), io);
  const { options, words, problem } = splitGlobalOptions(argv);
  if (problem) return usageError(io, options.json, problem, { seeHelp: true });
  const [name, ...args] = words;
  let loaded: BackstopConfig | undefined;
  // Loaded at most once, and only by the commands that need it, so `help`, `version` and `keygen` say nothing of it.
  const config = (): BackstopConfig => {
    if (loaded === undefined) {
      loaded = loadConfig({
        ...(options.config !== undefined && { explicitPath: options.config }),
        env: io.env,
        cwd: io.cwd,
      });
      if (loaded.source === undefined) {
        io.stderr.write(
          `No config file: ${loaded.lookedFor} does not exist, so the built-in defaults are used ` +
            `(state, key and backups under ${loaded.dataDir}; see examples/backstop.yaml).\n`,
        );
      }
    }
    return loaded;
  };
  // With --progress json this process writes its output as JSON lines; a command handed to a server is written so
  // by the server.
  const lines = options.progress === 'json' ? new JsonLinesOutput(io.stdout) : undefined;
  const here: CliIo = lines ? { ...io, stdout: lines.stdout, progressEvents: lines.event } : io;
  const finish = (code: number) => {
    lines?.finish(code);
    return code;
  };
  try {
    return finish(await runHere(name, args, words, here, options, config));
  } catch (error) {
    if (isBackstopError(error, 'state-locked') && name !== 'serve') {
      // A server holds the embedded state: hand the command to it, or say who holds the state if it cannot take it.
      const details = error.details as { holderPid?: unknown; holderIsServer?: unknown } | undefined;
      const holder = { pid: details?.holderPid, isServer: details?.holderIsServer };
      const handed = await handOverToServer(argv, io, config(), holder).catch((handOffError: unknown) =>
        isBackstopError(handOffError, 'hand-off-unavailable') ? undefined : handOffError,
      );
      if (typeof handed === 'number') return handed;
      return finish(reportError(here, options.json, handed ?? error));
    }
    return finish(reportError(here, options.json, error));
  }
}

/** Runs the command the words name, in this process. */
async function runHere(
  name: string | undefined,
  args: string[],
  words: string[],
  io: CliIo,
  options: GlobalOptions,
  config: () => BackstopConfig,
): Promise<number> {
  // Asked for, help is an answer; a bare `backstop` is a command line missing its command (in a script, a bug).
  if ((name === undefined && options.help) || (name === 'help' && args.length === 0)) {
    io.stdout.write(helpText());
    return exitCodes.ok;
  }
  if (name === undefined) {
    if (options.json) usageError(io, true, 'a command is needed (see backstop help)');
    else io.stderr.write(`backstop: a command is needed.\n\n${helpText()}`);
    return exitCodes.usage;
  }
  if (['serve', 'worker', 'migrate', 'version'].includes(name) && args.length > 0) {
    return usageError(io, options.json, unexpectedWord(args[0]!, [], name), { usage: adminUsage[name] });
  }
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
    case 'config':
      return await (await import('./config-command.ts')).configCommand(args, options, io);
    case 'completion': {
      const [shell, ...rest] = args;
      if (shell === undefined || !(shells as readonly string[]).includes(shell) || rest.length > 0) {
        const problem =
          shell !== undefined && (shells as readonly string[]).includes(shell)
            ? unexpectedWord(rest[0]!, [], 'completion')
            : unknownSubcommand('completion', shell, shells).replace('subcommand', 'shell');
        return usageError(io, options.json, problem, { usage: completionUsage });
      }
      io.stdout.write(completionScript(shell as Shell));
      return exitCodes.ok;
    }
    case 'decrypt':
      return await decryptCommand(args, io, options.json, () => config().encryption.identityFiles);
    case 'migrate':
      return await (await session()).migrate(config(), options, io);
    case 'retention':
      return retentionCommand(args, io, options.json, new Date());
    case 'serve':
      return await (await import('./serve-command.ts')).serveCommand(config(), io);
    case 'worker':
      return await (await import('./worker-command.ts')).workerCommand(config(), io);
    case 'discord':
      return await (await import('./discord-command.ts')).discordCommand(args, config(), io, options);
    case 'audit':
      return await (await import('./audit-command.ts')).auditCommand(args, config(), io, options);
    case 'keys':
      return await (await import('./keys-command.ts')).keysCommand(args, config(), io, options);
    case 'token':
      return await (await import('./token-command.ts')).tokenCommand(args, config(), io, options);
    case 'web':
      return await (await import('./web-command.ts')).webCommand(args, config(), io, options);
    case 'catalog': {
      const catalog = parseCatalogArgs(args);
      if (typeof catalog === 'string') return usageError(io, options.json, catalog, { usage: catalogUsage });
      return await (await session()).rebuild(config(), options, io, catalog.trustUnsigned);
    }
  }
  if (options.help && name in usage) {
    const entry = usage[name as keyof typeof usage];
    io.stdout.write(`Usage: backstop ${entry.line}\n${entry.purpose}.\n`);
    return exitCodes.ok;
  }
  const parsed = parseCommand(words, { surfaceFlags: globalFlags });
  if (!parsed.ok) {
    return usageError(io, options.json, parsed.message, {
      ...(parsed.usage ? { usage: `backstop ${parsed.usage}` } : { seeHelp: true }),
    });
  }
  if (parsed.command.name === 'help') return render(io, options, handleHelp(parsed.command, 'backstop '));
  return await (await session()).run(parsed.command, config(), options, io, words.join(' '));
}

/** How long a command waits for a starting server to take commands (opening the embedded state takes a while). */
const serverStartWaitMs = 60_000;

/**
 * Hands the command to the server holding the state. A server still starting (it holds the state but does not take
 * commands yet) is waited for, saying so once, for as long as it lives and at most a minute.
 */
async function handOverToServer(
  argv: string[],
  io: CliIo,
  config: BackstopConfig,
  holder: { pid?: unknown; isServer?: unknown },
): Promise<number> {
  const { handOff } = await import('./hand-off-client.ts');
  const { handOffSocketPath } = await import('./hand-off-socket-path.ts');
  const deadline = Date.now() + serverStartWaitMs;
  let said = false;
  for (;;) {
    try {
      return await handOff(handOffSocketPath(config.dataDir), argv, io);
    } catch (error) {
      const starting = holder.isServer === true && typeof holder.pid === 'number' && processIsAlive(holder.pid);
      if (!isBackstopError(error, 'hand-off-unavailable') || !starting || Date.now() > deadline) throw error;
      if (!said) {
        io.stderr.write(`Waiting for the Backstop server (process ${holder.pid}) to finish starting...\n`);
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every command with its usage: what `backstop help` prints, and a bare `backstop` shows on stderr. */
function helpText(): string {
  const lines = Object.values(usage).map((u) => `  backstop ${u.line}`);
  return [
    'Backstop: encrypted, portable backups of PostgreSQL databases and media files.',
    '',
    'Backups and restores:',
    ...lines,
    '',
    'Administration:',
    ...Object.values(adminUsage).map((line) => `  ${line.split('\n')[0]}`),
    '',
    'Options: --config <file> (or BACKSTOP_CONFIG, default ./backstop.yaml), --json, --progress json, --wait, --yes,',
    '         --verbose, --no-color (or NO_COLOR=1), --help',
    'Exit status: 0 ok, 1 the operation failed, 2 usage or configuration error.',
    '',
  ].join('\n');
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
