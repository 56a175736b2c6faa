import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { startHttpFront } from '../adapters/http-front/http-front.ts';
import { ApprovalCards } from '../commands/chat/approval-cards.ts';
import { ChannelAnnouncements } from '../commands/chat/channel-announcements.ts';
import { ChannelBindings } from '../commands/chat/channel-bindings.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { isBackstopError } from '../src/domain/backstop-error.ts';
import { reasonOf } from '../src/domain/reason-of.ts';
import { ConnectionDrain } from '../src/http/connection-drain.ts';
import { createHttpApp } from '../src/http/create-http-app.ts';
import { listenFailure } from '../src/http/listen-failure.ts';
import { DrillScheduler } from '../src/jobs/drill-scheduler.ts';
import { NodeScheduleTimers } from '../src/jobs/node-schedule-timers.ts';
import { removeDrillLeftovers } from '../src/jobs/remove-drill-leftovers.ts';
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
import { LogTaps } from './log-taps.ts';
import { createProcessLog, logFormatOf, processSay } from './process-log.ts';
import { type StopRequests, stopSignals } from './signalled.ts';
import { realAfter, type StoppableListener, stopHttp } from './stop-http.ts';
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

/** What stops serve: SIGINT or SIGTERM, or a test's promises; `again` is a second request (stop waiting). */
type ServeStopRequests = Pick<StopRequests, 'stop'> & Partial<Pick<StopRequests, 'again'>>;

/**
 * `backstop serve`: opens and migrates the state (holding the embedded state's lock), then runs the workers, the
 * scheduler and the HTTP server (`/healthz`, `/readyz` on `http.host:http.port`); on the embedded state it also takes
 * commands handed over by other `backstop` processes on a local socket. Waits for SIGINT or SIGTERM (or `requests`),
 * then stops taking work and drains HTTP (see stopHttp: `/readyz` answers 503 at once, requests under way may finish
 * until `http.drain.deadline`; a second signal stops waiting), gives running operations back to the queue and closes
 * cleanly.
 */
export async function serveCommand(config: BackstopConfig, io: CliIo, requests?: ServeStopRequests): Promise<number> {
  const state = await openStateWhenFree(config, io);
  const format = logFormatOf(config, io);
  // Commands handed to this server with --verbose see the lines of the work they follow (see LogTaps).
  const logTaps = new LogTaps();
  const log = logTaps.wrap(await createProcessLog(io.stderr, format));
  const say = processSay(io, format, log);
  try {
    const applied = await migrateToLatest(state.db);
    const engine = await composeEngine(config, state, { log, notice: log });
    const settings = workerSettings(config);
    const worker = createWorker(config, engine, log);
    const stopWaking = engine.operations.onEnqueued(() => worker.wake());
    const notifier = new WebhookNotifier(engine, [...config.webhooks, ...config.emailAlerts]);
    const scheduler = new Scheduler(engine, { timers: new NodeScheduleTimers() });
    const drillScheduler = new DrillScheduler(engine, { timers: new NodeScheduleTimers() });
    const storeProbe = engine.store instanceof RetryingStore ? engine.store.inner : engine.store;
    const chat = composeChat(config, engine);
    const platforms = await chatPlatforms(config, chat.handler, engine, log);
    const announcers = platforms.map((platform) => platform.announcer);
    const bindings = new ChannelBindings(config.raw.apps);
    const announcements = new ChannelAnnouncements(engine, bindings, announcers);
    const stopping = new AbortController();
    const draining = new AbortController();
    const app = createHttpApp({
      state: state.db,
      store: engine.store,
      storeProbe,
      engine,
      web: webSettings(config),
      shutdown: { stopping: stopping.signal, draining: draining.signal },
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
    let signals: ServeStopRequests | undefined;
    let running = false;
    try {
      handOff = embedded
        ? await listenForHandOff(
            handOffSocketPath(config.dataDir),
            (argv, clientIo, signal) =>
              runHandedOff(engine, argv, clientIo, signal, state.db, webBaseOf(config, server), logTaps),
            log,
          )
        : undefined;
      // Listening for SIGTERM before saying it runs: a signal sent on "Backstop is running" stops it cleanly.
      signals = requests ?? stopSignals();
      const stopped = signals.stop;
      // Before any work runs, so a new install's event cursor exists before its first event.
      await notifier.start();
      await announcements.start();
      approvalCards.start();
      // What drills killed mid-way left (a scratch database or directory) goes now; live drills' stay.
      await removeDrillLeftovers(engine).catch((error: unknown) =>
        log(`could not look for drills' scratch space: ${reasonOf(error)}`, 'warn'),
      );
      worker.start();
      await scheduler.start();
      drillScheduler.start();
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
      running = true;
      failure = await Promise.race([stopped.then(() => undefined), server.failed]);
      if (failure) say(`Backstop cannot go on: ${failure.message}.\n`, 'error');
    } finally {
      const { delaySeconds, deadlineSeconds } = config.httpDrain;
      // Nothing to wait for when it never ran, or cannot go on: connections are closed at once.
      const waits = running && failure === undefined;
      say(waits ? stoppingLine(config.httpDrain) : 'Backstop is stopping: running operations go back to the queue.\n');
      stopping.abort();
      // Running operations go on while HTTP drains (one may end meanwhile), and are given back after.
      worker.stopClaiming();
      await scheduler.stop();
      await drillScheduler.stop();
      await handOff?.close();
      // HTTP before chat, so that the commands of chat requests still under way start, and their last messages go out.
      await stopHttp({
        listener: server,
        delaySeconds,
        deadlineSeconds,
        hurry: waits ? (signals?.again ?? new Promise<void>(() => {})) : Promise.resolve(),
        draining,
        after: realAfter,
        say,
      });
      await announcements.stop();
      await approvalCards.stop();
      for (const platform of platforms) await platform.close();
      await notifier.stop();
      await worker.stop();
      stopWaking();
    }
    say('Backstop stopped.\n');
    return failure ? exitCodes.failed : exitCodes.ok;
  } finally {
    await state.close();
  }
}

/** What serve says as it begins to stop, with time to wait for: what it waits for, how long, and how not to. */
function stoppingLine({ delaySeconds, deadlineSeconds }: BackstopConfig['httpDrain']): string {
  const delay =
    delaySeconds > 0 ? `new connections are still taken for ${delaySeconds} s (http.drain.delay), then ` : '';
  return (
    `Backstop is stopping: /readyz answers 503; ${delay}requests under way have up to ${deadlineSeconds} s to ` +
    'finish (http.drain.deadline); running operations then go back to the queue. Stop again (Ctrl-C, SIGTERM) to ' +
    'stop waiting.\n'
  );
}

/** The app listening on the public port itself: the same shape as the HTTP front, with no chat paths to refuse. */
function listen(
  app: Express,
  port: number,
  host: string,
): Promise<StoppableListener & { address: string; port: number; failed: Promise<Error> }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    const drain = new ConnectionDrain(server);
    server.once('listening', () => {
      const bound = server.address() as AddressInfo;
      resolve({
        address: bound.address,
        port: bound.port,
        // A server that stops listening on its own has no cause node reports after start; nothing to watch.
        failed: new Promise<Error>(() => {}),
        refuseChat: async () => {},
        drain: async () => drain.drain(),
        drained: drain.drained,
        close: () => drain.close(),
      });
    });
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenFailure(error, host, port)));
  });
}
