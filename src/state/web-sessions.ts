import { randomBytes } from 'node:crypto';
import type { Principal } from '../domain/principal.ts';
import { hashSecret } from './api-tokens.ts';
import type { StateDb } from './state.ts';

/** A signed-in person of the web view, as a request sees them. */
export interface WebSession {
  principal: Extract<Principal, { kind: 'web' }>;
  /** What the page calls them. */
  name: string;
  /** The token every state-changing request of this session must send back (a form field or `X-CSRF-Token`). */
  csrf: string;
  expiresAt: Date;
}

/** Who a new session stands for. */
export interface SessionSubject {
  principal: string;
  also: readonly string[];
  name: string;
  configHolder: boolean;
}

/** The holder of the config, signed in with a link from `backstop web login`. */
export const configHolderId = 'web:config-holder';

/**
 * Web sessions and one-time sign-in links, shared by every `serve` of a fleet through the state. Secrets are random
 * (32 bytes), handed to the browser or the terminal once, and stored only as their sha256.
 */
export class WebSessions {
  constructor(
    private readonly db: StateDb,
    private readonly clock: () => Date,
  ) {}

  /** Opens a session for `subject` lasting `ttlSeconds`; returns the cookie's secret and the session. */
  async open(subject: SessionSubject, ttlSeconds: number): Promise<{ secret: string; session: WebSession }> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const csrf = randomBytes(24).toString('base64url');
    await this.db
      .insertInto('web_sessions')
      .values({
        secret_sha256: hashSecret(secret),
        principal: subject.principal,
        also: JSON.stringify(subject.also),
        name: subject.name,
        config_holder: subject.configHolder,
        csrf,
        created_at: now,
        expires_at: expiresAt,
        ended_at: null,
      })
      .execute();
    return { secret, session: toSession(subject, csrf, expiresAt) };
  }

  /** The live session whose cookie holds `secret`; undefined when unknown, expired or signed out. */
  async find(secret: string): Promise<WebSession | undefined> {
    const row = await this.db
      .selectFrom('web_sessions')
      .selectAll()
      .where('secret_sha256', '=', hashSecret(secret))
      .where('ended_at', 'is', null)
      .where('expires_at', '>', this.clock())
      .executeTakeFirst();
    if (!row) return undefined;
    const subject = {
      principal: row.principal,
      also: JSON.parse(row.also) as string[],
      name: row.name,
      configHolder: Boolean(row.config_holder),
    };
    return toSession(subject, row.csrf, new Date(row.expires_at));
  }

  /** Ends the session (sign-out). Ending an unknown or ended one does nothing. */
  async end(secret: string): Promise<void> {
    await this.db
      .updateTable('web_sessions')
      .set({ ended_at: this.clock() })
      .where('secret_sha256', '=', hashSecret(secret))
      .where('ended_at', 'is', null)
      .execute();
  }

  /** A one-time sign-in link's secret for the holder of the config, valid `ttlSeconds`. */
  async createSignInLink(ttlSeconds: number): Promise<{ secret: string; expiresAt: Date }> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await this.db
      .insertInto('web_sign_in_links')
      .values({
        secret_sha256: hashSecret(secret),
        principal: configHolderId,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return { secret, expiresAt };
  }

  /**
   * Uses up a sign-in link: true for the one request that redeems an unused, unexpired link (one update, so two
   * requests racing on the same link, on any instance, cannot both succeed).
   */
  async redeemSignInLink(secret: string): Promise<boolean> {
    const now = this.clock();
    const used = await this.db
      .updateTable('web_sign_in_links')
      .set({ used_at: now })
      .where('secret_sha256', '=', hashSecret(secret))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('secret_sha256')
      .executeTakeFirst();
    return used !== undefined;
  }
}

function toSession(subject: SessionSubject, csrf: string, expiresAt: Date): WebSession {
  return {
    principal: {
      kind: 'web',
      id: subject.principal,
      also: subject.also,
      ...(subject.configHolder && { configHolder: true }),
    },
    name: subject.name,
    csrf,
    expiresAt,
  };
}
