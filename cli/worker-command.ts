import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { composeEngine } from './compose-engine.ts';
import { signalled } from './signalled.ts';
import { createWorker, workerSettings } from './worker-settings.ts';

/**
 * `backstop worker`: runs operations from the queue (no scheduler, no HTTP) until SIGINT or SIGTERM (or `stop`), then
 * gives running operations back to the queue. Useful with a shared PostgreSQL state: any number of workers on any
 * number of machines.
 */
export async function workerCommand(config: BackstopConfig, io: CliIo, stop?: Promise<void>): Promise<number> {
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
  try {
    await migrateToLatest(state.db);
    const engine = await composeEngine(config, state, { log, notice: log });
    const settings = workerSettings(config);
    const worker = createWorker(config, engine, log);
    worker.start();
    io.stderr.write(
      `Backstop worker ${worker.owner} is running ${settings.concurrency} operation${settings.concurrency === 1 ? '' : 's'} ` +
        `at a time on ${state.description}. Stop with Ctrl-C.\n`,
    );
    await (stop ?? signalled());
    io.stderr.write('Backstop worker is stopping: running operations go back to the queue.\n');
    await worker.stop();
    io.stderr.write('Backstop worker stopped.\n');
    return exitCodes.ok;
  } finally {
    await state.close();
  }
}
