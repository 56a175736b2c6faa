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

/** The object name of a part inside its backup's folder. */
export function partFileName(kind: PartKind): string {
  return kind === 'db' ? 'db.dump.age' : 'media.tar.age';
}
