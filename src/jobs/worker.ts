import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isBackstopError } from '../domain/backstop-error.ts';
import type { LeaseFence } from '../domain/lease-fence.ts';
import { type Log, withLogFields } from '../domain/log-context.ts';
import type { Operation } from '../domain/operation.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { Progress, ProgressListener } from '../sources/source.ts';
import type { OperationQueue } from './operation-queue.ts';
import { OperationStopped } from './operation-stopped.ts';
import { RetryLater } from './retry-later.ts';

/** How one kind of operation runs. Implementations: src/jobs/operation-runners.ts. */
export interface OperationRunner {
  /**
   * Runs the operation's subject to its end; throws on failure. Honours `signal` (its reason is an
   * OperationStopped), calls `fence` before recording success, records outcomes under `lease` (a `fenced` error once
   * another attempt took over), and leaves the subject's rows to the next attempt when `abandoned()`.
   */
  run(
    operation: Operation,
    options: {
      signal: AbortSignal;
      onProgress: ProgressListener;
      fence: () => Promise<void>;
      abandoned: () => boolean;
      /** The lease this attempt holds: name objects after its generation, record outcomes under it. */
      lease: LeaseFence;
    },
  ): Promise<void>;
  /** Before another attempt (or after a shutdown): removes what an unfinished attempt left, requeues the subject. */
  discard(operation: Operation): Promise<void>;
  /** The operation ended without running to its end (cancelled while queued, attempts used up): fail its subject. */
  abandon(operation: Operation, reason: string): Promise<void>;
}

export type OperationRunners = Readonly<Record<string, OperationRunner>>;

export interface WorkerOptions {
  queue: OperationQueue;
  runners: OperationRunners;
  /** Operations run side by side in this process. */
  concurrency: number;
  /** How long a claim holds without a heartbeat; another worker takes the operation over after that. */
  leaseMs: number;
  heartbeatMs: number;
  /** How often an idle worker looks for work (a `wake()` in this process looks at once). */
  pollMs: number;
  clock: () => Date;
  log: Log;
  /** Identifies this worker in the lease (default: host, pid and a random suffix). */
  owner?: string;
}

/**
 * Claims and runs operations from the queue until stopped: `concurrency` loops, each claiming one operation at a
 * time, holding it by heartbeat, recording progress, and recording the outcome. A cancel request stops the run (it
 * cleans up after itself); a lost lease or `stop()` gives the operation back for another attempt.
 */
export class Worker {
  readonly owner: string;
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Map<string, AbortController>();
  private stopping = false;
  /** Idle loops waiting for their next poll; `wake()` ends their wait. */
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: WorkerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  /**
   * Finishes the cancelled operations whose workers are gone (killed, or left with a second Ctrl-C): each ends
   * cancelled and what it wrote is removed. Returns how many.
   */
  async finishAbandonedCancellations(): Promise<number> {
    const taken = await this.options.queue.takeAbandonedCancellations(this.options.clock());
    for (const operation of taken) {
      this.options.log(`operation ${operation.id} ${operation.error}: removing what it wrote`);
      await this.options.runners[operation.kind]?.abandon(operation, operation.error ?? 'cancelled');
    }
    return taken.length;
  }

  /** Stops the run of an operation in this process now, as a cancel heard at its next heartbeat would. */
  stopRunning(id: string, by: string): void {
    const controller = this.running.get(id);
    if (controller && !controller.signal.aborted)
      controller.abort(new OperationStopped('cancelled', `cancelled by ${by}`));
  }

  /** Lets this worker's lease on `id` run out now (see OperationQueue.expireLease). */
  expireLease(id: string): Promise<boolean> {
    return this.options.queue.expireLease(id, this.owner, this.options.clock());
  }

  /** New work was queued in this process: look now instead of at the next poll. */
  wake(): void {
    for (const sleeper of [...this.sleepers]) sleeper();
  }

  /**
   * Claims nothing more; the operations running go on (a process that stops lets them run while it drains its HTTP
   * connections, then calls `stop`).
   */
  stopClaiming(): void {
    this.stopping = true;
    this.wake();
  }

  /**
   * Stops claiming, stops running operations and gives them back to the queue (after removing their partial
   * objects), and resolves when every loop has ended.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const controller of this.running.values()) {
      controller.abort(new OperationStopped('shutdown', 'Backstop is shutting down; the operation will run again.'));
    }
    this.wake();
    await Promise.all(this.loops);
  }

  /**
   * Claims and runs one operation (only `only.id` or only one of `only.target`, if given); false when there was none
   * to claim.
   */
  async runOnce(only: { id?: string; target?: string } = {}): Promise<boolean> {
    const claim = await this.options.queue.claim(this.owner, this.options.leaseMs, this.options.clock(), {
      kinds: Object.keys(this.options.runners),
      ...(only.id !== undefined && { onlyId: only.id }),
      ...(only.target !== undefined && { onlyTarget: only.target }),
    });
    if (!claim) return false;
    // Every line logged while this operation is handled, however deep, names it and its target.
    const fields = { operationId: claim.operation.id, target: claim.operation.target ?? undefined };
    await withLogFields(fields, () => this.handle(claim));
    return true;
  }

