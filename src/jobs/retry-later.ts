/**
 * Thrown by a runner whose operation may pass when tried again later (an endpoint that answered 503): the worker puts
 * it back in the queue to run after `delayMs`, while it has attempts left, and fails it with this message after that.
 */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}
