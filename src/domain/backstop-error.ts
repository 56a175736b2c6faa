import type { ErrorCode } from './error-code.ts';

/**
 * The one error type Backstop raises on purpose. `code` is stable and machine-readable; `userMessage` is the only
 * text that may be shown to a person (chat, CLI); `message` and `cause` go to logs. `retryable` marks failures that
 * may succeed when tried again (a network blip), as opposed to permanent ones (a missing object, a bad key).
 * `details` are machine-readable facts safe to show with the userMessage (the role a refusal needs, the command to
 * ask with instead): the HTTP API adds them to its problem documents.
 */
export class BackstopError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string | undefined;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { userMessage?: string; cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackstopError';
    this.code = code;
    this.userMessage = options.userMessage;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** True when `error` is a BackstopError with the given code. */
export function isBackstopError(error: unknown, code?: ErrorCode): error is BackstopError {
  return error instanceof BackstopError && (code === undefined || error.code === code);
}
