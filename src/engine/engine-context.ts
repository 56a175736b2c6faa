import type { LeaseFence } from '../domain/lease-fence.ts';
import type { PartKind } from '../domain/part-kind.ts';
import type { Target } from '../domain/target.ts';
import type { ProgressListener, Source } from '../sources/source.ts';
import type { Catalog } from '../state/catalog.ts';
import type { DownloadBook } from '../state/download-book.ts';
import type { Store } from '../storage/store.ts';

/**
 * The engine's ports: the catalogue and download book it records in, the store, the keys, the targets and their
 * sources, a clock and a log. Chosen by the composition root (cli/compose-engine.ts); tests build their own. What
 * queues, announces or authorizes work is not here: see JobsContext (src/jobs) and UseCaseContext (src/use-cases).
 */
export interface EngineContext {
  catalog: Catalog;
  /** Prepared downloads. */
  downloads: DownloadBook;
  /** How long a download's links (and its plaintext objects) live: `downloads.linkTtl`. */
  linkTtlSeconds: number;
  store: Store;
  /** age recipients every part is encrypted to. */
  recipients: () => Promise<string[]>;
  /** age identities to decrypt with (read lazily: backing up needs only recipients). */
  identities: () => Promise<string[]>;
  targets: readonly Target[];
  /** The source of one part of one target, or a BackstopError when the target has no such part configured. */
  sourceFor: (target: Target, kind: PartKind) => Source;
  /**
   * Reads the application's code version for a backup of `target`, where its environment says how (`codeVersion:`):
   * resolves to undefined when it says nothing, rejects with the reason when it cannot be read (the backup is then
   * taken without a version, and the reason logged). Absent: no version is ever recorded.
   */
  codeVersionOf?: (target: Target) => Promise<string | undefined>;
  /**
   * Where drills restore media: each drill's scratch directory is made here and removed when it ends. Default: a
   * `backstop-drills` folder in the system's temporary directory.
   */
  drillScratchDir?: string;
  clock: () => Date;
  log: (line: string) => void;
  /**
   * What a person should read whatever the verbosity: something about a backup they would want to fix (a pattern that
   * matched no table, a code version that could not be read). Absent: it goes to `log`.
   */
  warn?: (line: string) => void;
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
   * The lease this run holds when a worker runs it: its objects are named after the generation, and what it records
   * about its subject is refused (`fenced`) once another attempt has taken the operation over.
   */
  lease?: LeaseFence;
  /**
   * True when this run was given up by its worker (lease lost, shutting down): a failing run then removes only its
   * own objects (named after its lease generation) and leaves the rows to the worker that takes the operation over.
   */
  abandoned?: () => boolean;
}
