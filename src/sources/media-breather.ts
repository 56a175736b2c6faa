import { setImmediate } from 'node:timers/promises';

/** How long synchronous file work may hold the event loop before letting timers and sockets run. */
const SLICE_MS = 10;

/**
 * Small-file syscalls are done synchronously: a round trip through libuv's thread pool costs several times the
 * open/stat/read/close itself (20,000 small files: ~0.5 s synchronously, ~2-4 s asynchronously on the project's
 * machines). The returned function, awaited after each file, gives the event loop a turn every SLICE_MS, so
 * heartbeats, progress and HTTP requests still run during a backup or restore.
 */
export function createBreather(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < SLICE_MS) return;
    await setImmediate();
    since = performance.now();
  };
}
