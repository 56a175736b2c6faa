import { BackstopError } from '../domain/backstop-error.ts';

export type StopCause = 'cancelled' | 'lease-lost' | 'shutdown';

/**
 * Why a worker stopped an operation it was running: the abort reason it gives the run. `cancelled` is a person's
 * decision (the run cleans up and the operation ends cancelled); `lease-lost` and `shutdown` give the operation back
 * to the queue for another attempt, so the run must leave its objects to whoever takes it over.
 */
export class OperationStopped extends BackstopError {
  readonly stopCause: StopCause;

  constructor(stopCause: StopCause, message: string) {
    super(stopCause === 'cancelled' ? 'cancelled' : 'operation-stopped', message, { userMessage: message });
    this.stopCause = stopCause;
  }

  /** True when the operation goes back to the queue rather than ending. */
  get givesBack(): boolean {
    return this.stopCause !== 'cancelled';
  }
}
