import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveredRequests, notStartedText } from '../../../adapters/chat-platform/chat-platform.ts';
import type { AnsweredChatRequest, HttpFront } from '../../../adapters/http-front/http-front.ts';
import { renderSlackMessage } from '../../../adapters/slack/render-slack-message.ts';
import { renderSlackHome, renderSlackModal } from '../../../adapters/slack/render-slack-view.ts';
import { createSlack, type SlackChat } from '../../../adapters/slack/slack-adapter.ts';
import type { ChatForm, ChatHandler, ChatMessage } from '../../../commands/chat/chat-types.ts';
import type { BackstopError } from '../../../src/domain/backstop-error.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { Occurrences } from '../../support/occurrences.ts';
import { sharedStateDatabase } from '../../support/shared-state.ts';
import { FakeSlackApi, type SlackApiCall } from './fake-slack-api.ts';
import { RecordingChatHandler } from './recording-chat-handler.ts';
import {
  appHomeOpened,
  blockActions,
  formBody,
  homeBlockActions,
  payloadBody,
  postSigned,
  signingSecret,
  slackSignature,
  slashCommand,
  viewSubmission,
} from './slack-requests.ts';

const botToken = 'xoxb-1234-5678-test';

interface Running {
  url: string;
  fake: FakeSlackApi;
  slack: SlackChat;
  front: HttpFront;
  /** The adapter's log lines and the front's, in one list. */
  logs: string[];
  /** The chat requests the front has answered, their deliveries handed to the adapter. */
  answered: Occurrences<AnsweredChatRequest>;
  /** One per delivery the adapter is done with (its work ended, or none was started). */
  settled: Occurrences<void>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Slack behind the HTTP front, as `serve` runs it: `/slack/events` acknowledged on the front's thread and delivered to
 * the adapter; everything else (here a body-parsing API) proxied to Backstop's express app. `delivered` is the record
 * of delivered requests (a state's, or by default one in memory for this instance alone).
 */
async function startSlack(
  handler: ChatHandler,
  delivered?: DeliveredRequests,
  front: { recordTimeoutMs?: number } = {},
): Promise<Running> {
  const fake = await FakeSlackApi.start();
  cleanups.push(() => fake.close());
  fake.emails.set('U123', 'ana@example.com');
  fake.emails.set('U456', 'ben@example.com');
  const app = express();
  const logs: string[] = [];
  const settled = new Occurrences<void>();
  const slack = createSlack({
    signingSecret,
    botToken,
    apiUrl: fake.apiUrl,
    handler,
    log: (l) => logs.push(l),
    onSettled: settled.record,
  });
  app.use('/api/v1', express.json(), (request, response) => {
    response.json({ echo: request.body });
  });
  const served = await serveBehindFront(app, [slack.endpoint], logs, delivered, front);
  cleanups.push(async () => {
    await served.close();
    await slack.close();
  });
  return { url: served.url, fake, slack, front: served.front, logs, answered: served.answered, settled };
}

function text(call: SlackApiCall | undefined): string {
  return String(call?.body['text']);
}

describe('Slack adapter: slash commands', () => {
  it('acknowledges at once while the handler takes 5 s, then runs it with the caller, the text and the email', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.update({ outcome: 'ok', text: 'Working on `/backup create db`...' });
        await sleep(5000);
        await output.update({ outcome: 'ok', text: '*Backup 7k3q completed* (12.3 MB)' });
      },
    });
    const { url, fake } = await startSlack(handler);

    const started = Date.now();
    const response = await postSigned(url, formBody(slashCommand({ text: 'create db' })));
    const elapsed = Date.now() - started;

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    // Slack's protocol bound: an answer within 3 seconds or the user sees "operation_timeout".
    expect(elapsed).toBeLessThan(3000);

    const call = await fake.waitFor(() => handler.calls[0]);
    expect(call.kind).toBe('command');
    expect(call.input).toBe('create db');
    expect(call.caller).toEqual({
      platform: 'slack',
      user: 'slack:U123',
      groups: [],
      channel: 'slack-channel:C123',
      email: expect.any(Function),
    });

    // The first update posts the command's message in the channel; the next ones edit it.
    const working = await fake.waitFor(() => fake.callsTo('chat.postMessage')[0]);
    expect(working?.body['channel']).toBe('C123');
    expect(text(working)).toBe('Working on `/backup create db`...');
    expect(working?.token).toBe(botToken);

    await call.done;
    const outcome = await fake.waitFor(() => fake.callsTo('chat.update')[0]);
    expect(outcome.body['channel']).toBe('C123');
    expect(outcome.body['ts']).toBe(working?.answer?.['ts']);
    expect(outcome.body['blocks']).toEqual(
      renderSlackMessage(
        { outcome: 'ok', text: '*Backup 7k3q completed* (12.3 MB)' },
        { user: 'U123', command: '/backup create db' },
      ).blocks,
    );
    // A command that sends no mail never asks Slack for the caller's profile...
    expect(fake.callsTo('users.info')).toEqual([]);
    // ...which the caller's email reads when asked.
    expect(await call.caller.email?.()).toBe('ana@example.com');
    expect(fake.callsTo('users.info').map((c) => c.body['user'])).toEqual(['U123']);
  });

  it("reads the caller's profile email only when a download asks for it, without delaying the acknowledgement", async () => {
    const emails: Array<string | undefined> = [];
    const handler = new RecordingChatHandler({
      command: async (caller, _text, output) => {
        // As commands/chat/chat-handler.ts does for `download` alone.
        emails.push(await caller.email?.());
        await output.update({ outcome: 'ok', text: 'The links were sent privately' });
      },
    });
    const { url, fake } = await startSlack(handler);
    // A slow users.info: the acknowledgement must not wait for it.
    fake.delays.set('users.info', 3500);

    const started = Date.now();
    const response = await postSigned(url, formBody(slashCommand({ text: 'download 7k3q' })));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);

    await (await fake.waitFor(() => handler.calls[0])).done;
    expect(emails).toEqual(['ana@example.com']);
    const lookups = fake.callsTo('users.info');
    expect(lookups.map((c) => c.body['user'])).toEqual(['U123']);
    expect(lookups[0]?.token).toBe(botToken);
  });

  it('throttles updates: 10 within a second become a few chat.update calls, in order, ending with the last', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        for (let i = 1; i <= 9; i += 1) {
          void output.update({ outcome: 'ok', text: `Backing up: ${i * 10}%` });
          await sleep(100);
        }
        await output.update({ outcome: 'ok', text: 'Backup 7k3q completed' });
      },
    });
    const { url, fake, settled } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'create db' })));
    const call = await fake.waitFor(() => handler.calls[0]);
    await call.done;
    // The handler has returned; the last update goes out when its turn comes, and then the adapter is done.
    await settled.reached(1);

    const updates = fake.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThan(10); // ten updates, fewer edits (how many depends on the machine's pace)
    expect(text(updates.at(-1))).toBe('Backup 7k3q completed');
    const percents = updates.slice(0, -1).map((u) => Number(/(\d+)%/.exec(text(u))?.[1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    for (let i = 1; i < updates.length; i += 1) {
      expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(2500); // the 3 s interval, less jitter
    }
  });

  it('sends a private message as an ephemeral message to the caller in the channel', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.private({ outcome: 'ok', text: 'Your download: https://backstop.example.com/downloads/abc' });
      },
    });
    const { url, fake } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'download 7k3q', channel_id: 'C777', user_id: 'U123' })));
    const ephemeral = await fake.waitFor(() => fake.callsTo('chat.postEphemeral')[0]);

    expect(ephemeral.body).toMatchObject({ channel: 'C777', user: 'U123' });
    expect(text(ephemeral)).toBe('Your download: https://backstop.example.com/downloads/abc');
  });

  it('sends a private message as a direct message where the bot cannot post ephemerally', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.private({ outcome: 'ok', text: 'Your download link' });
      },
    });
    const { url, fake, logs } = await startSlack(handler);
    fake.failures.set('chat.postEphemeral', 'not_in_channel');

    await postSigned(url, formBody(slashCommand({ text: 'download 7k3q' })));
    await (await fake.waitFor(() => handler.calls[0])).done;

    expect(fake.callsTo('conversations.open')[0]?.body['users']).toBe('U123');
    const direct = fake.callsTo('chat.postMessage').find((c) => c.body['channel'] === 'D123');
    expect(text(direct)).toBe('Your download link');
    expect(logs.join('\n')).toContain('not_in_channel');
  });

  it('announces a new message with its buttons and edits it through the reference', async () => {
    const card: ChatMessage = {
      outcome: 'ok',
      text: '*Restore into shop/live needs approval*',
      fields: [{ label: 'Backup', value: '7k3q' }],
      buttons: [
        { action: 'approve:r1', label: 'Approve', style: 'primary' },
        { action: 'deny:r1', label: 'Deny', style: 'danger' },
      ],
    };
    const references: string[] = [];
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        const reference = await output.announce(card);
        references.push(reference);
        await output.edit(reference, { outcome: 'ok', text: 'Restore approved by <@U456>' });
      },
    });
    const { url, fake } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'restore 7k3q to shop/live' })));
    await (await fake.waitFor(() => handler.calls[0])).done;

    // No update: the card is the command's only message in the channel.
    const [announced, ...others] = fake.callsTo('chat.postMessage');
    expect(others).toEqual([]);
    expect(announced?.body['channel']).toBe('C123');
    expect(announced?.body['blocks']).toEqual(renderSlackMessage(card).blocks);
    expect(announced?.body['blocks']).toContainEqual({
      type: 'actions',
      elements: [
        expect.objectContaining({ type: 'button', value: 'approve:r1', style: 'primary' }),
        expect.objectContaining({ type: 'button', value: 'deny:r1', style: 'danger' }),
      ],
    });
    expect(references).toEqual([`C123:${announced?.answer?.['ts']}`]);
    const edit = fake.callsTo('chat.update')[0];
    expect(edit?.body).toMatchObject({ channel: 'C123', ts: announced?.answer?.['ts'] });
    expect(text(edit)).toBe('Restore approved by &lt;@U456&gt;');
  });

  it('tells the user privately when the handler fails before showing anything, with the details only in the log', async () => {
    const handler = new RecordingChatHandler({
      command: async () => {
        throw new Error('connection to postgres://admin:secret@db/state refused');
      },
    });
    const { url, fake, logs, settled } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'status' })));
    const told = await fake.waitFor(() => fake.callsTo('chat.postEphemeral')[0]);
    await settled.reached(1);

    expect(told.body).toMatchObject({ channel: 'C123', user: 'U123' });
    expect(text(told)).toBe(":x: Something went wrong with `/backup status`; the details are in Backstop's log.");
    expect(text(told)).not.toContain('secret');
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
    expect(logs.join('\n')).toContain('connection to postgres');
  });

  it('ends the public message saying so when the handler fails after showing its work', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.update({ outcome: 'ok', text: 'Working on `/backup create db`...' });
        throw new Error('connection to postgres://admin:secret@db/state refused');
      },
    });
    const { url, fake, settled } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'create db' })));
    await settled.reached(1);

    expect(fake.callsTo('chat.postMessage').map(text)).toEqual(['Working on `/backup create db`...']);
    expect(fake.callsTo('chat.update').map(text)).toEqual([
      ":x: Something went wrong with `/backup create db`; the details are in Backstop's log.",
    ]);
    expect(fake.callsTo('chat.postEphemeral')).toEqual([]);
  });

  it('posts nothing in the channel for a command that answers only privately', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.private({ outcome: 'refused', text: 'create needs the operator role on shop' });
      },
    });
    const { url, fake, settled } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ text: 'create db', user_id: 'U777' })));
    await settled.reached(1);

    expect(fake.callsTo('chat.postMessage')).toEqual([]);
    expect(fake.callsTo('chat.update')).toEqual([]);
    expect(fake.callsTo('chat.postEphemeral').map((c) => [c.body['user'], text(c)])).toEqual([
      ['U777', ':warning: create needs the operator role on shop'],
    ]);
  });

  it('gives the handler no email, and logs why, when users.info fails', async () => {
    const emails: Array<string | undefined> = [];
    const handler = new RecordingChatHandler({
      command: async (caller) => {
        emails.push(await caller.email?.());
      },
    });
    const { url, fake, logs } = await startSlack(handler);
    fake.failures.set('users.info', 'missing_scope');

    await postSigned(url, formBody(slashCommand({ text: 'download 7k3q' })));
    const call = await fake.waitFor(() => handler.calls[0]);
    await call.done;

    expect(call.caller).toMatchObject({ platform: 'slack', user: 'slack:U123', channel: 'slack-channel:C123' });
    expect(emails).toEqual([undefined]);
    expect(fake.callsTo('users.info')).toHaveLength(1);
    expect(logs.join('\n')).toContain('slack: could not read the email of U123');
    expect(logs.join('\n')).toContain('missing_scope');
  });

  it('gives the handler no email when the profile shows none', async () => {
    const handler = new RecordingChatHandler();
    const { url, fake } = await startSlack(handler);

    await postSigned(url, formBody(slashCommand({ user_id: 'U789', text: 'download 7k3q' })));
    const call = await fake.waitFor(() => handler.calls[0]);

    expect(await call.caller.email?.()).toBeUndefined();
    expect(fake.callsTo('users.info').map((c) => c.body['user'])).toEqual(['U789']);
  });

  it("answers through the command's response URL where the bot cannot post: the first update and the last", async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.update({ outcome: 'ok', text: 'Backing up: 10%' });
        await output.update({ outcome: 'ok', text: 'Backing up: 50%' });
        await output.update({ outcome: 'ok', text: 'Backup 7k3q completed' });
      },
    });
    const { url, fake } = await startSlack(handler);
    fake.failures.set('chat.postMessage', 'not_in_channel');

    await postSigned(url, formBody(slashCommand({ text: 'create db', response_url: fake.responseUrl('cmd1') })));
    await (await fake.waitFor(() => handler.calls[0])).done;

    const answers = await fake.waitFor(() => {
      const posts = fake.callsTo('response:cmd1');
      return posts.length === 2 && posts;
    });
    expect(answers.map((a) => [a.body['response_type'], a.body['text']])).toEqual([
      ['in_channel', 'Backing up: 10%'],
      ['in_channel', 'Backup 7k3q completed'],
    ]);
  });
});

