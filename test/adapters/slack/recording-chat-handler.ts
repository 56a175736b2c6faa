import type {
  ChatCaller,
  ChatFormErrors,
  ChatFormValues,
  ChatHandler,
  ChatMessage,
  ChatOutput,
} from '../../../commands/chat/chat-types.ts';

export type Script = (caller: ChatCaller, input: string, output: ChatOutput) => Promise<void>;

export interface RecordedCall {
  kind: 'command' | 'action' | 'check-form' | 'submit-form' | 'home';
  caller: ChatCaller;
  /** The command's text, the button's action, or the form's id. */
  input: string;
  /** A form's values, for `check-form` and `submit-form`. */
  values?: ChatFormValues;
  /** When the handler was called (ms since the epoch). */
  at: number;
  /** Settles when the script has run. */
  done: Promise<void>;
}

/**
 * A ChatHandler that records every call and drives the output as its scripts say. Without a script, a call only
 * records itself; `checkForm` answers `formErrors` (none by default) and `home` answers `homeMessages`.
 */
export class RecordingChatHandler implements ChatHandler {
  readonly calls: RecordedCall[] = [];
  formErrors: ChatFormErrors = {};
  homeMessages: ChatMessage[] = [];

  constructor(private readonly scripts: { command?: Script; action?: Script; submitForm?: Script } = {}) {}

  command(caller: ChatCaller, text: string, output: ChatOutput): Promise<void> {
    return this.#record('command', caller, text, output, this.scripts.command);
  }

  action(caller: ChatCaller, action: string, output: ChatOutput): Promise<void> {
    return this.#record('action', caller, action, output, this.scripts.action);
  }

  async checkForm(caller: ChatCaller, form: string, values: ChatFormValues): Promise<ChatFormErrors> {
    this.calls.push({ kind: 'check-form', caller, input: form, values, at: Date.now(), done: Promise.resolve() });
    return this.formErrors;
  }

  submitForm(caller: ChatCaller, form: string, values: ChatFormValues, output: ChatOutput): Promise<void> {
    return this.#record('submit-form', caller, form, output, this.scripts.submitForm, values);
  }

  async home(caller: ChatCaller): Promise<ChatMessage[]> {
    this.calls.push({ kind: 'home', caller, input: '', at: Date.now(), done: Promise.resolve() });
    return this.homeMessages;
  }

  #record(
    kind: RecordedCall['kind'],
    caller: ChatCaller,
    input: string,
    output: ChatOutput,
    script: Script | undefined,
    values?: ChatFormValues,
  ): Promise<void> {
    const done = script === undefined ? Promise.resolve() : script(caller, input, output);
    this.calls.push({ kind, caller, input, ...(values && { values }), at: Date.now(), done: done.catch(() => {}) });
    return done;
  }
}
