import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, type State } from '../../src/state/state.ts';
import { createDatabase, dropDatabase } from './postgres.ts';

/** A state to run tests on, and what removes it afterwards. */
export type OpenedState = { state: State; cleanup: () => Promise<void> };

/**
 * The two states Backstop runs on, for `describe.each`: the embedded SQLite state in a fresh data directory, and
 * PostgreSQL in a fresh database. `label` names the directory and database.
 */
export function bothStates(label: string): Array<[string, () => Promise<OpenedState>]> {
  return [
    [
      'embedded SQLite',
      async () => {
        const dataDir = await mkdtemp(join(tmpdir(), `backstop-${label}-`));
        const state = await openState({ databaseUrl: undefined, dataDir });
        return { state, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
      },
    ],
    [
      'PostgreSQL',
      async () => {
        const database = await createDatabase(label);
        const state = await openState({ databaseUrl: database.url, dataDir: '/nonexistent' });
        return { state, cleanup: () => dropDatabase(database.name) };
      },
    ],
  ];
}
