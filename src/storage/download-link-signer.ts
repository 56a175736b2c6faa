import { createHmac, timingSafeEqual } from 'node:crypto';
import { BackstopError } from '../domain/backstop-error.ts';

export interface DownloadLinkSignerOptions {
  /** Where Backstop's HTTP server is reached from outside, e.g. "https://backstop.example.com". */
  publicUrl: string;
  /** HMAC key; anyone holding it can mint links to any object. At least 32 characters. */
  secret: string;
  now?: () => Date;
}

/** What a valid token grants: the object to serve and the name to offer the browser. */
export interface DownloadGrant {
  key: string;
  filename?: string;
}

interface TokenPayload {
  k: string;
  e: number;
  f?: string;
}

const MIN_SECRET_LENGTH = 32;

/**
 * Makes and checks the expiring download links of stores that have no link mechanism of their own (the directory
 * store): `${publicUrl}/downloads/<token>`, served by Backstop's HTTP route. The token is
 * base64url(JSON { k: key, e: expiry in epoch seconds, f?: filename }) + "." + base64url(HMAC-SHA256 of the first
 * part), so the server needs no state to honour it and nobody without the secret can forge or alter one.
 */
export class DownloadLinkSigner {
  readonly #baseUrl: string;
  readonly #secret: string;
  readonly #now: () => Date;

  constructor(options: DownloadLinkSignerOptions) {
    if (!URL.canParse(options.publicUrl) || !/^https?:$/.test(new URL(options.publicUrl).protocol)) {
      throw new BackstopError('bad-config', `download links need an http(s) public URL, got ${options.publicUrl}`);
    }
    if (options.secret.length < MIN_SECRET_LENGTH) {
      throw new BackstopError(
        'bad-config',
        `the download link secret must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
      );
    }
    this.#baseUrl = `${options.publicUrl.replace(/\/+$/, '')}/downloads/`;
    this.#secret = options.secret;
    this.#now = options.now ?? (() => new Date());
  }

  /** A URL that grants `key` (offered as `filename`) until `ttlSeconds` from now have passed. */
  sign(key: string, ttlSeconds: number, filename?: string): string {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new BackstopError(
        'bad-ttl',
        `a link lifetime must be a positive whole number of seconds, got ${ttlSeconds}`,
      );
    }
    // Rounded up, so a link lives at least `ttlSeconds`, never a fraction of a second less.
    const expiresAt = Math.ceil(this.#now().getTime() / 1000 + ttlSeconds);
    const payload: TokenPayload =
      filename === undefined ? { k: key, e: expiresAt } : { k: key, e: expiresAt, f: filename };
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${this.#baseUrl}${encoded}.${this.#mac(encoded)}`;
  }

  /** What `token` (the last path segment of a link) grants; throws `link-invalid` or `link-expired` otherwise. */
  verify(token: string): DownloadGrant {
    const [encoded, mac, ...rest] = token.split('.');
    if (encoded === undefined || mac === undefined || rest.length > 0 || !this.#macMatches(encoded, mac)) {
      throw invalid('its signature does not match');
    }
    const payload = parsePayload(encoded);
    if (this.#now().getTime() >= payload.e * 1000) {
      throw new BackstopError(
        'link-expired',
        `download link for ${payload.k} expired at ${new Date(payload.e * 1000).toISOString()}`,
        {
          userMessage: 'This download link has expired. Ask for the download again to get a new link.',
        },
      );
    }
    return payload.f === undefined ? { key: payload.k } : { key: payload.k, filename: payload.f };
  }

  #mac(encoded: string): string {
    return createHmac('sha256', this.#secret).update(encoded).digest('base64url');
  }

  /**
   * Compares the MAC's text, not its decoded bytes: base64url decoding ignores stray characters and unused low
   * bits, so several spellings decode alike, and only the one we produce may pass. Constant time, so response timing
   * does not reveal how much of a forged MAC was right.
   */
  #macMatches(encoded: string, mac: string): boolean {
    const expected = Buffer.from(this.#mac(encoded));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The payload of a token whose MAC matched: only a bug or a leaked secret could make it malformed. */
function parsePayload(encoded: string): TokenPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid('its payload is not JSON', error);
  }
  const { k, e, f } = (payload ?? {}) as Partial<Record<keyof TokenPayload, unknown>>;
  if (typeof k !== 'string' || !Number.isInteger(e) || (f !== undefined && typeof f !== 'string')) {
    throw invalid('its payload lacks a key or an expiry');
  }
  return { k, e: e as number, ...(f === undefined ? {} : { f }) };
}

function invalid(reason: string, cause?: unknown): BackstopError {
  return new BackstopError('link-invalid', `download link rejected: ${reason}`, {
    userMessage: 'This download link is not valid.',
    cause,
  });
}
