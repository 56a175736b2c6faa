import type { EngineContext } from '../engine/engine-context.ts';
import type { EventLog } from '../state/event-log.ts';
import type { OperationQueue } from './operation-queue.ts';

/** The engine's ports, plus what background work needs: the queue it runs from and the log of outcomes. */
export interface JobsContext extends EngineContext {
  /** The job queue: backups, restores, downloads and deliveries run as operations claimed by workers. */
  operations: OperationQueue;
  /** Outcomes, for notifications to deliver. */
  events: EventLog;
}
