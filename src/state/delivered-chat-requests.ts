import type { StateDb } from './state.ts';

/** How often an instance deletes the records that expired: they are minutes old, so once a minute keeps few. */
const sweepEveryMs = 60_000;

/**
 * The chat requests whose work was started, by key, in the state database every `serve` instance shares: a signed
 * request replayed within its time window, or retried by the platform, runs once across the fleet. (The chat adapters'
 * DeliveredRequests; src does not import adapters, so it matches that port by shape.)
 */
export class DeliveredChatRequests {
  #lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: StateDb,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records each of `keys` until `expiresAt`, in one statement: `first` when none was recorded (or only expired
   * records), `replay` when any was. Of instances recording the same key at once, the primary key lets exactly one
   * insert it; the others wait for its transaction and then find it. Records that expired are deleted from time to
   * time; until then one is taken over as if absent, so the sweep's timing never decides an answer.
   */
  async recordDelivery(keys: readonly string[], expiresAt: Date): Promise<'first' | 'replay'> {
    const now = this.now();
    await this.#sweep(now);
    // In one order everywhere, so two statements sharing keys lock them in the same order and never deadlock.
    const unique = [...new Set(keys)].sort();
    if (unique.length === 0) return 'first';
    const recorded = await this.db
      .insertInto('delivered_chat_requests')
      .values(unique.map((key) => ({ key, expires_at: expiresAt })))
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ expires_at: expiresAt }).where('delivered_chat_requests.expires_at', '<=', now),
      )
      .returning('key')
      .execute();
    return recorded.length === unique.length ? 'first' : 'replay';
  }

  async #sweep(now: Date): Promise<void> {
    if (now.getTime() - this.#lastSweepMs < sweepEveryMs) return;
    this.#lastSweepMs = now.getTime();
    await this.db.deleteFrom('delivered_chat_requests').where('expires_at', '<=', now).execute();
  }
}
