import type { AcknowledgerSettings, DeliveryRecord, QuestionAnswer } from '../chat-platform/chat-platform.ts';

/** What the front thread is started with (its workerData). */
export interface FrontSettings {
  host: string;
  port: number;
  /** Where the main thread serves everything that is not a chat path. */
  upstream: { host: string; port: number };
  endpoints: Array<{ path: string; settings: AcknowledgerSettings }>;
  /** The largest chat request read (Slack's and Discord's are a few kilobytes); larger ones get 413. */
  bodyLimitBytes: number;
  /** How long the front waits for the main thread's answer to a `question` before answering without it. */
  answerTimeoutMs: number;
}

/** From the front thread to the main thread. */
export type FrontMessage =
  | { type: 'listening'; address: string; port: number }
  | { type: 'listen-failed'; code: string | undefined; message: string }
  /**
   * A chat request's answer was sent: its status, and its delivery if it has one (an accepted command or click) with
   * how to record it in the fleet's record of delivered requests.
   */
  | { type: 'answered'; path: string; status: number; delivery?: unknown; record?: DeliveryRecord }
  /** A chat request's answer must come from the main thread: the endpoint's `answer` to `question`, as `answer`. */
  | { type: 'question'; id: number; path: string; question: unknown }
  | { type: 'log'; line: string }
  | { type: 'chat-refused' }
  /** The port takes no new connection; `open` connections are still open, each with a request under way. */
  | { type: 'draining'; open: number }
  /** After `drain`: the last connection has ended. */
  | { type: 'drained' }
  /** The listener and every connection are closed (`cut` of them were closed still open); the thread ends. */
  | { type: 'closed'; cut: number };

/** From the main thread to the front thread. */
export type MainMessage =
  | { type: 'refuse-chat' }
  | { type: 'drain' }
  | { type: 'close' }
  /** The answer to the `question` with this id; none when the endpoint had none (the front answers without it). */
  | { type: 'answer'; id: number; answer?: QuestionAnswer };
