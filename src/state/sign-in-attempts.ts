import { hashSecret } from './api-tokens.ts';
import type { StateDb } from './state.ts';

/** A sign-in started with the provider: what its answer must match. */
export interface SignInAttempt {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/**
 * Sign-ins started with an OpenID Connect provider and not yet finished, shared by the fleet through the state (the
 * provider may send the person back to another instance). Known by the sha256 of their `state`; each is taken once.
 */
export class SignInAttempts {
  constructor(
    private readonly db: StateDb,
    private readonly clock: () => Date,
  ) {}

  async start(attempt: SignInAttempt, ttlSeconds: number): Promise<void> {
    const now = this.clock();
    await this.db.deleteFrom('web_sign_in_attempts').where('expires_at', '<=', now).execute();
    await this.db
      .insertInto('web_sign_in_attempts')
      .values({
        state_sha256: hashSecret(attempt.state),
        nonce: attempt.nonce,
        verifier: attempt.verifier,
        redirect_uri: attempt.redirectUri,
        created_at: now,
        expires_at: new Date(now.getTime() + ttlSeconds * 1000),
      })
      .execute();
  }

  /** The unexpired attempt with this `state`, removed so that it cannot be finished twice; undefined otherwise. */
  async take(state: string): Promise<SignInAttempt | undefined> {
    const row = await this.db
      .deleteFrom('web_sign_in_attempts')
      .where('state_sha256', '=', hashSecret(state))
      .where('expires_at', '>', this.clock())
      .returningAll()
      .executeTakeFirst();
    return row ? { state, nonce: row.nonce, verifier: row.verifier, redirectUri: row.redirect_uri } : undefined;
  }
}
