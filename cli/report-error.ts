import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { BackstopError } from '../src/domain/backstop-error.ts';
import type { ErrorCode } from '../src/domain/error-code.ts';

/**
 * Errors that mean the command cannot run as written or configured: fixed by the person, not by trying again (exit
 * status 2): a word or id that names nothing, a file that is not there, and everything a configuration is refused
 * for at start (the file, the keys it names, the chat platforms, the storage settings, the port).
 */
const usageCodes = new Set<ErrorCode>([
  'usage',
  'file-not-found',
  'file-exists',
  'confirmation-required',
  'bad-config',
  'config-invalid',
  'config-missing',
  'invalid-option',
  'bad-identity',
  'bad-recipient',
  'slack-config-invalid',
  'discord-config',
  'discord-public-key',
  'unknown-target',
  'backup-not-found',
  'target-required',
  'token-not-found',
  'state-locked',
  'state-format',
  'http-listen-failed',
]);

/**
 * Reports an error a command threw: its userMessage on stderr (an error without one is a bug or an outage, shown as
 * unexpected, with its stack under BACKSTOP_DEBUG), the error shape on stdout under --json. Returns the exit status:
 * 2 for a usage or configuration error, else 1.
 */
export function reportError(io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>, json: boolean, error: unknown): number {
  const known = error instanceof BackstopError && error.userMessage !== undefined;
  const message = known
    ? (error as BackstopError).userMessage!
    : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  if (json) {
    const code = error instanceof BackstopError ? error.code : 'internal';
    io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
  io.stderr.write(`backstop: ${message}\n`);
  if (!known && error instanceof Error && io.env['BACKSTOP_DEBUG']) io.stderr.write(`${error.stack}\n`);
  return error instanceof BackstopError && usageCodes.has(error.code) ? exitCodes.usage : exitCodes.failed;
}
