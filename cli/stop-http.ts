/** What serve's public listener offers for stopping: the HTTP front's thread, or the app's own server. */
export interface StoppableListener {
  /** Chat paths answer 503 from now on. */
  refuseChat(): Promise<void>;
  /** Stops listening, lets the requests under way finish; resolves with how many connections are still open. */
  drain(): Promise<number>;
  /** Settles once, after `drain()`, the last connection has ended. */
  drained: Promise<void>;
  /** Closes every connection still open; resolves with how many it closed. */
  close(): Promise<number>;
}

export interface StopHttpOptions {
  listener: StoppableListener;
  /** How long new connections are still taken (http.drain.delay). */
  delaySeconds: number;
  /** Then how long the requests under way have to finish (http.drain.deadline). */
  deadlineSeconds: number;
  /** Settles on a second stop signal: no more waiting. */
  hurry: Promise<void>;
  /** Aborted once the listener has closed (the HTTP app's event streams end). */
  draining: AbortController;
  /** Resolves after `ms`; never settles once `signal` has aborted. Injected, so tests step time themselves. */
  after: (ms: number, signal: AbortSignal) => Promise<void>;
  say: (text: string) => void;
}

/**
 * The HTTP side of `serve` stopping, once `/readyz` answers 503: new connections are still taken for the delay (a load
 * balancer goes on sending some until it has heard that this instance is going, see src/config/http-drain.ts); then
 * chat is refused, the listener closes (a new connection is refused from then on) and the requests under way have
 * until the deadline to finish, their connections closed as each ends; whatever is still open then is closed. A second
 * stop signal (`hurry`) ends either wait at once.
 */
export async function stopHttp(options: StopHttpOptions): Promise<void> {
  const { listener, delaySeconds, deadlineSeconds, after, say } = options;
  const timers = new AbortController();
  const hurried = options.hurry.then(() => 'hurried' as const);
  try {
    if (delaySeconds > 0) await Promise.race([after(delaySeconds * 1000, timers.signal), hurried]);
    // A chat command still reaching this instance (on a connection a proxy keeps open) would start just as it goes,
    // its messages updated by an instance about to close: refused, it is sent again to another.
    await listener.refuseChat();
    const open = await listener.drain();
    options.draining.abort();
    say(
      open === 0
        ? 'HTTP has stopped listening; no request was under way.\n'
        : `HTTP has stopped listening; ${open} connection${open === 1 ? '' : 's'} with requests under way ` +
            `${open === 1 ? 'has' : 'have'} up to ${deadlineSeconds} s to finish.\n`,
    );
    const ended = await Promise.race([
      listener.drained.then(() => 'drained' as const),
      after(deadlineSeconds * 1000, timers.signal).then(() => 'deadline' as const),
      hurried,
    ]);
    const cut = await listener.close();
    if (cut > 0) {
      const when = ended === 'deadline' ? `at the drain deadline (${deadlineSeconds} s)` : 'on a second stop signal';
      say(`HTTP closed ${cut} connection${cut === 1 ? '' : 's'} still open ${when}.\n`);
    }
  } finally {
    timers.abort();
  }
}

/** `after` for a real process: a timer cleared when the signal aborts. */
export function realAfter(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}