describe('Slack adapter: buttons', () => {
  it('passes a click to the handler with the action and the clicker; update edits the clicked message', async () => {
    const handler = new RecordingChatHandler({
      action: async (_caller, _action, output) => {
        await output.update({ outcome: 'ok', text: 'Restore approved' });
        await output.private({ outcome: 'ok', text: 'You approved restore r1' });
      },
    });
    const { url, fake } = await startSlack(handler);

    const started = Date.now();
    const response = await postSigned(
      url,
      payloadBody(blockActions({ user: 'U456', channel: 'C123', messageTs: '1700000000.000555', value: 'approve:r1' })),
    );
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);

    const call = await fake.waitFor(() => handler.calls[0]);
    expect(call.kind).toBe('action');
    expect(call.input).toBe('approve:r1');
    expect(call.caller).toEqual({
      platform: 'slack',
      user: 'slack:U456',
      groups: [],
      channel: 'slack-channel:C123',
      email: expect.any(Function),
    });
    await call.done;
    expect(fake.callsTo('users.info')).toEqual([]);
    expect(await call.caller.email?.()).toBe('ben@example.com');
    expect(fake.callsTo('chat.update')[0]?.body).toMatchObject({ channel: 'C123', ts: '1700000000.000555' });
    expect(text(fake.callsTo('chat.update')[0])).toBe('Restore approved');
    expect(fake.callsTo('chat.postEphemeral')[0]?.body).toMatchObject({ channel: 'C123', user: 'U456' });
  });

  it('replaces a clicked ephemeral message through the response URL', async () => {
    const handler = new RecordingChatHandler({
      action: async (_caller, _action, output) => {
        await output.update({ outcome: 'ok', text: 'Preparing the download of 7k3q' });
      },
    });
    const { url, fake } = await startSlack(handler);

    await postSigned(
      url,
      payloadBody(blockActions({ messageTs: null, value: 'download:7k3q', responseUrl: fake.responseUrl('click1') })),
    );
    const answer = await fake.waitFor(() => fake.callsTo('response:click1')[0]);

    expect(handler.calls[0]?.input).toBe('download:7k3q');
    expect(answer.body).toMatchObject({ replace_original: true, text: 'Preparing the download of 7k3q' });
    expect(fake.callsTo('chat.update')).toEqual([]);
  });
});

