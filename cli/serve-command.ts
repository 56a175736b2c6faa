import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { startHttpFront } from '../adapters/http-front/http-front.ts';
import { ApprovalCards } from '../commands/chat/approval-cards.ts';
import { ChannelAnnouncements } from '../commands/chat/channel-announcements.ts';
import { ChannelBindings } from '../commands/chat/channel-bindings.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { isBackstopError } from '../src/domain/backstop-error.ts';
import { createHttpApp } from '../src/http/create-http-app.ts';
import { listenFailure } from '../src/http/listen-failure.ts';
import { NodeScheduleTimers } from '../src/jobs/node-schedule-timers.ts';
import { Scheduler } from '../src/jobs/scheduler.ts';
import { WebhookNotifier } from '../src/notify/webhook-notifier.ts';
import { DeliveredChatRequests } from '../src/state/delivered-chat-requests.ts';
import { migrateToLatest, openState, type State } from '../src/state/state.ts';
import { RetryingStore } from '../src/storage/retrying-store.ts';
import { chatPlatforms, composeChat } from './compose-chat.ts';
import { composeEngine } from './compose-engine.ts';
import { compressionWarnings } from './compression-check.ts';
import { listenForHandOff } from './hand-off-server.ts';
import { handOffSocketPath } from './hand-off-socket-path.ts';
import { runHandedOff } from './handed-off-command.ts';
import { createProcessLog, logFormatOf, processSay } from './process-log.ts';
import { signalled } from './signalled.ts';
import { webBaseOf, webSettings } from './web-command.ts';
import { createWorker, workerSettings } from './worker-settings.ts';

/** How long serve waits for a command that holds the embedded state (a `backstop list` started just before). */
const commandWaitMs = 60_000;

/**
 * Opens the state; on the embedded state held by a command (not another server), waits for the command to finish,
 * saying so once, for as long as it runs and at most a minute.
 */
