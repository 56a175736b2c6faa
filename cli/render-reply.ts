import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { Reply } from '../commands/handlers/reply.ts';
import type { GlobalOptions } from './global-options.ts';

/**
 * Prints a reply (its JSON with --json, else its text; failures on stderr in both cases) and returns the exit
 * status. A refusal without a document of its own prints the error shape, so --json always prints one.
 */
export function render(io: CliIo, options: GlobalOptions, reply: Reply): number {
  const data = reply.data ?? (reply.outcome === 'refused' ? { error: { code: 'usage', message: reply.text } } : null);
  if (options.json) io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  // A failure is told on stderr with --json too, like every error the CLI reports, for whoever runs the script.
  if (!options.json || reply.outcome !== 'ok')
    (reply.outcome === 'ok' ? io.stdout : io.stderr).write(`${reply.text}\n`);
  return reply.outcome === 'ok' ? exitCodes.ok : reply.outcome === 'failed' ? exitCodes.failed : exitCodes.usage;
}
