import { reasonOf } from '../../src/domain/reason-of.ts';
import { expireDueRequests } from './approvals.ts';
import type { ChatContext } from './chat-handler.ts';
import type { ChatAnnouncer, ChatMessage } from './chat-types.ts';

/**
 * While `serve` runs: every `everyMs` (15 s by default), restore requests nobody decided in time are marked expired
 * and their cards edited to say so, through the platform that posted each card. Without it a card would keep its
 * Approve button until someone clicked it and only then learn it had expired.
 */
export class ApprovalExpiry {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly chat: ChatContext,
    private readonly platforms: readonly ChatAnnouncer[],
    private readonly everyMs = 15_000,
  ) {}

  start(): void {
    if (this.platforms.length === 0) return;
    this.timer = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((error: unknown) => this.chat.engine.log(`expiring restore requests failed: ${reasonOf(error)}`));
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  /** Expires the requests due now and edits their cards; returns how many expired. */
  async tick(): Promise<number> {
    const expired = await expireDueRequests(this.chat, (reference, message) => this.edit(reference, message));
    return expired.length;
  }

  private async edit(reference: string, message: ChatMessage): Promise<void> {
    const platform = this.platforms.find((p) => p.owns(reference));
    if (!platform) throw new Error(`no chat platform configured posts cards like "${reference.slice(0, 12)}..."`);
    await platform.edit(reference, message);
  }
}
