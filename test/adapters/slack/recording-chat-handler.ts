import type { ChatCaller, ChatHandler, ChatOutput } from '../../../commands/chat/chat-types.ts';

export type Script = (caller: ChatCaller, input: string, output: ChatOutput) => Promise<void>;

export interface RecordedCall {
  kind: 'command' | 'action';
  caller: ChatCaller;
  /** The command's text or the button's action. */
  input: string;
  /** When the handler was called (ms since the epoch). */
  at: number;
  /** Settles when the script has run. */
  done: Promise<void>;
}

/**
 * A ChatHandler that records every call and drives the output as its scripts say. Without a script, a call only
 * records itself.
 */
export class RecordingChatHandler implements ChatHandler {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly scripts: { command?: Script; action?: Script } = {}) {}

  command(caller: ChatCaller, text: string, output: ChatOutput): Promise<void> {
    return this.#record('command', caller, text, output, this.scripts.command);
  }

  action(caller: ChatCaller, action: string, output: ChatOutput): Promise<void> {
    return this.#record('action', caller, action, output, this.scripts.action);
  }

  #record(
    kind: RecordedCall['kind'],
    caller: ChatCaller,
    input: string,
    output: ChatOutput,
    script: Script | undefined,
  ): Promise<void> {
    const done = script === undefined ? Promise.resolve() : script(caller, input, output);
    this.calls.push({ kind, caller, input, at: Date.now(), done: done.catch(() => {}) });
    return done;
  }
}
