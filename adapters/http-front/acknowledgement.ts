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
