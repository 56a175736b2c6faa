import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { BackstopError } from '../backstop-error.ts';
import type { BackstopConfig } from '../config/backstop-config.ts';
import { createHttpApp } from '../http/create-http-app.ts';
import { migrateToLatest, openState } from '../state/state.ts';
import { type CliIo, exitCodes } from './cli-io.ts';
import { composeStore } from './compose-engine.ts';

/**
 * `backstop serve`: opens and migrates the state (holding the embedded state's lock, so other processes are told a
 * server runs), serves HTTP (`/healthz`, `/readyz`) on `http.host:http.port`, then waits for SIGINT or SIGTERM and
 * closes cleanly. The scheduler and workers join it as they are built.
 */
export async function serveCommand(config: BackstopConfig, io: CliIo, stop?: Promise<void>): Promise<number> {
  const state = await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(state.db);
    const app = createHttpApp({ state: state.db, store: await composeStore(config) });
    const server = await listen(app, config.raw.http?.port ?? 8080, config.raw.http?.host ?? '127.0.0.1');
    const { address, port } = server.address() as AddressInfo;
    try {
      io.stderr.write(
        `Backstop is running on ${state.description}${applied.length > 0 ? ` (applied ${applied.join(', ')})` : ''}; ` +
          `${config.targets.length} target${config.targets.length === 1 ? '' : 's'} configured; ` +
          `HTTP on http://${address}:${port} (/healthz, /readyz). Stop with Ctrl-C.\n`,
      );
      await (stop ?? signalled());
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
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

/** Starts listening; a port in use is a configuration problem with a clear message, not a stack trace. */
function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${port} on ${host} is in use (another backstop serve?). Set http.port in the config to another port.`
          : `Backstop could not listen on ${host}:${port}: ${error.message}`;
      reject(new BackstopError('http-listen-failed', message, { userMessage: message, cause: error }));
    });
  });
}