describe('Slack adapter: forms and the App Home tab', () => {
  const form: ChatForm = {
    id: 'restore:7k3q',
    title: 'Restore 7k3q',
    intro: 'Backup *7k3q* of shop/live',
    submit: 'Restore',
    fields: [{ kind: 'checkbox', name: 'safetyBackup', label: 'Safety backup', description: 'First', checked: true }],
  };

  it("opens a form as a modal with the click's trigger id, remembering the channel it was opened from", async () => {
    const handler = new RecordingChatHandler({ action: async (_caller, _action, output) => output.openForm?.(form) });
    const { url, fake, settled } = await startSlack(handler);
    const click = blockActions({ user: 'U123', channel: 'C777', value: 'restore-form:7k3q' });

    await postSigned(url, payloadBody(click));
    await settled.reached(1);

    const [opened] = fake.callsTo('views.open');
    expect(opened?.body['trigger_id']).toBe(click['trigger_id']);
    expect(opened?.body['view']).toEqual(renderSlackModal(form, { form: 'restore:7k3q', channel: 'C777' }));
  });

  it('tells the clicker privately when the form came too late for its trigger id', async () => {
    const handler = new RecordingChatHandler({
      action: async (_caller, _action, output) => {
        try {
          await output.openForm?.(form);
        } catch (error) {
          await output.private({ outcome: 'refused', text: (error as BackstopError).userMessage ?? 'none' });
        }
      },
    });
    const { url, fake, settled } = await startSlack(handler);
    fake.failures.set('views.open', 'expired_trigger_id');

    await postSigned(url, payloadBody(blockActions({ user: 'U123', value: 'restore-form:7k3q' })));
    await settled.reached(1);

    expect(text(fake.callsTo('chat.postEphemeral')[0])).toBe(
      ':warning: The form could not open in time (Slack allows 3 seconds after a click): click the button again.',
    );
  });

  it('answers a submission with its errors from the handler, keeping the modal open; nothing runs', async () => {
    const handler = new RecordingChatHandler();
    handler.formErrors = { parts: 'Choose what to restore: backup 7k3q holds media.' };
    const { url, answered } = await startSlack(handler);
    const submission = viewSubmission({ user: 'U123', channel: 'C777', values: { parts: 'db', safetyBackup: false } });

    const response = await postSigned(url, payloadBody(submission));

    expect(await response.json()).toEqual({
      response_action: 'errors',
      errors: { parts: 'Choose what to restore: backup 7k3q holds media.' },
    });
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: false }]);
    expect(handler.calls.map((c) => [c.kind, c.input, c.caller.user, c.caller.channel, c.values])).toEqual([
      ['check-form', 'restore:7k3q', 'slack:U123', 'slack-channel:C777', { parts: 'db', safetyBackup: false }],
    ]);
  });

  it('closes the modal on a valid submission, then runs it, its public message in the channel of the form', async () => {
    const handler = new RecordingChatHandler({
      submitForm: async (_caller, _form, output) => {
        await output.update({ outcome: 'ok', text: 'Working on `/backup restore 7k3q media to shop/staging`...' });
      },
    });
    const { url, fake, settled } = await startSlack(handler);
    const values = { parts: 'media', destination: 'shop/staging', safetyBackup: true };

    const response = await postSigned(url, payloadBody(viewSubmission({ user: 'U456', channel: 'C777', values })));
    expect([response.status, await response.text()]).toEqual([200, '']);
    await settled.reached(1);

    expect(handler.calls.map((c) => [c.kind, c.values])).toEqual([
      ['check-form', values],
      ['submit-form', values],
    ]);
    const [posted] = fake.callsTo('chat.postMessage');
    expect(posted?.body['channel']).toBe('C777');
    expect(posted?.body['blocks']).toContainEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Asked by <@U456>' }],
    });
  });

  it('publishes the Home tab when opened, as the handler shows it, for whoever opened it', async () => {
    const handler = new RecordingChatHandler();
    handler.homeMessages = [
      { outcome: 'ok', text: '*shop*' },
      { outcome: 'ok', text: '*Running now*' },
    ];
    const { url, fake, settled } = await startSlack(handler);

    const opened = await postSigned(url, JSON.stringify(appHomeOpened('U456', 'D0456')), {
      contentType: 'application/json',
    });
    expect([opened.status, await opened.text()]).toEqual([200, '']);
    await settled.reached(1);

    expect(handler.calls.map((c) => [c.kind, c.caller.user, c.caller.channel])).toEqual([
      ['home', 'slack:U456', 'slack-channel:D0456'],
    ]);
    expect(fake.callsTo('views.publish').map((c) => c.body)).toEqual([
      { user_id: 'U456', view: renderSlackHome(handler.homeMessages) },
    ]);
  });

  it('passes a click on the Home tab to the handler, answers it by direct message, and publishes the tab again', async () => {
    const handler = new RecordingChatHandler({
      action: async (_caller, _action, output) => {
        await output.private({ outcome: 'refused', text: 'Restore request r1 was already approved.' });
      },
    });
    const { url, fake, settled } = await startSlack(handler);

    await postSigned(url, payloadBody(homeBlockActions('U456', 'approve:r1')));
    await settled.reached(1);

    expect(handler.calls.map((c) => [c.kind, c.input, c.caller.channel])).toContainEqual([
      'action',
      'approve:r1',
      'slack-channel:D456',
    ]);
    expect(fake.callsTo('chat.postEphemeral')).toEqual([]);
    const direct = fake.callsTo('chat.postMessage').find((c) => c.body['channel'] === 'D456');
    expect(text(direct)).toBe(':warning: Restore request r1 was already approved.');
    expect(fake.callsTo('views.publish').map((c) => c.body['user_id'])).toEqual(['U456', 'U456']);
  });
});

