import { stringify } from 'yaml';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { configJsonSchemaText } from '../src/config/config-json-schema.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { REDACTED, redactConfig } from '../src/config/redact-config.ts';
import { resolvedConfig } from '../src/config/resolved-config.ts';
import { readIdentityFiles } from '../src/crypto/index.ts';
import { BackstopError, isBackstopError } from '../src/domain/backstop-error.ts';
import { reasonOf } from '../src/domain/reason-of.ts';
import { targetName } from '../src/domain/target.ts';
import { closestWord } from '../src/text/closest-word.ts';
import type { GlobalOptions } from './global-options.ts';
import { reportError } from './report-error.ts';
import { unexpectedWord } from './unexpected-word.ts';
import { usageError } from './usage-error.ts';

const configUsage =
  'backstop config check [--config <file>] | schema   check a config file and print it resolved, secrets redacted; the JSON Schema';

/**
 * `backstop config check`: reads the file as start-up does (`--config`, else BACKSTOP_CONFIG, else ./backstop.yaml),
 * with the same messages (line, path, what to write), and checks that the identity files it names can be read. A
 * valid file is printed resolved (see resolvedConfig) with its secrets redacted: YAML, or with --json
 * `{ "valid": true, "file", "targets", "config" }`. Exit status 0 valid, 2 not (with --json the error shape, with
 * `problems`: one line each). `backstop config schema` prints the JSON Schema editors use.
 */
export async function configCommand(args: string[], options: GlobalOptions, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (rest.length > 0) return usageError(io, options.json, unexpectedWord(rest[0]!), { usage: configUsage });
  if (sub === 'schema') {
    io.stdout.write(configJsonSchemaText());
    return exitCodes.ok;
  }
  if (sub !== 'check') {
    const meant = sub === undefined ? undefined : closestWord(sub, ['check', 'schema']);
    const problem =
      sub === undefined
        ? 'config takes a subcommand: check or schema'
        : `unknown subcommand '${sub}'${meant ? `: did you mean '${meant}'?` : ''}`;
    return usageError(io, options.json, problem, { usage: configUsage });
  }
  let config: BackstopConfig;
  try {
    config = loadConfig({
      ...(options.config !== undefined && { explicitPath: options.config }),
      env: io.env,
      cwd: io.cwd,
    });
    if (config.source === undefined) {
      const message =
        `there is no config file to check: ${config.lookedFor} does not exist; name one with --config <file> ` +
        '(or BACKSTOP_CONFIG), or start from examples/backstop.yaml';
      throw new BackstopError('config-missing', message, { userMessage: message });
    }
    await checkIdentityFiles(config);
  } catch (error) {
    return refused(io, options.json, error);
  }
  const shown = redactConfig(resolvedConfig(config));
  const targets = config.targets.map(targetName);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ valid: true, file: config.source, targets, config: shown }, null, 2)}\n`);
    return exitCodes.ok;
  }
  const count = `${targets.length} target${targets.length === 1 ? '' : 's'}`;
  io.stdout.write(
    `# ${config.source} is valid (${count}${targets.length > 0 ? `: ${targets.join(', ')}` : ''}).\n` +
      `# As Backstop runs it: \${VAR} read from the environment, defaults filled in, paths made absolute;\n` +
      `# secrets are shown as ${REDACTED}.\n${stringify(shown, { lineWidth: 0 })}`,
  );
  return exitCodes.ok;
}

/** An identity file that is missing or not an age identity stops serve at start: a problem of the config too. */
async function checkIdentityFiles(config: BackstopConfig): Promise<void> {
  if (config.encryption.generated) return; // made on first use
  try {
    await readIdentityFiles(config.encryption.identityFiles);
  } catch (error) {
    const problem = `${config.source}: encryption.identities: ${reasonOf(error)}`;
    const message = `The configuration has a problem:\n  ${problem}`;
    throw new BackstopError('config-invalid', message, { userMessage: message, details: { problems: [problem] } });
  }
}

/** A refused file: the problems on stderr (and with --json the error shape, with each problem), exit status 2. */
function refused(io: CliIo, json: boolean, error: unknown): number {
  const problems = isBackstopError(error) ? (error.details?.['problems'] as string[] | undefined) : undefined;
  if (!json || problems === undefined) return reportError(io, json, error);
  const { code, userMessage } = error as BackstopError;
  io.stdout.write(`${JSON.stringify({ error: { code, message: userMessage, problems } })}\n`);
  io.stderr.write(`backstop: ${userMessage}\n`);
  return exitCodes.usage;
}
