import type { Operation } from '../domain/operation.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { ProgressListener } from '../sources/source.ts';
import type { JobsContext } from './jobs-context.ts';
import type { Worker } from './worker.ts';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Follows an operation until it has ended and resolves to it as it ended, reporting its recorded progress on the
 * way (`onProgress`: the phase and bytes while it runs; `onChange`: the row whenever its status, attempt, phase or
 * bytes differ from the last one seen, the row it ended with included). With `runHere`, this process also offers to run it: whichever worker claims it first runs it (the CLI holding
 * the state itself has no other worker; with a shared database a running `backstop worker` may be first). With
 * `signal`, stops following when aborted (the operation goes on) and rejects with the abort reason.
 */
export async function followOperation(
  ctx: JobsContext,
  operation: Operation,
  options: {
    onProgress?: ProgressListener;
    onChange?: (operation: Operation) => void;
    /** Told once per operation found ahead of this one in its lane while this one waits its turn. */
    onWaiting?: (ahead: Operation) => void;
    /** Told once the operation it waited for is no longer ahead, with that operation as it is then. */
    onWaited?: (ahead: Operation) => void;
    runHere?: Worker;
    pollMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<Operation> {
  const pollMs = options.pollMs ?? 500;
  let runningHere: Promise<unknown> | undefined;
  let seen: string | undefined;
  let waitingFor: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const current = await ctx.operations.get(operation.id);
    const state = JSON.stringify([
      current.status,
      current.attempts,
      current.phase,
      current.bytesDone,
      current.bytesExpected,
    ]);
    if (options.onChange && state !== seen) options.onChange(current);
    seen = state;
    if (FINISHED.has(current.status)) {
      await runningHere;
      return current;
    }
    const abandoned = current.status === 'running' && (current.leaseExpiresAt?.getTime() ?? 0) < ctx.clock().getTime();
    if (options.runHere && runningHere === undefined && (current.status === 'queued' || abandoned)) {
      const worker = options.runHere;
      // Its own operation, else the one of its target that must run first (nothing else may run it here). When
      // neither is runnable yet (its target is busy in another process), the next poll tries again.
      runningHere = worker
        .runOnce({ id: operation.id })
        .then((ran) => ran || (operation.target !== null && worker.runOnce({ target: operation.target })))
        .catch((error: unknown) => ctx.log(`operation ${operation.id}: ${reasonOf(error)}`))
        .finally(() => {
          runningHere = undefined;
        });
    }
    if (current.target !== null && (options.onWaiting || options.onWaited)) {
      const ahead = current.status === 'queued' ? await operationAhead(ctx, current) : undefined;
      if (waitingFor !== undefined && ahead?.id !== waitingFor)
        options.onWaited?.(await ctx.operations.get(waitingFor));
      if (ahead !== undefined && ahead.id !== waitingFor) options.onWaiting?.(ahead);
      waitingFor = ahead?.id;
    }
    if (current.status === 'queued' && current.attempts > 0 && current.runAfter !== null && options.onProgress) {
      // An attempt failed with an error that may pass: say so while the next one waits its turn.
      options.onProgress({
        phase: `attempt ${current.attempts} failed; trying again at ${current.runAfter.toISOString()}`,
        bytesDone: 0,
      });
    }
    if (current.status === 'running' && current.phase !== null && options.onProgress) {
      options.onProgress({
        phase: current.phase,
        bytesDone: current.bytesDone,
        ...(current.bytesExpected !== null && { bytesExpected: current.bytesExpected }),
      });
    }
    await sleep(pollMs, options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** The operation that runs before `operation` in its lane (the running one, else the first queued before it). */
async function operationAhead(ctx: JobsContext, operation: Operation): Promise<Operation | undefined> {
  const lane = await ctx.operations.listActive({ target: operation.target! });
  const before = lane.slice(
    0,
    lane.findIndex((other) => other.id === operation.id),
  );
  return before.find((other) => other.status === 'running') ?? before[0];
}
