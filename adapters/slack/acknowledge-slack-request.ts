import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseForm } from 'node:querystring';
import type { Acknowledgement, RawChatRequest } from '../chat-platform/chat-platform.ts';

/** A request Slack sent, verified and parsed: what Bolt gets to dispatch (a slash command, a click, an event). */
export interface SlackDelivery {
  body: Record<string, unknown>;
  /** Slack's `x-slack-retry-num`: set when Slack sends an event again after no answer. */
  retryNum?: number;
  retryReason?: string;
}

/**
 * How far a request's timestamp may be from now, either way: older ones are refused as replays (Slack's rule), and so
 * are ones further ahead, which would otherwise stay replayable for as long as they are ahead.
 */
export const maxSlackRequestAgeSeconds = 5 * 60;

/**
 * Answers a request to `/slack/events` on its own, without Bolt or the engine: checks the `v0=` HMAC-SHA256 signature
 * over `v0:<timestamp>:<body>` with the app's signing secret and that the timestamp is within five minutes of now,
 * either way (https://api.slack.com/authentication/verifying-requests-from-slack), then acknowledges: Slack's `ssl_check` and
 * `url_verification` are answered as Slack expects, anything else with an empty 200 and the parsed body handed on as
 * the delivery (Bolt's parsing: a form, whose `payload` field holds the JSON of a click; else JSON). Pure and cheap,
 * so the acknowledging thread never waits for the work. A forged or stale request gets 401 with no detail; the
 * reason is returned for the log.
 *
 * A submitted modal (`view_submission`) is the exception: Slack takes the answer to it as the modal's fate (an
 * empty 200 closes it; `response_action: errors` keeps it open with an error under each field it names), and only
 * the main thread can tell whether the form is valid. So it carries a `question`: the front asks the adapter for the
 * answer and waits for it a bounded time (2 s, within Slack's 3), then answers with an empty 200 and delivers the
 * submission, whose run tells the person privately of anything wrong (see http-front.ts).
 */
export function acknowledgeSlackRequest(
  request: RawChatRequest,
  signingSecret: string,
  nowMs: number,
): Acknowledgement<SlackDelivery> {
  const failure = signatureFailure(request, signingSecret, nowMs);
  if (failure !== undefined) {
    return { status: 401, json: { error: 'invalid request signature' }, refused: failure };
  }
  const text = request.rawBody.toString('utf8');
  const contentType = header(request, 'content-type') ?? '';
  let body: Record<string, unknown>;
  try {
    body = /^application\/x-www-form-urlencoded\b/i.test(contentType) ? parseFormBody(text) : parseJson(text);
  } catch {
    return { status: 400, json: { error: 'bad request' }, refused: 'unparsable body' };
  }
  if (body['ssl_check'] !== undefined) return { status: 200 };
  if (body['type'] === 'url_verification') return { status: 200, json: { challenge: body['challenge'] } };
  const retryHeader = header(request, 'x-slack-retry-num');
  const retryNum = retryHeader !== undefined && /^\d{1,6}$/.test(retryHeader) ? Number(retryHeader) : undefined;
  const retryReason = header(request, 'x-slack-retry-reason');
  const delivery: SlackDelivery = {
    body,
    ...(retryNum !== undefined ? { retryNum } : {}),
    ...(retryReason !== undefined ? { retryReason } : {}),
  };
  return { status: 200, ...(body['type'] === 'view_submission' && { question: delivery }), delivery };
}

function signatureFailure(request: RawChatRequest, signingSecret: string, nowMs: number): string | undefined {
  const signature = header(request, 'x-slack-signature');
  const timestamp = header(request, 'x-slack-request-timestamp');
  if (signature === undefined || timestamp === undefined) return 'no signature';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed timestamp';
  const nowSeconds = Math.floor(nowMs / 1000);
  if (Number(timestamp) < nowSeconds - maxSlackRequestAgeSeconds) return 'stale timestamp';
  if (Number(timestamp) > nowSeconds + maxSlackRequestAgeSeconds) return 'future timestamp';
  const expected = Buffer.from(
    `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(request.rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'signature mismatch';
}

function parseFormBody(text: string): Record<string, unknown> {
  const form = parseForm(text) as Record<string, unknown>;
  return typeof form['payload'] === 'string' ? parseJson(form['payload']) : { ...form };
}

function parseJson(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

function header(request: RawChatRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
