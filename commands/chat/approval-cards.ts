import { reasonOf } from '../../src/domain/reason-of.ts';
import { expireRestoreRequests } from '../../src/use-cases/decide-restore-request.ts';
import { postCards, showOnCards } from './approvals.ts';
import type { ChatContext } from './chat-handler.ts';
import type { ChatAnnouncer, ChatMessage } from './chat-types.ts';
import { waitAtMost } from './wait-at-most.ts';

/** How long stopping waits for a tick under way: a pod's grace period must cover it. */
const stopWaitMs = 10_000;
/**
 * While `serve` runs with chat: every `everyMs` (5 s by default) the restore requests' cards are kept true to the
 * requests, whichever surface acted on them. Requests nobody decided in time are marked expired; requests opened
 * where no card was posted (the API, the web view) get their cards in the channels bound to their destination; and
 * cards of requests decided elsewhere, expired, or whose approved restore ended, are edited to say so. Each of these
 * is claimed in the state first, so with several instances each card is posted or edited once.
 */
export class ApprovalCards {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly chat: ChatContext,
    private readonly platforms: readonly ChatAnnouncer[],
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    if (this.platforms.length === 0) return;
    this.timer = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((error: unknown) => this.chat.engine.log(`updating restore request cards failed: ${reasonOf(error)}`));
    }, this.everyMs);
  }

  /** Stops ticking; waits for a tick under way, at most `stopWaitMs` (a chat platform that does not answer). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await waitAtMost(this.ticking, stopWaitMs);
  }

  /** Expires what is due, posts new cards and edits cards that are behind; returns how many requests it showed. */
  async tick(): Promise<number> {
    const { engine } = this.chat;
    await expireRestoreRequests(engine);
    let shown = 0;
    for (const request of await engine.requests.claimCardPosting()) {
      if ((await postCards(this.chat, request, this.platforms)) > 0) shown += 1;
    }
    for (const request of await engine.requests.withCardsBehind()) {
      if (await showOnCards(this.chat, request, (reference, message) => this.edit(reference, message))) shown += 1;
    }
    return shown;
  }

  private async edit(reference: string, message: ChatMessage): Promise<void> {
    const platform = this.platforms.find((p) => p.owns(reference));
    if (!platform) throw new Error(`no chat platform configured posts cards like "${reference.slice(0, 12)}..."`);
    await platform.edit(reference, message);
  }
}
