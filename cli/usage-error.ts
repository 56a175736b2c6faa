import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { ErrorCode } from '../src/domain/error-code.ts';

/**
 * Refuses a command line, exit status 2: the message on stderr, then the usage line to follow (`usage`), or a pointer
 * to `backstop help` (`seeHelp`). With --json the error shape `{ "error": { "code", "message" } }` goes to stdout
 * too, as for every failure, so a script reading stdout always gets a document.
 */
export function usageError(
  io: Pick<CliIo, 'stdout' | 'stderr'>,
  json: boolean,
  message: string,
  options: { usage?: string; seeHelp?: boolean; code?: ErrorCode } = {},
): number {
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: options.code ?? 'usage', message } })}\n`);
  const next = options.usage ? `Usage: ${options.usage}\n` : options.seeHelp ? 'See: backstop help\n' : '';
  io.stderr.write(`backstop: ${message}\n${next}`);
  return exitCodes.usage;
}
