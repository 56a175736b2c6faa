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
  /**
   * Set when the answer depends on what only the main thread holds: Discord's autocomplete (the choices are the
   * caller's backups and targets) or a submitted Slack modal (answered with the form's errors, or empty to close it).
   * The front asks the endpoint's `answer` with it and waits a bounded time; when no answer comes in time, it sends
   * `json` and hands on `delivery` as above.
   */
  question?: unknown;
}

/** The main thread's answer to an acknowledgement's `question`. */
export interface QuestionAnswer {
  /** The response body; none sends the acknowledgement's own `json`. */
  json?: unknown;
  /** False: the acknowledgement's delivery is not handed on (the answer says what is wrong, nothing runs). */
  deliver?: boolean;
}

/**
 * How the fleet's record of delivered requests names one request, and until when it must remember it: each key names
 * it one way (its signature, which a replay of the same bytes repeats; the platform's id for it, which a platform's
 * retry under a new signature repeats), and `expiresAtMs` is when no copy of it can be accepted any more (its
 * signature's time window has passed, with a margin for clocks that differ between instances). Plain data: it is made
 * on the front's thread and used on the main thread.
 */
export interface DeliveryRecord {
  keys: string[];
  expiresAtMs: number;
}

/**
 * The record of the chat requests whose work was started, shared by every `serve` instance (the state database's
 * `DeliveredChatRequests`): a signed request may reach Backstop twice, replayed by whoever captured it within its
 * time window or retried by the platform, and on any instance; it must run once.
 */
export interface DeliveredRequests {
  /**
   * Records the request's keys until `expiresAt`. `first` when none of them was recorded before (start its work),
   * `replay` when any was (start nothing). Of instances recording the same key at once, exactly one gets `first`.
   * Rejects when the record cannot be written.
   */
  recordDelivery(keys: readonly string[], expiresAt: Date): Promise<'first' | 'replay'>;
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
 * (the work it starts reports its own failures). `notStarted` runs instead of `deliver` for a request that was
 * acknowledged but whose work could not be started (the fleet's record of delivered requests could not be written,
 * and work started unrecorded could run twice): the platform had its answer already and will not send it again, so
 * the sender is told privately, in `notStartedText`'s words, or would never learn that their command or click did
 * nothing. Must not throw.
 */
export interface ChatEndpoint {
  path: string;
  settings: AcknowledgerSettings;
  deliver(delivery: unknown): void;
  notStarted(delivery: unknown): void;
  /**
   * Answers an acknowledgement's `question` on the main thread, before the response is sent and before its delivery
   * (if any) is recorded or handed to `deliver`. It must change nothing: a request asked about may then be found a
   * replay, or be answered without it, and a copy of it is simply asked about again. It must be quick: the front stops
   * waiting after its `answerTimeoutMs` (well within the platform's 3 seconds) and answers as the acknowledgement
   * says, as it does when this rejects or is missing.
   */
  answer?(question: unknown): Promise<QuestionAnswer>;
}

/**
 * What the sender of a request that was acknowledged but not started is told. Another instance may have started a
 * copy of it (the same request retried by the platform), so it says to look before trying again.
 */
export const notStartedText =
  'Backstop could not start this: its state database did not answer. If nothing changed, try again in a moment.';

/**
 * What a chat adapter gives `serve`: its endpoint for the front, its announcer (bound channels, expired cards), and
 * `close`, which stops starting work for new requests (the front refuses them first) and sends the last updates.
 */
export interface ChatPlatform {
  endpoint: ChatEndpoint;
  announcer: ChatAnnouncer;
  close(): Promise<void>;
}
