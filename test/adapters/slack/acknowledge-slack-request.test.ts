import { describe, expect, it } from 'vitest';
import type { Acknowledgement } from '../../../adapters/chat-platform/chat-platform.ts';
import {
  acknowledgeSlackRequest,
  maxSlackRequestAgeSeconds,
  type SlackDelivery,
} from '../../../adapters/slack/acknowledge-slack-request.ts';
import {
  blockActions,
  formBody,
  payloadBody,
  signingSecret,
  slackSignature,
  slashCommand,
  viewSubmission,
} from './slack-requests.ts';

/** The acknowledging thread's clock: 2023-11-14T22:13:20Z. */
const nowMs = 1_700_000_000_000;
const nowSeconds = nowMs / 1000;
const form = 'application/x-www-form-urlencoded';

interface RequestOptions {
  contentType?: string | undefined;
  /** Seconds since the epoch, signed; now by default. */
  timestamp?: number;
  /** Sent as the timestamp header instead of `timestamp` (the signature is still made over `timestamp`). */
  timestampHeader?: string | undefined;
  secret?: string;
  /** Sent instead of the correct signature. */
  signature?: string;
  /** Headers left out. */
  omit?: Array<'x-slack-signature' | 'x-slack-request-timestamp'>;
  headers?: Record<string, string | string[]>;
}

/** A request as the front hands it over: the raw body and node's lower-case headers, signed as Slack signs. */
function slackRequest(body: string, options: RequestOptions = {}) {
  const timestamp = options.timestamp ?? nowSeconds;
  const headers: Record<string, string | string[] | undefined> = {
    'content-type': 'contentType' in options ? options.contentType : form,
    'x-slack-request-timestamp': options.timestampHeader ?? String(timestamp),
    'x-slack-signature': options.signature ?? slackSignature(options.secret ?? signingSecret, timestamp, body),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...options.headers,
  };
  for (const name of options.omit ?? []) delete headers[name];
  return { rawBody: Buffer.from(body, 'utf8'), headers };
}

function acknowledge(body: string, options: RequestOptions = {}): Acknowledgement<SlackDelivery> {
  return acknowledgeSlackRequest(slackRequest(body, options), signingSecret, nowMs);
}

