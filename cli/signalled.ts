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