  private async handle(claim: { operation: Operation; exhausted: boolean }): Promise<void> {
    const runner = this.options.runners[claim.operation.kind]!;
    if (claim.exhausted) {
      this.options.log(
        `operation ${claim.operation.id} ended ${claim.operation.status}: ${claim.operation.error}`,
        'error',
      );
      await runner.abandon(claim.operation, claim.operation.error ?? 'abandoned');
      return;
    }
    // A later attempt without a planned retry time is one whose previous worker vanished.
    if (claim.operation.attempts > 1 && claim.operation.runAfter === null) {
      this.options.log(
        `operation ${claim.operation.id} (${claim.operation.kind} ${claim.operation.subjectId}) taken over: ` +
          `attempt ${claim.operation.attempts} of ${claim.operation.maxAttempts}, after its previous worker stopped responding`,
        'warn',
      );
    }
    await this.execute(claim.operation, runner);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
      } catch (error) {
        this.options.log(`worker ${this.owner}: ${reasonOf(error)}`, 'error');
      }
      if (!worked && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.sleepers.add(done);
    });
  }

  private async execute(operation: Operation, runner: OperationRunner): Promise<void> {
    const { queue, clock, leaseMs, log } = this.options;
    const controller = new AbortController();
    this.running.set(operation.id, controller);
    const phases = new Map<string, Progress>();
    let lastHeld = clock().getTime();
    const stop = (cause: OperationStopped) => {
      if (!controller.signal.aborted) controller.abort(cause);
    };
    const beat = async (): Promise<boolean> => {
      const now = clock();
      try {
        // A heartbeat the state never answers (a partition loses packets, nothing fails) counts as failed after a
        // quarter of the lease, so that the worker stops the run before its lease has run out.
        const result = await withinMs(
          queue.heartbeat(operation.id, this.owner, leaseMs, now, summarise(phases)),
          leaseMs / 4,
          'the state did not answer the heartbeat',
        );
        if (!result.held) {
          stop(new OperationStopped('lease-lost', `operation ${operation.id} was taken over by another worker`));
          return false;
        }
        lastHeld = now.getTime();
        if (result.cancelRequestedBy !== null) {
          stop(new OperationStopped('cancelled', `cancelled by ${result.cancelRequestedBy}`));
        }
        return true;
      } catch (error) {
        log(`operation ${operation.id}: heartbeat failed: ${reasonOf(error)}`, 'warn');
        // Without a heartbeat the lease runs out and another worker may start: stop before that happens.
        if (clock().getTime() - lastHeld > leaseMs * 0.6) {
          stop(new OperationStopped('lease-lost', `operation ${operation.id} lost its lease (state unreachable)`));
        }
        return false;
      }
    };
    let beating = Promise.resolve(true);
    const timer = setInterval(() => {
      beating = beating.then(beat);
    }, this.options.heartbeatMs);
    const stoppedBy = () =>
      controller.signal.reason instanceof OperationStopped ? controller.signal.reason : undefined;
    try {
      if (operation.attempts > 1 || operation.leaseGeneration > 1) await runner.discard(operation);
      await runner.run(operation, {
        signal: controller.signal,
        onProgress: (progress) => phases.set(progress.phase, progress),
        fence: async () => {
          if (!(await beat()))
            throw stoppedBy() ?? new OperationStopped('lease-lost', 'the lease could not be renewed');
        },
        abandoned: () => stoppedBy()?.givesBack === true,
        lease: { operationId: operation.id, generation: operation.leaseGeneration },
      });
      clearInterval(timer);
      await beating;
      if (!(await queue.finish(operation.id, this.owner, { status: 'succeeded' }, clock()))) {
        log(`operation ${operation.id} succeeded, but another worker had taken it over`);
      }
    } catch (error) {
      clearInterval(timer);
      await beating;
      const stopped = stoppedBy();
      if (stopped?.stopCause === 'lease-lost' || isBackstopError(error, 'fenced')) {
        log(`operation ${operation.id}: ${stopped?.message ?? reasonOf(error)}; left to it`, 'warn');
      } else if (stopped?.stopCause === 'shutdown') {
        await runner.discard(operation).catch((e) => log(`operation ${operation.id}: cleanup failed: ${reasonOf(e)}`));
        await queue.release(operation.id, this.owner);
        log(`operation ${operation.id} given back to the queue (shutting down)`);
      } else if (stopped?.stopCause === 'cancelled') {
        await queue.finish(operation.id, this.owner, { status: 'cancelled', error: stopped.message }, clock());
        log(`operation ${operation.id} ${stopped.message}`);
      } else if (error instanceof RetryLater && operation.attempts < operation.maxAttempts) {
        const runAfter = new Date(clock().getTime() + error.delayMs);
        await queue.retryLater(operation.id, this.owner, runAfter, error.message);
        log(
          `operation ${operation.id}: ${error.message}; attempt ${operation.attempts + 1} at ${runAfter.toISOString()}`,
        );
      } else {
        await queue.finish(operation.id, this.owner, { status: 'failed', error: reasonOf(error) }, clock());
        log(`operation ${operation.id} failed: ${reasonOf(error)}`, 'error');
      }
    } finally {
      clearInterval(timer);
      this.running.delete(operation.id);
    }
  }
}

/** One line of progress for the operation's row: phases joined, bytes summed. */
function summarise(
  phases: Map<string, Progress>,
): { phase: string; bytesDone: number; bytesExpected: number | null } | undefined {
  if (phases.size === 0) return undefined;
  const all = [...phases.values()];
  const known = all.every((p) => p.bytesExpected !== undefined);
  return {
    phase: [...phases.keys()].join(', '),
    bytesDone: all.reduce((sum, p) => sum + p.bytesDone, 0),
    bytesExpected: known ? all.reduce((sum, p) => sum + (p.bytesExpected ?? 0), 0) : null,
  };
}

/** `promise`, or a rejection with `what` once `ms` have passed (the promise's own outcome is then ignored). */
function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms)} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