describe('acknowledgeSlackRequest: accepted requests', () => {
  it('answers a correctly signed slash command with an empty 200 and hands on its parsed form', () => {
    const fields = slashCommand({ text: 'restore 7k3q to shop/live --no-safety-backup' });

    const answer = acknowledge(formBody(fields));

    expect(answer).toEqual({ status: 200, delivery: { body: fields } });
    expect(answer.json).toBeUndefined();
    expect(answer.refused).toBeUndefined();
  });

  it('decodes a form field with spaces, quotes and non-ASCII text as Slack encodes it', () => {
    const fields = slashCommand({ text: 'create media "café – nightly"' });

    const answer = acknowledge(formBody(fields));

    expect(answer.delivery?.body['text']).toBe('create media "café – nightly"');
  });

  it("parses a click's `payload=` form field as JSON", () => {
    const payload = blockActions({ user: 'U456', channel: 'C123', messageTs: '1700000000.000555', value: 'deny:r1' });

    const answer = acknowledge(payloadBody(payload));

    expect(answer.status).toBe(200);
    expect(answer.json).toBeUndefined();
    expect(answer.delivery).toEqual({ body: payload });
  });

  it('parses a JSON body (Events API)', () => {
    const event = { type: 'event_callback', team_id: 'T0001', event: { type: 'app_mention', text: 'hi' } };

    const answer = acknowledge(JSON.stringify(event), { contentType: 'application/json' });

    expect(answer).toEqual({ status: 200, delivery: { body: event } });
  });

  it.each([`${form}; charset=utf-8`, `${form};charset=UTF-8`, 'Application/X-WWW-Form-Urlencoded'])(
    'accepts the form content type written as %s',
    (contentType) => {
      const fields = slashCommand({ text: 'status' });

      const answer = acknowledge(formBody(fields), { contentType });

      expect(answer).toEqual({ status: 200, delivery: { body: fields } });
    },
  );

  it('accepts a JSON content type with a charset', () => {
    const answer = acknowledge('{"type":"event_callback"}', { contentType: 'application/json; charset=utf-8' });

    expect(answer).toEqual({ status: 200, delivery: { body: { type: 'event_callback' } } });
  });

  it('accepts a timestamp exactly five minutes old, and one exactly five minutes ahead', () => {
    const answer = acknowledge(formBody(slashCommand()), { timestamp: nowSeconds - maxSlackRequestAgeSeconds });

    expect(answer.status).toBe(200);
    expect(answer.delivery).toBeDefined();
    const ahead = acknowledge(formBody(slashCommand()), { timestamp: nowSeconds + maxSlackRequestAgeSeconds });
    expect([ahead.status, ahead.refused]).toEqual([200, undefined]);
  });

  it("accepts a timestamp a little in the future (a clock a little behind Slack's)", () => {
    const answer = acknowledge(formBody(slashCommand()), { timestamp: nowSeconds + 90 });

    expect(answer.status).toBe(200);
    expect(answer.delivery).toBeDefined();
  });

  it("carries Slack's retry headers on the delivery", () => {
    const fields = slashCommand();

    const answer = acknowledge(formBody(fields), {
      headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
    });

    expect(answer).toEqual({ status: 200, delivery: { body: fields, retryNum: 2, retryReason: 'http_timeout' } });
  });

  it('leaves the retry fields out of a first delivery', () => {
    const answer = acknowledge(formBody(slashCommand()));

    expect(answer.delivery).not.toHaveProperty('retryNum');
    expect(answer.delivery).not.toHaveProperty('retryReason');
  });

  it('reads the first value of a header node gives as a list', () => {
    const body = formBody(slashCommand());
    const request = slackRequest(body);
    request.headers['x-slack-signature'] = [slackSignature(signingSecret, nowSeconds, body), 'v0=ignored'];

    expect(acknowledgeSlackRequest(request, signingSecret, nowMs).status).toBe(200);
  });
});

describe("acknowledgeSlackRequest: Slack's own requests", () => {
  it('answers ssl_check with an empty 200 and no delivery', () => {
    const answer = acknowledge(formBody({ ssl_check: '1', token: 'gIkuvaNzQIHg97ATvDxqgjtO' }));

    expect(answer).toEqual({ status: 200 });
  });

  it('answers url_verification with its challenge and no delivery', () => {
    const challenge = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge, type: 'url_verification' });

    const answer = acknowledge(body, { contentType: 'application/json' });

    expect(answer).toEqual({ status: 200, json: { challenge } });
  });

  it('checks the signature of url_verification too', () => {
    const body = JSON.stringify({ challenge: 'c', type: 'url_verification' });

    const answer = acknowledge(body, { contentType: 'application/json', secret: 'not-the-signing-secret' });

    expect(answer.status).toBe(401);
    expect(answer.json).not.toHaveProperty('challenge');
  });
});

