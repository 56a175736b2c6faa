import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { AccessPolicy } from '../../access/access-policy.ts';
import { admitSignIn, type SignedInPerson, type SignInPolicy } from '../../access/web-sign-in.ts';
import type { SignInAttempts } from '../../state/sign-in-attempts.ts';

/** The `web.oidc` settings, with defaults applied. */
export interface OidcSettings extends SignInPolicy {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
  scopes: readonly string[];
}

/** How long the provider's discovery and token requests may take. */
const requestTimeoutSeconds = 10;
/** How long a started sign-in may take the person at the provider. */
const attemptTtlSeconds = 10 * 60;

/**
 * Sign-in with an OpenID Connect provider (authorization code flow with PKCE, state and nonce). The provider's
 * metadata is discovered on first use, with a timeout, and again after a failure. A started sign-in is kept in the
 * state, so the provider may send the person back to any instance of the fleet, and is used once.
 */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    readonly settings: OidcSettings,
    private readonly attempts: SignInAttempts,
    private readonly access: AccessPolicy,
  ) {}

  /** Where to send the browser to sign in, and the attempt id its cookie must bring back. */
  async start(redirectUri: string): Promise<{ url: URL; attempt: string }> {
    const config = await this.discovered();
    const verifier = client.randomPKCECodeVerifier();
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    await this.attempts.start({ state, nonce, verifier, redirectUri }, attemptTtlSeconds);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, attempt: state };
  }

  /**
   * Completes a sign-in the provider redirected back to `callbackUrl` (the full URL, with code and state), for the
   * browser whose cookie holds `attempt`. Answers who signed in, or why nobody did.
   */
  async finish(
    callbackUrl: URL,
    attempt: string | undefined,
  ): Promise<{ admitted: SignedInPerson } | { refused: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (state === null || attempt === undefined || state !== attempt) {
      return { refused: 'This sign-in was not started in this browser (or it was started twice): start it again.' };
    }
    const started = await this.attempts.take(state);
    if (!started) return { refused: 'This sign-in took too long or was used already: start it again.' };
    const error = callbackUrl.searchParams.get('error');
    if (error !== null) {
      return {
        refused: `The provider did not sign you in (${callbackUrl.searchParams.get('error_description') ?? error}).`,
      };
    }
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(await this.discovered(), callbackUrl, {
        pkceCodeVerifier: started.verifier,
        expectedState: state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims() as Record<string, unknown> | undefined;
    } catch (cause) {
      return { refused: `The sign-in could not be completed with the provider: ${(cause as Error).message}.` };
    }
    if (!claims) return { refused: 'The provider sent no ID token.' };
    return admitSignIn(claims, this.settings, this.access);
  }

  private discovered(): Promise<client.Configuration> {
    this.configuration ??= client
      .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined, {
        timeout: requestTimeoutSeconds,
        // Plain http only for a provider on this machine (a local test provider); anything else must be https.
        ...(isLoopbackHttp(this.settings.issuer) && { execute: [client.allowInsecureRequests] }),
      })
      .catch((cause: unknown) => {
        this.configuration = undefined;
        throw new Error(`the sign-in provider ${this.settings.issuer} did not answer: ${(cause as Error).message}`);
      });
    return this.configuration;
  }
}

function isLoopbackHttp(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}
