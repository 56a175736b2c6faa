import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Express } from 'express';
import { listenFailure } from '../../src/http/listen-failure.ts';
import type { ChatEndpoint, DeliveredRequests, DeliveryRecord } from '../chat-platform/chat-platform.ts';
import type { FrontMessage, FrontSettings, MainMessage } from './front-protocol.ts';

/** The thread's code: compiled, next to this file; from the TypeScript sources, through an entry that registers tsx. */
const frontFile = new URL(
  import.meta.url.endsWith('.ts') ? './front-thread-entry.mjs' : './front-thread.js',
  import.meta.url,
);

export interface HttpFrontOptions {
  /** Everything that is not a chat path: served by the main thread on a loopback port the front proxies to. */
  app: Express;
  host: string;
  /** 0 for any free port. */
  port: number;
  endpoints: ChatEndpoint[];
  /**
   * The fleet's record of delivered chat requests: a delivery is handed to its endpoint only if it is the request's
   * first, on this instance or any other sharing the state. A copy replayed within the signature's time window, or
   * the platform's retry, was acknowledged as the first was; it is logged and starts nothing. Required with endpoints.
   */
  delivered?: DeliveredRequests;
  log: (line: string) => void;
  /**
   * How long recording a delivery may take before its request is given up as not started (10 s by default, as long
   * as the state pool waits for a connection). A state cut off by a partition may leave the record's statement waiting
   * on a connection for as long as TCP retransmits (many minutes): the sender would hear nothing meanwhile, the work
   * would start that much later, and a stop would wait for it.
   */
  recordTimeoutMs?: number;
  /**
   * How long the front waits for an endpoint's `answer` to a request whose answer must come from this thread
   * (Discord's autocomplete, a submitted Slack modal) before it answers as the acknowledgement says: 2 s by default.
   * Both platforms want the answer within 3 s of sending the request, and the network takes its share of those both
   * ways.
   */
  answerTimeoutMs?: number;
  /** The thread's code; front-thread.ts unless a test puts another in its place. */
  threadFile?: URL;
  /**
   * Called on this thread once for each chat request whose answer was sent, after its delivery (if any) was handed to
   * the endpoint or found a replay: from then on the front has nothing more to do with that request. Must not throw.
   */
  onAnswered?: (answered: AnsweredChatRequest) => void;
}

/** A chat request the front has answered. */
export interface AnsweredChatRequest {
  path: string;
  status: number;
  /** Whether a delivery was handed to the endpoint (an accepted command or click; never a refusal nor a replay). */
  delivered: boolean;
  /** Set when the request had been delivered before, here or on another instance (a replay, or the platform's retry). */
  replay?: true;
}

export interface HttpFront {
  /** Where the front listens. */
  address: string;
  port: number;
  /** Chat paths answer 503 from now on (the rest is still served); resolves once the front has heard. */
  refuseChat(): Promise<void>;
  /**
   * Stops listening and lets the requests under way finish, proxied ones included (see ConnectionDrain); resolves
   * once the port takes no new connection, with how many connections are still open.
   */
  drain(): Promise<number>;
  /** Settles once, after `drain()`, the last connection has ended (or the thread has). */
  drained: Promise<void>;
  /** Stops listening, closes every connection still open and ends the thread; resolves with how many it closed. */
  close(): Promise<number>;
  /**
   * Settles only if the thread fails or ends without being closed: from then on nothing answers on the port, so the
   * process should stop (and its supervisor start it again) rather than run deaf.
   */
  failed: Promise<Error>;
}

/**
 * Starts Backstop's public HTTP listener on a thread of its own (front-thread.ts), so that Slack's and Discord's
 * requests are acknowledged however busy the main thread is with the work of earlier commands: both platforms give up
 * after 3 seconds, and a burst of commands makes seconds of main-thread work. Each chat path is verified and answered
 * there and its delivery handed to the endpoint's `deliver` here once the answer is sent, if the fleet's record of
 * delivered requests says it is the request's first (`delivered`); every other request is
 * proxied to `app`, which listens on 127.0.0.1 at a free port. Rejects with a clear message when the port is taken.
 */
