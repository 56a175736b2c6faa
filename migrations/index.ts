import type { Migration } from 'kysely';
import * as backupsAndRestores from './0001-backups-and-restores.ts';

/**
 * Every migration, by name. Names sort in the order they run: a new migration takes the next number
 * (0002-..., 0003-...) and is added here.
 */
export const migrations: Record<string, Migration> = {
  '0001-backups-and-restores': backupsAndRestores,
};
