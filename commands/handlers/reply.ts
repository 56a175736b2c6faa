import type { Operation } from '../../src/domain/operation.ts';
import type { Principal } from '../../src/domain/principal.ts';
import type { ProgressListener } from '../../src/sources/source.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import type { ReplyView } from './reply-view.ts';

/**
 * A platform-neutral answer to a command: chat adapters render `text` (plain lines, `*bold*` allowed), the terminal
 * renders `view` when there is one (tables, fields: see ReplyView) and `text` otherwise, and scripts read `data`
 * (the --json shapes of DESIGN.md).
 * `outcome`: `ok` did what was asked; `failed` the operation ran and failed; `refused` a usage, configuration or
 * permission problem (nothing ran).
 */
export interface Reply {
  outcome: 'ok' | 'failed' | 'refused';
  text: string;
  data?: unknown;
  /** The same answer laid out as values (no markup), for the terminal; chat keeps `text`. */
  view?: ReplyView;
  /** The text holds download links: they hand out the data, so chat sends them to the asker alone. */
  carriesLinks?: true;
}

/** What a handler gets besides the command: the use cases' context, who is asking, and where progress goes. */
export interface HandlerContext {
  engine: UseCaseContext;
  /** Who asks: the operator at the CLI, a chat user; the use cases check and audit it. */
  principal: Principal;
  /** The command as the person wrote it, for the audit log. */
  asked?: string;
  /** The app (or target) the channel is bound to, so commands may omit it. */
  binding?: { app: string; env?: string };
  onProgress?: ProgressListener;
  /**
   * Follows a queued operation to its end and resolves to it as it ended (the CLI with --wait; chat adapters that
   * edit a message as it progresses). Without it, commands that start work reply as soon as it is queued.
   */
  follow?: (operation: Operation) => Promise<Operation>;
  /**
   * How a person (a principal id: `slack:U123`, `api:ci`) is written in the reply's text: as the id by default (the
   * command line); chat writes a mention that each platform renders its own way (commands/chat/mention.ts).
   */
  person?: (principal: string) => string;
}