export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  const { log, delivered } = options;
  const recordTimeoutMs = options.recordTimeoutMs ?? 10_000;
  if (options.endpoints.length > 0 && delivered === undefined) {
    // Without the record, a replayed or retried chat request would run again.
    throw new Error('the HTTP front needs the record of delivered requests to serve chat endpoints');
  }
  const inner = await listenOnLoopback(options.app);
  const endpoints = new Map(options.endpoints.map((endpoint) => [endpoint.path, endpoint]));
  const settings: FrontSettings = {
    host: options.host,
    port: options.port,
    upstream: { host: '127.0.0.1', port: (inner.address() as AddressInfo).port },
    endpoints: options.endpoints.map(({ path, settings: endpointSettings }) => ({ path, settings: endpointSettings })),
    bodyLimitBytes: 1 << 20,
    answerTimeoutMs: options.answerTimeoutMs ?? 2000,
  };
  const worker = new Worker(options.threadFile ?? frontFile, { workerData: settings });
  // Callers waiting for the front to confirm a message, by the confirmation's type (any number may wait at once);
  // each is given the confirmation, or undefined when the thread ended first.
  const waiting = new Map<FrontMessage['type'], Array<(message: FrontMessage | undefined) => void>>();
  const heard = <T extends FrontMessage['type']>(type: T) =>
    new Promise<Extract<FrontMessage, { type: T }> | undefined>((resolve) => {
      waiting.set(type, [...(waiting.get(type) ?? []), resolve as (message: FrontMessage | undefined) => void]);
    });
  const wake = (type: FrontMessage['type'], message?: FrontMessage) => {
    for (const resolve of waiting.get(type) ?? []) resolve(message);
    waiting.delete(type);
  };
  let stopped = false;
  let exited = false;
  let markDrained: () => void = () => {};
  const drained = new Promise<void>((resolve) => {
    markDrained = resolve;
  });
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => {
    fail = resolve;
  });

  const started = new Promise<{ address: string; port: number }>((resolve, reject) => {
    worker.on('message', (message: FrontMessage) => {
      switch (message.type) {
        case 'listening':
          resolve(message);
          break;
        case 'listen-failed':
          reject(listenFailure(message, options.host, options.port));
          break;
        case 'answered': {
          const settled = settle(message).finally(() => settling.delete(settled));
          settling.add(settled);
          break;
        }
        case 'question':
          answer(message);
          break;
        case 'log':
          log(message.line);
          break;
        case 'drained':
          markDrained();
          break;
        default:
          wake(message.type, message);
      }
    });
    worker.on('error', (error) => {
      reject(error);
      log(`http: the front thread failed: ${error.stack ?? error.message}`);
      fail(error);
    });
    worker.once('exit', (code) => {
      exited = true;
      markDrained();
      for (const type of [...waiting.keys()]) wake(type);
      if (!stopped) {
        const error = new Error(`the HTTP front thread ended (exit code ${code}), so nothing answers on the port`);
        reject(error);
        fail(error);
      }
    });
  });

  // Answered requests whose delivery is being recorded: closing waits for them.
  const settling = new Set<Promise<void>>();

  async function settle(message: Extract<FrontMessage, { type: 'answered' }>): Promise<void> {
    const outcome =
      message.delivery === undefined ? 'none' : await deliverOnce(message.path, message.delivery, message.record);
    options.onAnswered?.({
      path: message.path,
      status: message.status,
      delivered: outcome === 'delivered',
      ...(outcome === 'replay' && { replay: true as const }),
    });
  }

  /** Hands the delivery to its endpoint if the fleet's record says it is the request's first. */
  async function deliverOnce(
    path: string,
    delivery: unknown,
    record: DeliveryRecord | undefined,
  ): Promise<'delivered' | 'replay' | 'not-recorded'> {
    // The front's acknowledgers give every delivery a record; only a test's stand-in thread may not.
    if (record !== undefined) {
      let sighting: 'first' | 'replay';
      try {
        sighting = await withinTime(
          delivered!.recordDelivery(record.keys, new Date(record.expiresAtMs)),
          recordTimeoutMs,
          `the state did not answer within ${recordTimeoutMs / 1000} s`,
        );
      } catch (error) {
        // Started unrecorded, it could run twice (a copy reaching another instance would find no record). A record
        // written after the wait ended starts nothing either: this request is given up for good.
        log(
          `http: a request to ${path} was acknowledged but not started: recording it failed: ${String(error)}; ` +
            'its sender is told to try again',
        );
        try {
          endpoints.get(path)?.notStarted(delivery);
        } catch (failure) {
          log(`http: could not tell the sender of a request to ${path} that it was not started: ${String(failure)}`);
        }
        return 'not-recorded';
      }
      if (sighting === 'replay') {
        log(
          `http: a request to ${path} had been delivered before (a replay, or the platform's retry): ` +
            'acknowledged again, not started again',
        );
        return 'replay';
      }
    }
    deliver(path, delivery);
    return 'delivered';
  }

  /** Asks the endpoint for a request's answer; no answer (none, or a failure, logged) lets the front answer without. */
  function answer({ id, path, question }: Extract<FrontMessage, { type: 'question' }>): void {
    const endpoint = endpoints.get(path);
    void Promise.resolve()
      .then(() => endpoint?.answer?.(question))
      .catch((error: unknown) => {
        log(`http: could not answer a request to ${path}: ${String(error)}`);
        return undefined;
      })
      .then((decided) => {
        if (!exited) post({ type: 'answer', id, ...(decided !== undefined && { answer: decided }) });
      });
  }

  function deliver(path: string, delivery: unknown): void {
    try {
      endpoints.get(path)?.deliver(delivery);
    } catch (error) {
      log(`http: could not start the work of a request to ${path}: ${String(error)}`);
    }
  }

  const post = (message: MainMessage) => worker.postMessage(message);
  const closeInner = () =>
    new Promise<void>((resolve) => {
      inner.close(() => resolve());
      inner.closeAllConnections();
    });

  let closing: Promise<number> | undefined;
  let draining: Promise<number> | undefined;
  let listening: { address: string; port: number };
  try {
    listening = await started;
  } catch (error) {
    stopped = true;
    await worker.terminate();
    await closeInner();
    throw error;
  }
  return {
    address: listening.address,
    port: listening.port,
    failed,
    async refuseChat() {
      if (stopped || exited) return;
      const refused = heard('chat-refused');
      post({ type: 'refuse-chat' });
      await refused;
    },
    drain() {
      draining ??= (async () => {
        if (stopped || exited) return 0;
        const answer = heard('draining');
        post({ type: 'drain' });
        return (await answer)?.open ?? 0;
      })();
      return draining;
    },
    drained,
    close() {
      closing ??= (async () => {
        stopped = true;
        let cut = 0;
        if (!exited) {
          const closed = heard('closed');
          post({ type: 'close' });
          cut = (await closed)?.cut ?? 0;
          await worker.terminate();
        }
        await Promise.all(settling);
        // Last: what the front proxied until now was served here.
        await closeInner();
        return cut;
      })();
      return closing;
    },
  };
}

function listenOnLoopback(app: Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** `work`'s outcome, or a rejection saying `why` once `ms` have passed without one (`work` is left to itself). */
function withinTime<T>(work: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why)), ms);
  });
  // A rejection after the wait ended has no one to hear it.
  work.catch(() => {});
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
