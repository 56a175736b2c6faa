import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { renderReplyView } from '../adapters/console/render-reply-view.ts';
import { colourWanted, type TerminalStyle, timeZoneOf } from '../adapters/console/terminal-style.ts';
import type { Reply } from '../commands/handlers/reply.ts';
import type { GlobalOptions } from './global-options.ts';

/**
 * Prints a reply (its JSON with --json, else its view laid out for the terminal, or its text; failures on stderr in
 * both cases) and returns the exit status. A refusal without a document of its own prints the error shape, so --json
 * always prints one.
 */
export function render(io: CliIo, options: GlobalOptions, reply: Reply): number {
  const data = reply.data ?? (reply.outcome === 'refused' ? { error: { code: 'usage', message: reply.text } } : null);
  if (options.json) io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  // A failure is told on stderr with --json too, like every error the CLI reports, for whoever runs the script.
  if (!options.json || reply.outcome !== 'ok') {
    const stream = reply.outcome === 'ok' ? io.stdout : io.stderr;
    const text = reply.view ? renderReplyView(reply.view, terminalStyle(io, options, stream)) : reply.text;
    stream.write(`${text}\n`);
  }
  return reply.outcome === 'ok' ? exitCodes.ok : reply.outcome === 'failed' ? exitCodes.failed : exitCodes.usage;
}

/** How text written to `stream` looks: colour as the terminal and the environment allow, times in the reader's zone. */
export function terminalStyle(
  io: Pick<CliIo, 'env'>,
  options: Pick<GlobalOptions, 'noColor'>,
  stream: { isTTY?: boolean },
): TerminalStyle {
  return { colour: colourWanted(stream, io.env, options.noColor), now: new Date(), timeZone: timeZoneOf(io.env) };
}
