import type { ErrorCode } from './error-code.ts';

/**
 * The one error type Backstop raises on purpose. `code` is stable and machine-readable; `userMessage` is the only
 * text that may be shown to a person (chat, CLI); `message` and `cause` go to logs. `retryable` marks failures that
 * may succeed when tried again (a network blip), as opposed to permanent ones (a missing object, a bad key).
 */
export class BackstopError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string | undefined;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { userMessage?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackstopError';
    this.code = code;
    this.userMessage = options.userMessage;
    this.retryable = options.retryable ?? false;
  }
}

/** True when `error` is a BackstopError with the given code. */
export function isBackstopError(error: unknown, code?: ErrorCode): error is BackstopError {
  return error instanceof BackstopError && (code === undefined || error.code === code);
}
