import { BackstopError } from './backstop-error.ts';
import type { PartKind, PartsChoice } from './part-kind.ts';

/** The kinds named by a parts choice, database first. */
export function partKinds(choice: string): PartKind[] {
  switch (choice) {
    case 'db':
      return ['db'];
    case 'media':
      return ['media'];
    case 'db+media':
    case 'media+db':
      return ['db', 'media'];
    default:
      throw new BackstopError('bad-parts', `unknown parts '${choice}'`, {
        userMessage: `Unknown parts '${choice}': write db, media or db+media.`,
      });
  }
}

export function partsChoice(kinds: readonly PartKind[]): PartsChoice {
  const hasDb = kinds.includes('db');
  const hasMedia = kinds.includes('media');
  return hasDb && hasMedia ? 'db+media' : hasDb ? 'db' : 'media';
}

/**
 * The object name of a part inside its backup's folder. An attempt under a later lease generation than the first
 * (one that took the backup over, see LeaseFence) names its objects after it, `db.g2.dump.age`, so that an earlier
 * attempt cut off past its lease cannot overwrite them.
 */
export function partFileName(kind: PartKind, generation = 1): string {
  const [stem, ...rest] = (kind === 'db' ? 'db.dump.age' : 'media.tar.age').split('.');
  return generation <= 1 ? [stem, ...rest].join('.') : [stem, `g${generation}`, ...rest].join('.');
}
