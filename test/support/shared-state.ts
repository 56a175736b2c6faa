import { migrateToLatest, openState, type State } from '../../src/state/state.ts';
import { createDatabase, dropDatabase } from './postgres.ts';

/**
 * A state database on the test PostgreSQL for several instances to share, as a fleet of `serve` instances does:
 * `open` gives one instance its own connection pool to it (migrated); `drop` closes them all and drops the database.
 */
export async function sharedStateDatabase(label = 'shared'): Promise<{
  open(): Promise<State>;
  drop(): Promise<void>;
}> {
  const database = await createDatabase(label);
  const opened: State[] = [];
  return {
    async open() {
      const state = await openState({ databaseUrl: database.url, dataDir: '/nonexistent' });
      opened.push(state);
      await migrateToLatest(state.db);
      return state;
    },
    async drop() {
      for (const state of opened.splice(0)) await state.close();
      await dropDatabase(database.name);
    },
  };
}
