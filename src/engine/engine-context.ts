import type { Target } from '../config/backstop-config.ts';
import type { PartKind, ProgressListener, Source } from '../sources/source.ts';
import type { Store } from '../storage/store.ts';
import type { Catalog } from './catalog.ts';

/** Everything the use cases need, chosen by the composition root (src/cli/compose-engine.ts); tests build their own. */
export interface EngineContext {
  catalog: Catalog;
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
}
