import { createHmac } from 'node:crypto';

export const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';

let triggers = 0;

/**
 * A new `trigger_id`, as Slack gives each command and click its own: requests sharing one would be taken for Slack's
 * retries of one request, which run once.
 */
export function triggerId(): string {
  triggers += 1;
  return `13345224609.738474920.${String(triggers).padStart(8, '0')}8d88f008e0`;
}

/** The form fields Slack posts for a slash command (https://api.slack.com/interactivity/slash-commands). */
export function slashCommand(overrides: Partial<Record<SlashCommandField, string>> = {}): Record<string, string> {
  return {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'example',
    enterprise_id: 'E0001',
    enterprise_name: 'Globular Construct Inc',
    channel_id: 'C123',
    channel_name: 'ops',
    user_id: 'U123',
    user_name: 'ana',
    command: '/backup',
    text: 'create db',
    response_url: 'https://hooks.slack.com/commands/1234/5678',
    trigger_id: triggerId(),
    api_app_id: 'A123456',
    ...overrides,
  };
}

type SlashCommandField =
  | 'token'
  | 'team_id'
  | 'team_domain'
  | 'enterprise_id'
  | 'enterprise_name'
  | 'channel_id'
  | 'channel_name'
  | 'user_id'
  | 'user_name'
  | 'command'
  | 'text'
  | 'response_url'
  | 'trigger_id'
  | 'api_app_id';

export interface BlockActionsOverrides {
  user?: string;
  channel?: string;
  /** The clicked message's ts; `null` for a click on an ephemeral message (Slack sends no `message` then). */
  messageTs?: string | null;
  actionId?: string;
  value?: string;
  responseUrl?: string;
}

/** The `payload` Slack posts when someone clicks a button of a message (type `block_actions`). */
export function blockActions(overrides: BlockActionsOverrides = {}): Record<string, unknown> {
  const channel = overrides.channel ?? 'C123';
  const messageTs = overrides.messageTs === undefined ? '1700000000.000100' : overrides.messageTs;
  const action = {
    type: 'button',
    block_id: 'b1',
    action_id: overrides.actionId ?? 'backstop.approve.0',
    text: { type: 'plain_text', text: 'Approve', emoji: true },
    value: overrides.value ?? 'approve:r1',
    style: 'primary',
    action_ts: '1700000100.000200',
  };
  return {
    type: 'block_actions',
    user: { id: overrides.user ?? 'U456', username: 'ben', name: 'ben', team_id: 'T0001' },
    api_app_id: 'A123456',
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    container:
      messageTs === null
        ? { type: 'message', message_ts: '1700000000.000900', channel_id: channel, is_ephemeral: true }
        : { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: 'T0001', domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'ops' },
    ...(messageTs === null
      ? {}
      : { message: { type: 'message', user: 'U0BACKSTOP', ts: messageTs, text: 'Approve restore?', blocks: [] } }),
    state: { values: {} },
    response_url: overrides.responseUrl ?? 'https://hooks.slack.com/actions/T0001/1/abc',
    actions: [action],
  };
}

/** A form body as Slack encodes it. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A click's body: the JSON payload in one form field. */
export function payloadBody(payload: unknown): string {
  return formBody({ payload: JSON.stringify(payload) });
}

/** Slack's signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignOptions {
  secret?: string;
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  /** Sent instead of the correct signature. */
  signature?: string;
  /** Slack's is exactly `application/x-www-form-urlencoded`. */
  contentType?: string;
  /** More headers, such as Slack's `x-slack-retry-num` on a retry. */
  headers?: Record<string, string>;
}

/** Posts `body` to `<baseUrl>/slack/events` exactly as Slack does: form-encoded, with its timestamp and signature. */
export async function postSigned(baseUrl: string, body: string, options: SignOptions = {}): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(options.secret ?? signingSecret, timestamp, body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...options.headers,
    },
    body,
  });
}

export interface ViewSubmissionOverrides {
  user?: string;
  /** What Backstop put in the modal's private_metadata: the form's id and the channel it was opened from. */
  form?: string;
  channel?: string;
  /** The answers: a choice by field name (undefined: none chosen), a checkbox as ticked or not. */
  values?: Record<string, string | boolean | undefined>;
  callbackId?: string;
}

/**
 * The `payload` Slack posts when someone submits a modal (type `view_submission`): the answers are in
 * `view.state.values`, by block id and action id (`value` in Backstop's modals), shaped by the element's type.
 */
export function viewSubmission(overrides: ViewSubmissionOverrides = {}): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(overrides.values ?? {})) {
    values[name] = {
      value:
        typeof value === 'boolean'
          ? {
              type: 'checkboxes',
              selected_options: value ? [{ text: { type: 'plain_text', text: 'ticked' }, value: 'yes' }] : [],
            }
          : {
              type: 'static_select',
              selected_option: value === undefined ? null : { text: { type: 'plain_text', text: value }, value },
            },
    };
  }
  return {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'example' },
    user: { id: overrides.user ?? 'U123', username: 'ana', name: 'ana', team_id: 'T0001' },
    api_app_id: 'A123456',
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    trigger_id: triggerId(),
    view: {
      id: 'V0001',
      team_id: 'T0001',
      type: 'modal',
      blocks: [],
      private_metadata: JSON.stringify({
        form: overrides.form ?? 'restore:7k3q',
        channel: overrides.channel ?? 'C123',
      }),
      callback_id: overrides.callbackId ?? 'backstop.form',
      state: { values },
      hash: '1700000000.abc',
      title: { type: 'plain_text', text: 'Restore 7k3q' },
      submit: { type: 'plain_text', text: 'Restore' },
      close: { type: 'plain_text', text: 'Cancel' },
      root_view_id: 'V0001',
      app_id: 'A123456',
      bot_id: 'B0BACKSTOP',
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}

/** The JSON body Slack posts when someone opens the app's Home tab (Events API, `app_home_opened`). */
export function appHomeOpened(user = 'U123', channel = 'D0123'): Record<string, unknown> {
  triggers += 1;
  return {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    api_app_id: 'A123456',
    event: { type: 'app_home_opened', user, channel, tab: 'home', event_ts: '1700000000.000100' },
    type: 'event_callback',
    event_id: `Ev${String(triggers).padStart(8, '0')}HOME`,
    event_time: 1700000000,
    authorizations: [{ team_id: 'T0001', user_id: 'U0BACKSTOP', is_bot: true }],
  };
}

/** The `payload` of a click on a button of the app's Home tab: no channel, the view as container. */
export function homeBlockActions(user: string, value: string): Record<string, unknown> {
  const click = blockActions({ user, value, messageTs: null });
  const { channel: _channel, message: _message, response_url: _url, ...rest } = click;
  return {
    ...rest,
    container: { type: 'view', view_id: 'VHOME' },
    view: { id: 'VHOME', type: 'home', blocks: [], private_metadata: '', callback_id: '', state: { values: {} } },
  };
}
