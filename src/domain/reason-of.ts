import { BackstopError } from './backstop-error.ts';

/** The text recorded on a failed row and shown to people: a BackstopError's userMessage, else its message. */
export function reasonOf(error: unknown): string {
  if (error instanceof BackstopError) return error.userMessage ?? error.message;
  return error instanceof Error ? error.message : String(error);
}
