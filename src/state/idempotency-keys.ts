import type { StateDb } from './state.ts';

/** How long a request's answer is kept for its retries. */
const answerKeptMs = 24 * 3600 * 1000;
/**
 * How long a claim waits for its request's answer before another request may take the key over: far longer than any
 * API request takes (they queue work and answer), short enough that a process that died mid-request frees the key.
 */
const claimKeptMs = 60 * 1000;
const sweepEveryMs = 60 * 1000;

/** What `claim` found for a key. */
export type KeyClaim =
  /** The key is this request's now: handle it, then `answer` or `release`. */
  | { kind: 'first' }
  /** A request with the same key and fingerprint was answered: send that answer again. */
  | { kind: 'answered'; status: number; location: string | null; body: string }
  /** A request with the same key and fingerprint is being handled right now. */
  | { kind: 'in-progress' }
  /** The key was used for a request with another fingerprint. */
  | { kind: 'other-request' };

export interface StoredAnswer {
  status: number;
  location: string | null;
  /** The answer's JSON text. */
  body: string;
}

/**
 * The API's idempotency keys, in the state database every `serve` instance shares: a request retried with the same
 * `Idempotency-Key` by the same principal, to any instance, within a day, is answered as the first one was instead of
 * being done again. Contract: `claim` gives `first` to exactly one of any number of concurrent claims of a key; the
 * holder then calls `answer` (the answer is kept for a day) or `release` (the key is free again, for an answer not
 * worth repeating, such as a refusal). Expired rows are deleted from time to time; until then one is taken over as if
 * absent, so the sweep's timing never decides an answer.
 */
export class IdempotencyKeys {
  #lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: StateDb,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(principal: string, key: string, fingerprint: string): Promise<KeyClaim> {
    const now = this.now();
    await this.#sweep(now);
    const claimed = {
      fingerprint,
      status: null,
      location: null,
      body: null,
      created_at: now,
      expires_at: new Date(now.getTime() + claimKeptMs),
    };
    // A row deleted between the insert that found it and the select that reads it is simply claimed again.
    for (;;) {
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({ principal, key, ...claimed })
        .onConflict((oc) =>
          oc.columns(['principal', 'key']).doUpdateSet(claimed).where('idempotency_keys.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { kind: 'first' };
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'status', 'location', 'body'])
        .where('principal', '=', principal)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { kind: 'other-request' };
      if (row.status === null || row.body === null) return { kind: 'in-progress' };
      return { kind: 'answered', status: row.status, location: row.location, body: row.body };
    }
  }

  /** Keeps the answer to the request that claimed the key, for its retries. */
  async answer(principal: string, key: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    const now = this.now();
    await this.db
      .updateTable('idempotency_keys')
      .set({ ...answer, expires_at: new Date(now.getTime() + answerKeptMs) })
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where('fingerprint', '=', fingerprint)
      .where('status', 'is', null)
      .execute();
  }

  /** Frees a key its request claimed but whose answer is not to be repeated. */
  async release(principal: string, key: string, fingerprint: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where('fingerprint', '=', fingerprint)
      .where('status', 'is', null)
      .execute();
  }

  async #sweep(now: Date): Promise<void> {
    if (now.getTime() - this.#lastSweepMs < sweepEveryMs) return;
    this.#lastSweepMs = now.getTime();
    await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).execute();
  }
}
