import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { Reply } from '../commands/handlers/reply.ts';
import type { GlobalOptions } from './global-options.ts';

/** Prints a reply (its JSON with --json, else its text; failures on stderr) and returns the exit status. */
export function render(io: CliIo, options: GlobalOptions, reply: Reply): number {
  if (options.json) io.stdout.write(`${JSON.stringify(reply.data ?? null, null, 2)}\n`);
  else (reply.outcome === 'ok' ? io.stdout : io.stderr).write(`${reply.text}\n`);
  return reply.outcome === 'ok' ? exitCodes.ok : reply.outcome === 'failed' ? exitCodes.failed : exitCodes.usage;
}
