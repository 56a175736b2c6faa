export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type OperationKind = 'backup' | 'restore' | 'download' | 'delivery' | 'drill';

/** One unit of background work: a backup or a restore (later a download preparation, a webhook delivery). */
export interface Operation {
  id: string;
  kind: string;
  /** The backup or restore this operation runs. */
  subjectId: string;
  /**
   * The lane: "app/env" for work that must not overlap with other work on that target, `drill:<host>:<port>` for a
   * drill (one at a time per database server); null otherwise.
   */
  target: string | null;
  status: OperationStatus;
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  cancelRequestedBy: string | null;
  phase: string | null;
  bytesDone: number;
  bytesExpected: number | null;
  requestedBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** Not claimed before this time. */
  runAfter: Date | null;
  /** How many times it was claimed: each claim is a new generation, which the attempt holding it fences with. */
  leaseGeneration: number;
}

export interface NewOperation {
  kind: OperationKind;
  subjectId: string;
  target: string | null;
  requestedBy: string | null;
  maxAttempts?: number;
  /** Not run before this time. */
  runAfter?: Date;
}