describe('Slack adapter: request verification', () => {
  const body = formBody(slashCommand({ text: 'restore 7k3q to shop/live --no-safety-backup' }));
  const now = Math.floor(Date.now() / 1000);

  it.each([
    ['a signature made with another secret', { secret: 'not-the-signing-secret' }, 'signature mismatch'],
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }, 'signature mismatch'],
    [
      'a signature of another version',
      { timestamp: now, signature: slackSignature(signingSecret, now, body).replace('v0=', 'v1=') },
      'signature mismatch',
    ],
    ['a stale timestamp (6 minutes old), correctly signed', { timestamp: now - 6 * 60 }, 'stale timestamp'],
    ['a timestamp an hour ahead, correctly signed', { timestamp: now + 3600 }, 'future timestamp'],
    ['a timestamp 6 minutes ahead, correctly signed', { timestamp: now + 6 * 60 }, 'future timestamp'],
  ])('answers 401 to %s and never calls the handler', async (_name, sign, reason) => {
    const handler = new RecordingChatHandler();
    const { url, fake, logs, answered } = await startSlack(handler);

    const response = await postSigned(url, body, sign);

    expect(response.status).toBe(401);
    // Nothing about why goes back to the caller; the front's log says.
    expect(await response.json()).toEqual({ error: 'invalid request signature' });
    // The front is done with it, and handed nothing to the adapter.
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 401, delivered: false }]);
    expect(logs).toContain(`slack: refused a request to /slack/events (${reason})`);
    expect(handler.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('answers 401 to a body changed after signing and to a request without signature headers', async () => {
    const handler = new RecordingChatHandler();
    const { url, logs, answered } = await startSlack(handler);
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = slackSignature(signingSecret, timestamp, body);

    const tampered = await postSigned(url, body.replace('U123', 'U999'), { timestamp, signature });
    const unsigned = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });

    expect(tampered.status).toBe(401);
    expect(unsigned.status).toBe(401);
    const refused = { path: '/slack/events', status: 401, delivered: false };
    expect(await answered.reached(2)).toEqual([refused, refused]);
    expect(logs).toContain('slack: refused a request to /slack/events (signature mismatch)');
    expect(logs).toContain('slack: refused a request to /slack/events (no signature)');
    expect(handler.calls).toEqual([]);
  });

  it('answers the URL check Slack makes when the Request URL is saved', async () => {
    const handler = new RecordingChatHandler();
    const { url, fake, answered } = await startSlack(handler);
    const challenge = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';

    const response = await postSigned(url, JSON.stringify({ token: 't', challenge, type: 'url_verification' }), {
      contentType: 'application/json',
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge });
    // Answered by the front alone: nothing handed to the adapter.
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: false }]);
    expect(handler.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('serves the API routes beside it through the front, their body parsers working', async () => {
    const { url } = await startSlack(new RecordingChatHandler());
    const response = await fetch(`${url}/api/v1/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await response.json()).toEqual({ echo: { a: 1 } });
  });

  it('accepts a form content type with a charset, which Bolt alone would answer with 400', async () => {
    const handler = new RecordingChatHandler();
    const { url, fake } = await startSlack(handler);

    const response = await postSigned(url, body, { contentType: 'application/x-www-form-urlencoded; charset=utf-8' });

    expect(response.status).toBe(200);
    expect((await fake.waitFor(() => handler.calls[0])).input).toBe('restore 7k3q to shop/live --no-safety-backup');
  });

  it('delivers the update still waiting for its turn when closed, then answers 503', async () => {
    const handler = new RecordingChatHandler({
      command: async (_caller, _text, output) => {
        await output.update({ outcome: 'ok', text: 'Backing up: 10%' });
        await output.update({ outcome: 'ok', text: 'Backup 7k3q completed' });
      },
    });
    const { url, fake, slack, front, answered } = await startSlack(handler);
    await postSigned(url, body);
    await (await fake.waitFor(() => handler.calls[0])).done;

    await front.refuseChat();
    await slack.close();

    expect(fake.callsTo('chat.postMessage').map(text)).toEqual(['Backing up: 10%']);
    expect(fake.callsTo('chat.update').map(text)).toEqual(['Backup 7k3q completed']);
    const response = await postSigned(url, body);
    expect(response.status).toBe(503);
    expect((await answered.reached(2)).map((a) => [a.status, a.delivered])).toEqual([
      [200, true],
      [503, false],
    ]);
    expect(handler.calls).toHaveLength(1);
  });

  it('answers 503 on /slack/events once the front refuses chat, still serving the other routes', async () => {
    const handler = new RecordingChatHandler();
    const { url, fake, front, answered } = await startSlack(handler);
    await front.refuseChat();

    const response = await postSigned(url, body);
    const api = await fetch(`${url}/api/v1/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ still: 'served' }),
    });

    expect(response.status).toBe(503);
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ echo: { still: 'served' } });
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 503, delivered: false }]);
    expect(handler.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('starts no work for a request acknowledged after it was closed', async () => {
    const handler = new RecordingChatHandler();
    const { url, fake, slack, logs, answered, settled } = await startSlack(handler);
    await slack.close();

    // The front had not yet been told to refuse: Slack has its 200, but nothing runs.
    const response = await postSigned(url, body);
    expect(response.status).toBe(200);
    expect(await answered.reached(1)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    await settled.reached(1);
    expect(logs).toContain('slack: a request acknowledged while stopping was not started');
    expect(handler.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});

describe('Slack adapter: a request delivered twice runs once', () => {
  let shared: Awaited<ReturnType<typeof sharedStateDatabase>>;
  beforeAll(async () => {
    shared = await sharedStateDatabase('slack_replays');
  });
  afterAll(async () => {
    await shared?.drop();
  });
  const replayLog =
    "http: a request to /slack/events had been delivered before (a replay, or the platform's retry): acknowledged " +
    'again, not started again';
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('the same signed slash command posted twice is acknowledged twice alike, runs once, and the copy is logged', async () => {
    const handler = new RecordingChatHandler();
    const state = await shared.open();
    const { url, logs, answered, settled } = await startSlack(handler, new DeliveredChatRequests(state.db));
    const body = formBody(slashCommand({ text: 'create db' }));
    const timestamp = nowSeconds();

    const first = await postSigned(url, body, { timestamp });
    const again = await postSigned(url, body, { timestamp });

    expect([first.status, await first.text()]).toEqual([200, '']);
    expect([again.status, await again.text()]).toEqual([200, '']);
    // Both copies' records race (the second may arrive before the first is recorded): one of them is the delivery.
    const answers = await answered.reached(2);
    expect(answers.filter((a) => a.delivered)).toEqual([{ path: '/slack/events', status: 200, delivered: true }]);
    expect(answers.filter((a) => !a.delivered)).toEqual([
      { path: '/slack/events', status: 200, delivered: false, replay: true },
    ]);
    await settled.reached(1);
    expect(handler.calls.map((c) => c.input)).toEqual(['create db']);
    expect(logs).toContain(replayLog);
  });

  it("Slack's retry of a request (x-slack-retry-num, a new timestamp and signature) does not run it again", async () => {
    const handler = new RecordingChatHandler();
    const state = await shared.open();
    const { url, logs, answered, settled } = await startSlack(handler, new DeliveredChatRequests(state.db));
    const body = formBody(slashCommand({ text: 'restore 7k3q to shop/live' }));

    expect((await postSigned(url, body, { timestamp: nowSeconds() - 4 })).status).toBe(200);
    await answered.reached(1);
    const retry = await postSigned(url, body, {
      timestamp: nowSeconds(),
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });

    expect([retry.status, await retry.text()]).toEqual([200, '']);
    expect((await answered.reached(2))[1]).toEqual({
      path: '/slack/events',
      status: 200,
      delivered: false,
      replay: true,
    });
    await settled.reached(1);
    expect(handler.calls.map((c) => c.input)).toEqual(['restore 7k3q to shop/live']);
    expect(logs).toContain(replayLog);
  });

  it('two instances sharing the state database receive the same requests at once: each runs once, on one of them', async () => {
    const handlers = [new RecordingChatHandler(), new RecordingChatHandler()];
    const instances: Running[] = [];
    for (const handler of handlers) {
      // Each instance with its own connection to the shared database, as separate `serve` processes have.
      const state = await shared.open();
      instances.push(await startSlack(handler, new DeliveredChatRequests(state.db)));
    }
    const bodies = ['create db', 'create media', 'restore 7k3q to shop/live', 'pin 7k3q', 'verify 7k3q'].map((text) =>
      formBody(slashCommand({ text })),
    );
    const timestamp = nowSeconds();

    const responses = await Promise.all(
      bodies.flatMap((body) => instances.map((instance) => postSigned(instance.url, body, { timestamp }))),
    );

    expect(responses.map((r) => r.status)).toEqual(bodies.flatMap(() => [200, 200]));
    const answers = (await Promise.all(instances.map((instance) => instance.answered.reached(bodies.length)))).flat();
    expect(answers.filter((a) => a.delivered)).toHaveLength(bodies.length);
    expect(answers.filter((a) => a.replay)).toHaveLength(bodies.length);
    const delivered = instances.map((instance) => instance.answered.seen.filter((a) => a.delivered).length);
    await Promise.all(instances.map((instance, i) => instance.settled.reached(delivered[i]!)));
    const ran = handlers.flatMap((handler) => handler.calls.map((c) => c.input)).sort();
    expect(ran).toEqual(['create db', 'create media', 'pin 7k3q', 'restore 7k3q to shop/live', 'verify 7k3q']);
  });
});

describe('Slack adapter: a request acknowledged while the state does not answer', () => {
  it('is not run, and whoever sent the command or clicked the button is told privately that nothing started', async () => {
    const handler = new RecordingChatHandler();
    // The state cut off: recording a delivery waits for an answer that never comes.
    const unanswered: DeliveredRequests = { recordDelivery: () => new Promise(() => {}) };
    const { url, fake, answered, logs } = await startSlack(handler, unanswered, { recordTimeoutMs: 200 });

    const responses = await Promise.all([
      postSigned(url, formBody(slashCommand({ user_id: 'U123', channel_id: 'C123', text: 'create db' }))),
      postSigned(url, payloadBody(blockActions({ user: 'U456', channel: 'C777', value: 'approve:r4x9ka' }))),
    ]);

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect((await answered.reached(2)).map((a) => a.delivered)).toEqual([false, false]);
    const told = await fake.waitFor(() => {
      const ephemerals = fake.callsTo('chat.postEphemeral');
      return ephemerals.length === 2 ? ephemerals : undefined;
    });
    expect(told.map((call) => [call.body['channel'], call.body['user']]).sort()).toEqual([
      ['C123', 'U123'],
      ['C777', 'U456'],
    ]);
    for (const call of told) expect(text(call)).toBe(`:x: ${notStartedText}`);
    expect(handler.calls).toEqual([]);
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
    expect(logs.filter((line) => line.includes('acknowledged but not started'))).toHaveLength(2);
  });
});

describe('createSlack', () => {
  it('refuses an empty signing secret or bot token, naming the config key', () => {
    const handler = new RecordingChatHandler();
    expect(() => createSlack({ signingSecret: '', botToken, handler, log: () => {} })).toThrow(
      'chat.slack.signingSecret is empty',
    );
    expect(() => createSlack({ signingSecret, botToken: ' ', handler, log: () => {} })).toThrow(
      'chat.slack.botToken is empty',
    );
  });

  /** The adapter alone, talking to a fake Web API, for what it does outside any request. */
  async function slackWithoutFront(handler = new RecordingChatHandler()) {
    const fake = await FakeSlackApi.start();
    cleanups.push(() => fake.close());
    const slack = createSlack({ signingSecret, botToken, apiUrl: fake.apiUrl, handler, log: () => {} });
    cleanups.push(() => slack.close());
    return { fake, slack };
  }

  it('gives the front its path and signing secret, and delivers what the front acknowledged to the handler', async () => {
    const handler = new RecordingChatHandler();
    const { fake, slack } = await slackWithoutFront(handler);

    expect(slack.endpoint.path).toBe('/slack/events');
    expect(slack.endpoint.settings).toEqual({ platform: 'slack', signingSecret });

    slack.endpoint.deliver({ body: slashCommand({ text: 'status', channel_id: 'C555' }) });
    const call = await fake.waitFor(() => handler.calls[0]);
    expect(call.input).toBe('status');
    expect(call.caller.channel).toBe('slack-channel:C555');
  });

  it('posts a message in a channel outside any command', async () => {
    const { fake, slack } = await slackWithoutFront();

    await slack.announcer.post('C999', { outcome: 'ok', text: 'Scheduled backup 7k3q completed' });

    const posted = fake.callsTo('chat.postMessage')[0];
    expect(posted?.body['channel']).toBe('C999');
    expect(text(posted)).toBe('Scheduled backup 7k3q completed');
    expect(posted?.token).toBe(botToken);
  });

  it('edits a card by the reference its announce gave, and knows its references from others', async () => {
    const { fake, slack } = await slackWithoutFront();
    const reference = 'C123:1700000000.000100';
    expect([slack.announcer.owns(reference), slack.announcer.owns('discord1.1.2.3.token')]).toEqual([true, false]);

    await slack.announcer.edit(reference, { outcome: 'ok', text: 'Expired at 10:30 UTC: nothing was restored.' });

    const edited = fake.callsTo('chat.update')[0];
    expect(edited?.body).toMatchObject({ channel: 'C123', ts: '1700000000.000100' });
    expect(text(edited)).toBe('Expired at 10:30 UTC: nothing was restored.');
  });
});
