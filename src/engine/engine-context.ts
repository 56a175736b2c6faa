import type { Target } from '../config/backstop-config.ts';
import type { EventLog } from '../jobs/event-log.ts';
import type { OperationQueue } from '../jobs/operation-queue.ts';
import type { Mailer } from '../notify/mailer.ts';
import type { PartKind, ProgressListener, Source } from '../sources/source.ts';
import type { Store } from '../storage/store.ts';
import type { Catalog } from './catalog.ts';
import type { DownloadBook } from './downloads.ts';

/** Everything the use cases need, chosen by the composition root (src/cli/compose-engine.ts); tests build their own. */
export interface EngineContext {
  catalog: Catalog;
  /** The job queue: backups and restores run as operations claimed by workers. */
  operations: OperationQueue;
  /** Outcomes, for notifications to deliver. */
  events: EventLog;
  /** Prepared downloads. */
  downloads: DownloadBook;
  /** How long a download's links (and its plaintext objects) live: `downloads.linkTtl`. */
  linkTtlSeconds: number;
  /** Sends download links; undefined when email is not configured. */
  mailer: Mailer | undefined;
  /** Email addresses by principal (slack:U1, cli:ana): where links go when the caller gives none. */
  people: Readonly<Record<string, string>>;
  store: Store;
  /** age recipients every part is encrypted to. */
  recipients: () => Promise<string[]>;
  /** age identities to decrypt with (read lazily: backing up needs only recipients). */
  identities: () => Promise<string[]>;
  targets: readonly Target[];
  /** The source of one part of one target, or a BackstopError when the target has no such part configured. */
  sourceFor: (target: Target, kind: PartKind) => Source;
  clock: () => Date;
  log: (line: string) => void;
}

/** Options every long-running use case takes. */
export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /**
   * Called just before the outcome is recorded as completed; throws when this run may no longer record it (its
   * worker lost the operation's lease to another worker).
   */
  fence?: () => Promise<void>;
  /**
   * True when this run was given up by its worker (lease lost, shutting down): a failing run then leaves its objects
   * and rows for the worker that takes the operation over, instead of cleaning up under its feet.
   */
  abandoned?: () => boolean;
}
