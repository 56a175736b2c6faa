/** Resolves on the first SIGINT or SIGTERM (then stops listening for them, so a second Ctrl-C ends the process). */
export function signalled(): Promise<void> {
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

/** A request to stop, and a second one: stop waiting (for connections to drain) and close at once. */
export interface StopRequests {
  stop: Promise<void>;
  again: Promise<void>;
}

/**
 * SIGINT or SIGTERM: the first resolves `stop`, the second `again`; then they are no longer listened for, so a third
 * ends the process as it would without Backstop (for a stop that hangs).
 */
export function stopSignals(): StopRequests {
  let heard = 0;
  let stop: () => void = () => {};
  let again: () => void = () => {};
  const requests = {
    stop: new Promise<void>((resolve) => {
      stop = resolve;
    }),
    again: new Promise<void>((resolve) => {
      again = resolve;
    }),
  };
  const signal = () => {
    heard += 1;
    if (heard === 1) {
      stop();
      return;
    }
    process.off('SIGINT', signal);
    process.off('SIGTERM', signal);
    again();
  };
  process.on('SIGINT', signal);
  process.on('SIGTERM', signal);
  return requests;
}
