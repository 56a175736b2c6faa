import type { BackstopConfig } from '../config/backstop-config.ts';
import { migrateToLatest, openState } from '../state/state.ts';
import { type CliIo, exitCodes } from './cli-io.ts';

/**
 * `backstop serve`: opens and migrates the state (holding the embedded state's lock, so other processes are told a
 * server runs), then waits for SIGINT or SIGTERM and closes cleanly. The scheduler, workers and HTTP server join it
 * as they are built.
 */
export async function serveCommand(config: BackstopConfig, io: CliIo, stop?: Promise<void>): Promise<number> {
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(state.db);
    io.stderr.write(
      `Backstop is running on ${state.description}${applied.length > 0 ? ` (applied ${applied.join(', ')})` : ''}; ` +
        `${config.targets.length} target${config.targets.length === 1 ? '' : 's'} configured. Stop with Ctrl-C.\n`,
    );
    await (stop ?? signalled());
    io.stderr.write('Backstop stopped.\n');
    return exitCodes.ok;
  } finally {
    await state.close();
  }
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
