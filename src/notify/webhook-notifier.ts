import { reasonOf } from '../domain/reason-of.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import { previousUtcDay } from '../state/webhook-deliveries.ts';
import { type DispatchedEndpoint, dispatchEvents, enqueueDigests } from './webhook-dispatcher.ts';

export interface WebhookNotifierOptions {
  /** How often new events are turned into deliveries (default 2 s). */
  dispatchEveryMs?: number;
  /** How long after midnight UTC the day that ended gets its digest (default 5 min: late events are in by then). */
  digestDelayMs?: number;
}

/**
 * The notification loop of `serve` (webhooks and email alerts, both deliveries): every `dispatchEveryMs` it turns
 * new events into deliveries (`dispatchEvents`), and once a day, shortly after midnight UTC, it queues yesterday's
 * digests (`enqueueDigests`; also on start, so a digest missed while no instance ran is caught up). Any number of
 * instances may run it: both are exactly-once. The deliveries themselves run in workers (the `delivery` runner). Failures are logged, never thrown.
 */
export class WebhookNotifier {
  private readonly dispatchEveryMs: number;
  private readonly digestDelayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastDigestDay: string | undefined;

  constructor(
    private readonly ctx: JobsContext,
    private readonly endpoints: readonly DispatchedEndpoint[],
    options: WebhookNotifierOptions = {},
  ) {
    this.dispatchEveryMs = options.dispatchEveryMs ?? 2000;
    this.digestDelayMs = options.digestDelayMs ?? 5 * 60 * 1000;
  }

  /** Runs the first round now (so the event cursor exists before this process's workers record events), then polls. */
  async start(): Promise<void> {
    if (this.timer !== undefined || this.endpoints.length === 0) return;
    await this.tick();
    this.timer = setInterval(() => {
      if (this.ticking === undefined) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.dispatchEveryMs);
  }

  /** Stops polling and waits for a round under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** One round: new events to deliveries, and the digest of the day that ended, once it is due. */
  async tick(now: Date = this.ctx.clock()): Promise<void> {
    try {
      await dispatchEvents(this.ctx, this.endpoints, now);
    } catch (error) {
      this.ctx.log(`webhooks: could not dispatch new events: ${reasonOf(error)}`);
    }
    if (!this.endpoints.some((e) => e.success === 'digest')) return;
    const day = previousUtcDay(new Date(now.getTime() - this.digestDelayMs));
    if (day === this.lastDigestDay) return;
    try {
      const queued = await enqueueDigests(this.ctx, this.endpoints, day, now);
      this.lastDigestDay = day;
      if (queued > 0) this.ctx.log(`webhooks: queued ${queued} digest${queued === 1 ? '' : 's'} of ${day}`);
    } catch (error) {
      this.ctx.log(`webhooks: could not queue the digests of ${day}: ${reasonOf(error)}`);
    }
  }
}