async function openStateWhenFree(config: BackstopConfig, io: CliIo): Promise<State> {
  const deadline = Date.now() + commandWaitMs;
  let said = false;
  for (;;) {
    try {
      return await openState({ databaseUrl: config.stateDatabaseUrl, dataDir: config.dataDir });
    } catch (error) {
      const details = isBackstopError(error, 'state-locked')
        ? (error.details as { holderPid?: unknown; holderIsCommand?: unknown } | undefined)
        : undefined;
      if (details?.holderIsCommand !== true || Date.now() > deadline) throw error;
      if (!said) {
        io.stderr.write(`Waiting for process ${String(details.holderPid)} to finish with the embedded state...\n`);
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * `backstop serve`: opens and migrates the state (holding the embedded state's lock), then runs the workers, the
 * scheduler and the HTTP server (`/healthz`, `/readyz` on `http.host:http.port`); on the embedded state it also takes
 * commands handed over by other `backstop` processes on a local socket. Waits for SIGINT or SIGTERM (or `stop`),
 * then stops taking work, gives running operations back to the queue and closes cleanly.
 */
export async function serveCommand(config: BackstopConfig, io: CliIo, stop?: Promise<void>): Promise<number> {
  const state = await openStateWhenFree(config, io);
  const format = logFormatOf(config, io);
  const log = await createProcessLog(io.stderr, format);
  const say = processSay(io, format, log);
  try {
    const applied = await migrateToLatest(state.db);
    const engine = await composeEngine(config, state, { log, notice: log });
    const settings = workerSettings(config);
    const worker = createWorker(config, engine, log);
    const stopWaking = engine.operations.onEnqueued(() => worker.wake());
    const notifier = new WebhookNotifier(engine, config.webhooks);
    const scheduler = new Scheduler(engine, { timers: new NodeScheduleTimers() });
    const storeProbe = engine.store instanceof RetryingStore ? engine.store.inner : engine.store;
    const chat = composeChat(config, engine);
    const platforms = await chatPlatforms(config, chat.handler, engine, log);
    const announcers = platforms.map((platform) => platform.announcer);
    const bindings = new ChannelBindings(config.raw.apps);
    const announcements = new ChannelAnnouncements(engine, bindings, announcers);
    const app = createHttpApp({
      state: state.db,
      store: engine.store,
      storeProbe,
      engine,
      web: webSettings(config),
      // A restore request reaches approvers through its cards in the channels bound to the target (and there must
      // be an approver to reach).
      approvalReachable: (target) =>
        engine.access.anyoneHolds(target.app, 'approver') &&
        bindings
          .channelsOf(target.app, target.env)
          .some((channel) => announcers.some((a) => channel.startsWith(a.channelPrefix))),
    });
    const approvalCards = new ApprovalCards(chat.context, announcers);
    const port = config.raw.http?.port ?? 8080;
    const host = config.raw.http?.host ?? '127.0.0.1';
    const endpoints = platforms.map((platform) => platform.endpoint);
    // With chat, the public port is the HTTP front's, on a thread of its own that acknowledges chat requests however
    // busy this thread is, and starts each request's work once across the instances sharing the state; without, the
    // app listens itself.
    let failure: Error | undefined;
    const server =
      endpoints.length > 0
        ? await startHttpFront({ app, host, port, endpoints, delivered: new DeliveredChatRequests(state.db), log })
        : await listen(app, port, host);
    const embedded = config.stateDatabaseUrl === undefined;
    let handOff: Awaited<ReturnType<typeof listenForHandOff>> | undefined;
    try {
      handOff = embedded
        ? await listenForHandOff(
            handOffSocketPath(config.dataDir),
            (argv, clientIo, signal) =>
              runHandedOff(engine, argv, clientIo, signal, state.db, webBaseOf(config, server)),
            log,
          )
        : undefined;
      // Listening for SIGTERM before saying it runs: a signal sent on "Backstop is running" stops it cleanly.
      const stopped = stop ?? signalled();
      // Before any work runs, so a new install's event cursor exists before its first event.
      await notifier.start();
      await announcements.start();
      approvalCards.start();
      worker.start();
      await scheduler.start();
      const { address } = server;
      say(
        `Backstop is running on ${state.description}${applied.length > 0 ? ` (applied ${applied.join(', ')})` : ''}; ` +
          `${config.targets.length} target${config.targets.length === 1 ? '' : 's'} configured; ` +
          `${settings.concurrency} worker${settings.concurrency === 1 ? '' : 's'}; ` +
          `HTTP on http://${address}:${server.port} (/api/v1, /metrics, /healthz, /readyz` +
          `${endpoints.map((endpoint) => `, ${endpoint.path}`).join('')}); ` +
          `the Backups view at ${webBaseOf(config, server)}/ (sign in with: backstop web login). Stop with Ctrl-C.\n`,
      );
      if (config.email === undefined) {
        say(
          'Email is not configured (email: in the config), so download links are not emailed: they are shown in ' +
            'replies and in download.ready events.\n',
        );
      }
      for (const warning of await compressionWarnings(config.targets)) say(`Warning: ${warning}\n`, 'warn');
      failure = await Promise.race([stopped.then(() => undefined), server.failed]);
      if (failure) say(`Backstop cannot go on: ${failure.message}.\n`, 'error');
    } finally {
      say('Backstop is stopping: running operations go back to the queue.\n');
      await scheduler.stop();
      await handOff?.close();
      // Chat first, so the last messages of running commands still go out.
      await server.refuseChat();
      await announcements.stop();
      await approvalCards.stop();
      for (const platform of platforms) await platform.close();
      await notifier.stop();
      await worker.stop();
      stopWaking();
      await server.close();
    }
    say('Backstop stopped.\n');
    return failure ? exitCodes.failed : exitCodes.ok;
  } finally {
    await state.close();
  }
}

/** The app listening on the public port itself: the same shape as the HTTP front, with no chat paths to refuse. */
function listen(
  app: Express,
  port: number,
  host: string,
): Promise<{
  address: string;
  port: number;
  failed: Promise<Error>;
  refuseChat(): Promise<void>;
  close(): Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => {
      const bound = server.address() as AddressInfo;
      resolve({
        address: bound.address,
        port: bound.port,
        // A server that stops listening on its own has no cause node reports after start; nothing to watch.
        failed: new Promise<Error>(() => {}),
        refuseChat: async () => {},
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(error, host, port)));
  });
}
