import type { BackstopEvent } from '../../src/domain/events.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import { eventMessage } from '../../src/notify/event-message.ts';
import { withDeliveries } from '../../src/state/webhook-deliveries.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import type { ChannelBindings } from './channel-bindings.ts';
import type { ChatAnnouncer, ChatMessage } from './chat-types.ts';
import { mentionIn } from './mention.ts';
import { waitAtMost } from './wait-at-most.ts';

const CURSOR = 'chat-channels';

/** How long stopping waits for a tick under way: a pod's grace period must cover it. */
const stopWaitMs = 10_000;
/** Events a bound channel hears without asking: scheduled results, missed backups and drills, failed drills. */
export function isAnnounced(event: BackstopEvent): boolean {
  if (event.type === 'backup.missed' || event.type === 'drill.failed' || event.type === 'drill.missed') return true;
  return (event.type === 'backup.succeeded' || event.type === 'backup.failed') && event.data['trigger'] === 'scheduled';
}

/**
 * Posts scheduled backups' results and missed-backup alerts to the channels bound to their app. Events are taken
 * from the event log by advancing a shared cursor first (instances take turns on it), so each is announced by one
 * instance, at most once: a channel that cannot be reached is logged, not retried (webhooks are the durable path).
 */
export class ChannelAnnouncements {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: UseCaseContext,
    private readonly bindings: ChannelBindings,
    private readonly announcers: readonly ChatAnnouncer[],
    private readonly everyMs = 5000,
  ) {}

  /** Creates the cursor (a new install does not announce history), then checks every `everyMs`. */
  async start(): Promise<void> {
    if (this.announcers.length === 0) return;
    await withDeliveries(this.engine, (deliveries) => deliveries.lockCursor(CURSOR));
    this.timer = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((error: unknown) => {
          this.engine.log(`announcing to chat channels failed: ${reasonOf(error)}`);
        });
    }, this.everyMs);
  }

  /** Stops ticking; waits for a tick under way, at most `stopWaitMs` (a chat platform that does not answer). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await waitAtMost(this.ticking, stopWaitMs);
  }

  /** Announces the events recorded since the last tick; returns how many messages were posted. */
  async tick(): Promise<number> {
    const events = await withDeliveries(this.engine, async (deliveries) => {
      const after = await deliveries.lockCursor(CURSOR);
      const batch = await deliveries.eventsAfter(after, 200);
      if (batch.length > 0) await deliveries.advanceCursor(CURSOR, batch.at(-1)!.id);
      return batch;
    });
    let posted = 0;
    for (const event of events.filter(isAnnounced)) {
      if (event.app === null) continue;
      const message = chatMessageOf(event);
      for (const channel of this.bindings.channelsOf(event.app, event.env)) {
        const announcer = this.announcers.find((a) => channel.startsWith(a.channelPrefix));
        if (!announcer) continue;
        try {
          await announcer.post(channel.slice(announcer.channelPrefix.length), message);
          posted += 1;
        } catch (error) {
          this.engine.log(
            `could not announce ${event.type} of ${event.app}/${event.env} in ${channel}: ${reasonOf(error)}`,
          );
        }
      }
    }
    return posted;
  }
}

/** The event's message, with the people it names (who asked for a drill) written as mentions. */
function chatMessageOf(event: BackstopEvent): ChatMessage {
  const message = eventMessage(event);
  const people = message.people ?? [];
  return {
    outcome: message.severity === 'failure' ? 'failed' : 'ok',
    text: mentionIn(`*${message.title}*\n${message.summary}`, people),
    fields: message.fields.map((f) => ({ label: f.label, value: mentionIn(f.value, people) })),
  };
}
