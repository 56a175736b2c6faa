import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { migrateToLatest, openState } from '../src/state/state.ts';
import { composeEngine } from './compose-engine.ts';
import { createProcessLog, logFormatOf, processSay } from './process-log.ts';
import { signalled } from './signalled.ts';
import { createWorker, workerSettings } from './worker-settings.ts';

/**
 * `backstop worker`: runs operations from the queue (no scheduler, no HTTP) until SIGINT or SIGTERM (or `stop`), then
 * gives running operations back to the queue. Useful with a shared PostgreSQL state: any number of workers on any
 * number of machines.
 */
export async function workerCommand(config: BackstopConfig, io: CliIo, stop?: Promise<void>): Promise<number> {
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  const format = logFormatOf(config, io);
  const log = await createProcessLog(io.stderr, format);
  const say = processSay(io, format, log);
  try {
    await migrateToLatest(state.db);
    const engine = await composeEngine(config, state, { log, notice: log });
    const settings = workerSettings(config);
    const worker = createWorker(config, engine, log);
    worker.start();
    say(
      `Backstop worker ${worker.owner} is running ${settings.concurrency} operation${settings.concurrency === 1 ? '' : 's'} ` +
        `at a time on ${state.description}. Stop with Ctrl-C.\n`,
    );
    await (stop ?? signalled());
    say('Backstop worker is stopping: running operations go back to the queue.\n');
    await worker.stop();
    say('Backstop worker stopped.\n');
    return exitCodes.ok;
  } finally {
    await state.close();
  }
}
