import type { ChatAnnouncer } from '../../commands/chat/chat-types.ts';

/**
 * What the HTTP front answers to a chat platform's request, decided from the request alone (signature, parsing, the
 * protocol's fixed replies), and what it hands to the main thread to do afterwards. Everything here crosses a
 * worker-thread boundary, so it must be structured-cloneable: plain data, no functions.
 */
export interface Acknowledgement<Delivery> {
  status: number;
  /** The response body as JSON; none means an empty body. */
  json?: unknown;
  /** Handed to the platform's adapter once the response has been sent (never before: Discord's deferred reply must exist before it is edited). */
  delivery?: Delivery;
  /** Why the request was refused, for the log only (never told to the sender). */
  refused?: string;
}

/** A chat platform's request as the front reads it: the raw body (signatures cover its bytes) and the headers. */
export interface RawChatRequest {
  rawBody: Buffer;
  /** Header names in lower case, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
}

/** Which platform answers a chat path, and the secret the front needs to check its requests. */
export type AcknowledgerSettings =
  | { platform: 'slack'; signingSecret: string }
  | { platform: 'discord'; publicKey: string };

/**
 * A chat platform's endpoint as the front serves it: `path` is acknowledged on the front's own thread with the
 * platform's settings; `deliver` runs on the main thread with each acknowledged request's delivery and must not throw
 * (the work it starts reports its own failures).
 */
export interface ChatEndpoint {
  path: string;
  settings: AcknowledgerSettings;
  deliver(delivery: unknown): void;
}

/**
 * What a chat adapter gives `serve`: its endpoint for the front, its announcer (bound channels, expired cards), and
 * `close`, which stops starting work for new requests (the front refuses them first) and sends the last updates.
 */
export interface ChatPlatform {
  endpoint: ChatEndpoint;
  announcer: ChatAnnouncer;
  close(): Promise<void>;
}
