import { BackstopError } from './backstop-error.ts';

/**
 * The lease an attempt holds on its operation: which operation, and the generation of the claim that started the
 * attempt. What an attempt records about its subject (a backup completed, failed) is recorded only while the
 * operation still runs under that generation; otherwise another attempt has taken the operation over, and the change
 * is refused with `fenced`. Objects an attempt writes carry the generation in their names for the same reason.
 */
export interface LeaseFence {
  operationId: string;
  generation: number;
}

/** The refusal of a change by an attempt whose lease another attempt has taken over. */
export function fencedOut(fence: LeaseFence): BackstopError {
  const message =
    `operation ${fence.operationId} was taken over by another attempt (lease generation ${fence.generation} ` +
    'is no longer current): this attempt records nothing';
  return new BackstopError('fenced', message, { userMessage: message });
}