describe('acknowledgeSlackRequest: refused requests', () => {
  const body = formBody(slashCommand({ text: 'restore 7k3q to shop/live --no-safety-backup' }));

  it.each<[string, RequestOptions, string]>([
    ['a signature made with another secret', { secret: 'not-the-signing-secret' }, 'signature mismatch'],
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }, 'signature mismatch'],
    ['a signature of another length', { signature: 'v0=abc' }, 'signature mismatch'],
    [
      'a signature of another version',
      { signature: slackSignature(signingSecret, nowSeconds, body).replace('v0=', 'v1=') },
      'signature mismatch',
    ],
    [
      'a signature over another timestamp',
      { timestampHeader: String(nowSeconds - 1), timestamp: nowSeconds },
      'signature mismatch',
    ],
    ['no signature header', { omit: ['x-slack-signature'] }, 'no signature'],
    ['no timestamp header', { omit: ['x-slack-request-timestamp'] }, 'no signature'],
    ['neither header', { omit: ['x-slack-signature', 'x-slack-request-timestamp'] }, 'no signature'],
    ['a timestamp that is not a number', { timestampHeader: 'yesterday' }, 'malformed timestamp'],
    ['an empty timestamp', { timestampHeader: '' }, 'malformed timestamp'],
    ['a negative timestamp', { timestampHeader: '-1700000000' }, 'malformed timestamp'],
    ['a fractional timestamp', { timestampHeader: '1700000000.5' }, 'malformed timestamp'],
    ['a timestamp in milliseconds', { timestampHeader: String(nowMs * 1000) }, 'malformed timestamp'],
    [
      'a correctly signed timestamp five minutes and one second old',
      { timestamp: nowSeconds - maxSlackRequestAgeSeconds - 1 },
      'stale timestamp',
    ],
    ['a correctly signed timestamp an hour old', { timestamp: nowSeconds - 3600 }, 'stale timestamp'],
    // Ahead as far as behind: a request dated an hour ahead could otherwise be replayed for an hour and five minutes.
    [
      'a correctly signed timestamp five minutes and one second ahead',
      { timestamp: nowSeconds + maxSlackRequestAgeSeconds + 1 },
      'future timestamp',
    ],
    ['a correctly signed timestamp an hour ahead', { timestamp: nowSeconds + 3600 }, 'future timestamp'],
  ])('answers 401 with no delivery to %s', (_name, options, reason) => {
    const answer = acknowledge(body, options);

    expect(answer.status).toBe(401);
    expect(answer.delivery).toBeUndefined();
    expect(answer.refused).toBe(reason);
    // Nothing about why goes back to the sender.
    expect(JSON.stringify(answer.json)).not.toContain(reason);
  });

  it('answers 401 to a body changed after signing', () => {
    const signature = slackSignature(signingSecret, nowSeconds, body);

    const answer = acknowledge(body.replace('U123', 'U999'), { signature });

    expect(answer).toMatchObject({ status: 401, refused: 'signature mismatch' });
    expect(answer.delivery).toBeUndefined();
  });

  it('checks the signature before parsing: an unsigned unparsable body gets 401, not 400', () => {
    const answer = acknowledge('{not json', { contentType: 'application/json', secret: 'not-the-signing-secret' });

    expect(answer).toMatchObject({ status: 401, refused: 'signature mismatch' });
  });

  it.each([
    ['broken JSON', '{not json', 'application/json'],
    ['a JSON array', '[1,2]', 'application/json'],
    ['a JSON string', '"text"', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a form without a content type', formBody(slashCommand()), undefined],
    ['a `payload=` field that is not JSON', formBody({ payload: '{not json' }), form],
    ['a `payload=` field holding a JSON array', formBody({ payload: '[]' }), form],
  ])('answers 400 with no delivery to a correctly signed body that is %s', (_name, raw, contentType) => {
    const answer = acknowledge(raw, { contentType });

    expect(answer.status).toBe(400);
    expect(answer.delivery).toBeUndefined();
    expect(answer.refused).toBe('unparsable body');
  });
});

describe('acknowledgeSlackRequest: a submitted modal', () => {
  it('is marked to be checked by the main thread before it is answered (its answer may carry the form errors)', () => {
    const submission = viewSubmission({ values: { parts: 'db' } });

    const answer = acknowledge(payloadBody(submission));

    expect(answer).toEqual({ status: 200, question: { body: submission }, delivery: { body: submission } });
  });

  it('leaves slash commands and clicks unmarked: they are answered at once', () => {
    expect(acknowledge(formBody(slashCommand())).question).toBeUndefined();
    expect(acknowledge(payloadBody(blockActions())).question).toBeUndefined();
  });
});
