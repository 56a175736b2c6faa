import type { Operation } from '../../domain/operation.ts';
import { reasonOf } from '../../domain/reason-of.ts';
import { operationJson } from '../../use-cases/json-shapes.ts';
import { appOfOperation } from '../../use-cases/operations.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';

/** An operation that changed, with the app it works for (see appOfOperation). */
export interface OperationChange {
  operation: Operation;
  app: string | null;
}

/** How long a finished operation is still looked at, so one that ended between two looks is reported once. */
const finishedWindowMs = 60_000;

/**
 * Watches the operation queue for the event streams of this process: while anyone listens, it reads the active and
 * the recently finished operations every `everyMs` and hands each listener the operations that changed since the last
 * look (status, phase, bytes); the first look after it starts reports all it finds. One reader for every stream, so
 * a hundred open pages cost what one does. The queue is the state every instance shares, so work run by any worker of
 * the fleet is seen. A listener may be told of an operation it already knows as it is: changes are states, not
 * deltas.
 */
export class OperationWatch {
  readonly #listeners = new Set<(changes: OperationChange[]) => void>();
  /** What each operation looked like at the last look, as JSON. */
  readonly #seen = new Map<string, string>();
  readonly #apps = new Map<string, string | null>();
  #timer: NodeJS.Timeout | undefined;
  #looking = false;

  constructor(
    private readonly ctx: UseCaseContext,
    private readonly everyMs = 500,
  ) {}

  /** Calls `listener` with each batch of changes until the returned function is called. */
  subscribe(listener: (changes: OperationChange[]) => void): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.look(), this.everyMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#seen.clear();
      }
    };
  }

  /** One look at the queue (the timer's; exposed for tests that step it). */
  async look(): Promise<void> {
    if (this.#looking) return;
    this.#looking = true;
    try {
      const since = this.ctx.clock().getTime() - finishedWindowMs;
      const operations = [
        ...(await this.ctx.operations.listActive()),
        ...(await this.ctx.operations.listFinished(100)).filter((o) => (o.finishedAt?.getTime() ?? 0) >= since),
      ];
      const changes: OperationChange[] = [];
      const present = new Set<string>();
      for (const operation of operations) {
        present.add(operation.id);
        const shape = JSON.stringify(operationJson(operation));
        if (this.#seen.get(operation.id) === shape) continue;
        this.#seen.set(operation.id, shape);
        changes.push({ operation, app: await this.#appOf(operation) });
      }
      for (const id of this.#seen.keys()) {
        if (!present.has(id)) {
          this.#seen.delete(id);
          this.#apps.delete(id);
        }
      }
      if (changes.length > 0) for (const listener of this.#listeners) listener(changes);
    } catch (error) {
      this.ctx.log(`event stream: reading the operations failed: ${reasonOf(error)}`);
    } finally {
      this.#looking = false;
    }
  }

  async #appOf(operation: Operation): Promise<string | null> {
    if (!this.#apps.has(operation.id)) this.#apps.set(operation.id, await appOfOperation(this.ctx, operation));
    return this.#apps.get(operation.id) ?? null;
  }
}
