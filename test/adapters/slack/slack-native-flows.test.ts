import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnsweredChatRequest } from '../../../adapters/http-front/http-front.ts';
import { createSlack, type SlackChat } from '../../../adapters/slack/slack-adapter.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { createBackup } from '../../../src/use-cases/create-backup.ts';
import { type ChatRig, startChatRig } from '../../support/chat.ts';
import { type TestEngine, target } from '../../support/engine.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { Occurrences } from '../../support/occurrences.ts';
import { FakeSlackApi, type SlackApiCall } from './fake-slack-api.ts';
import {
  appHomeOpened,
  blockActions,
  formBody,
  homeBlockActions,
  payloadBody,
  postSigned,
  signingSecret,
  slashCommand,
  viewSubmission,
} from './slack-requests.ts';

/**
 * Slack as its users expect it, end to end: signed slash commands, clicks, modal submissions and App Home events into
 * the HTTP front and the Slack adapter, the real chat handler and engine, and a fake of Slack's Web API recording what
 * Backstop sends: what goes to the channel and what to one person, confirm dialogs, mentions, the restore modal and
 * its submission, and the Home tab.
 */
const work = mkdtempSync(join(tmpdir(), 'backstop-slack-native-'));
const live = join(work, 'live');
const staging = join(work, 'staging');
let fake: FakeSlackApi;
let rig: ChatRig;
let engine: TestEngine;
let slack: SlackChat;
let closeFront: () => Promise<void>;
let answered: Occurrences<AnsweredChatRequest>;
const settled = new Occurrences<void>();
let base: string;
const logs: string[] = [];
/** The completed backup of shop/live the tests restore from. */
let backupId: string;

beforeAll(async () => {
  mkdirSync(live, { recursive: true });
  writeFileSync(join(live, 'logo.png'), 'live pixels');
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: true, channels: ['slack:C123'] }, staging: { protected: false } },
        access: {
          viewer: ['*'],
          operator: ['slack:UANA'],
          restorer: ['slack:UANA'],
          approver: ['slack:UBOB'],
        },
      },
    },
    targets: [target('shop', 'live', { mediaDir: live }, true), target('shop', 'staging', { mediaDir: staging })],
  });
  engine = rig.engine;
  fake = await FakeSlackApi.start();
  slack = createSlack({
    signingSecret,
    botToken: 'xoxb-test',
    apiUrl: fake.apiUrl,
    handler: rig.handler,
    log: (line) => logs.push(line),
    updateIntervalMs: 100,
    onSettled: settled.record,
  });
  const served = await serveBehindFront(express(), [slack.endpoint], logs, new DeliveredChatRequests(engine.state.db));
  closeFront = served.close;
  answered = served.answered;
  base = served.url;
}, 120_000);

afterAll(async () => {
  await closeFront?.();
  await slack?.close();
  await fake?.close();
  await rig?.close();
  rmSync(work, { recursive: true, force: true });
});

/** How many requests the tests sent to the front. */
let sent = 0;

/** Posts a signed request to the Slack endpoint, as Slack does. */
function post(body: string, options: Parameters<typeof postSigned>[2] = {}): Promise<Response> {
  sent += 1;
  return postSigned(base, body, options);
}

/** Resolves once the adapter is done with every request sent so far (their work ended, their messages sent). */
async function allSettled(): Promise<void> {
  await answered.reached(sent);
  await settled.reached(answered.seen.filter((a) => a.delivered).length, 60_000);
}

const text = (call: SlackApiCall | undefined) => String(call?.body['text'] ?? '');
const blocksOf = (call: SlackApiCall | undefined) => JSON.stringify(call?.body['blocks'] ?? call?.body['view']);
const callsSince = (method: string, before: number) => fake.callsTo(method).slice(before);

/** The buttons of a posted message's actions blocks. */
function buttonsOf(call: SlackApiCall | undefined): Array<Record<string, unknown>> {
  const blocks = (call?.body['blocks'] ?? []) as Array<{ type: string; elements?: Array<Record<string, unknown>> }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

describe('Slack: what the channel sees and what only the asker sees', () => {
  test('help, usage errors, unknown commands, refusals, "not found" and reads go to the asker alone', async () => {
    const posted = fake.callsTo('chat.postMessage').length;
    const told = fake.callsTo('chat.postEphemeral').length;
    const asked: Array<[string, string, string]> = [
      ['UANA', 'help', 'Commands:'],
      ['UANA', 'restor abc123', "did you mean 'restore'"],
      ['UANA', 'frobnicate', "unknown command 'frobnicate'"],
      ['UEVE', 'create media live', 'create needs the operator role on shop'],
      ['UANA', 'show zzzzzz', 'There is no'],
      ['UANA', 'list live', 'No backups of shop/live yet'],
    ];
    // One after another, so that their answers come in the order asked.
    for (const [user, words] of asked) {
      expect((await post(formBody(slashCommand({ user_id: user, text: words })))).status).toBe(200);
      await allSettled();
    }

    const ephemerals = callsSince('chat.postEphemeral', told);
    expect(ephemerals.map((c) => [c.body['channel'], c.body['user']])).toEqual(asked.map(([user]) => ['C123', user]));
    for (const [i, [, , expected]] of asked.entries()) expect(text(ephemerals[i])).toContain(expected);
    // The channel saw none of it: no message posted, none edited.
    expect(fake.callsTo('chat.postMessage')).toHaveLength(posted);
    expect(fake.callsTo('chat.update')).toEqual([]);
  }, 60_000);

  test('a backup shows in the channel from when its work starts, mentions who asked, and ends completed with Restore...', async () => {
    const posted = fake.callsTo('chat.postMessage').length;
    await post(formBody(slashCommand({ user_id: 'UANA', text: 'create media live "good state"' })));
    await allSettled();

    const [working, ...others] = callsSince('chat.postMessage', posted);
    expect(others).toEqual([]);
    expect(working?.body['channel']).toBe('C123');
    expect(text(working)).toBe('Working on `/backup create media live "good state"`...');
    expect(blocksOf(working)).toContain('Asked by <@UANA>: `/backup create media live \\"good state\\"`');
    const outcome = fake
      .callsTo('chat.update')
      .filter((c) => c.body['ts'] === working?.answer?.['ts'])
      .at(-1);
    expect(text(outcome)).toMatch(/^Backup \w+ of shop\/live completed: media /);
    backupId = /^Backup (\w+) /.exec(text(outcome))![1]!;
    expect(buttonsOf(outcome)).toEqual([
      expect.objectContaining({
        value: `download:${backupId}`,
        text: expect.objectContaining({ text: 'Prepare download' }),
      }),
      {
        type: 'button',
        action_id: 'backstop.restore-form.1',
        text: { type: 'plain_text', text: 'Restore...', emoji: true },
        value: `restore-form:${backupId}`,
        confirm: {
          title: { type: 'plain_text', text: 'Restore from this backup?', emoji: true },
          text: {
            type: 'plain_text',
            text: expect.stringContaining(`what to restore from backup ${backupId}`),
            emoji: true,
          },
          confirm: { type: 'plain_text', text: 'Choose', emoji: true },
          deny: { type: 'plain_text', text: 'Cancel', emoji: true },
        },
      },
    ]);
  }, 60_000);
});

describe('Slack: restore requests', () => {
  test("a request's card mentions who asked, and Approve and Deny ask first; the requester alone hears it waits", async () => {
    const posted = fake.callsTo('chat.postMessage').length;
    const told = fake.callsTo('chat.postEphemeral').length;
    await post(formBody(slashCommand({ user_id: 'UANA', text: `restore ${backupId}` })));
    await allSettled();

    const [card, ...others] = callsSince('chat.postMessage', posted);
    expect(others).toEqual([]);
    expect(text(card)).toMatch(new RegExp(`^\\*Restore request \\w+\\*: <@UANA> asks to restore backup ${backupId}`));
    const [approve, deny, withdraw] = buttonsOf(card);
    expect(approve).toMatchObject({
      text: { text: 'Approve' },
      style: 'primary',
      confirm: {
        title: { type: 'plain_text', text: 'Approve this restore?' },
        text: {
          type: 'plain_text',
          text: `Backup ${backupId} is restored into shop/live at once, overwriting its media. A safety backup of it is taken first.`,
        },
        confirm: { type: 'plain_text', text: 'Approve and restore' },
        deny: { type: 'plain_text', text: 'Cancel' },
        style: 'danger',
      },
    });
    expect(deny).toMatchObject({
      text: { text: 'Deny' },
      style: 'danger',
      confirm: { title: { text: 'Deny this restore?' }, confirm: { text: 'Deny' }, style: 'danger' },
    });
    expect(withdraw).toMatchObject({ text: { text: 'Withdraw' } });
    expect(withdraw?.['confirm']).toBeUndefined();
    const [waits] = callsSince('chat.postEphemeral', told);
    expect(waits?.body['user']).toBe('UANA');
    expect(text(waits)).toContain('shop/live is protected: restore request');

    // Withdrawn by her: the card names her as a mention.
    await post(
      payloadBody(
        blockActions({ user: 'UANA', messageTs: String(card?.answer?.['ts']), value: String(withdraw?.['value']) }),
      ),
    );
    await allSettled();
    const edited = fake
      .callsTo('chat.update')
      .filter((c) => c.body['ts'] === card?.answer?.['ts'])
      .at(-1);
    expect(text(edited)).toContain('Withdrawn by <@UANA>: nothing was restored.');
  }, 60_000);
});

describe('Slack: the restore modal', () => {
  /** A click on the completed backup's Restore... button, in #C123. */
  const clickRestore = (user: string) =>
    blockActions({ user, channel: 'C123', value: `restore-form:${backupId}`, actionId: 'backstop.restore-form.1' });

  test('Restore... opens a modal with what, where and a safety backup; someone who may not restore is told why', async () => {
    const click = clickRestore('UANA');
    await post(payloadBody(click));
    await allSettled();

    const [opened, ...others] = fake.callsTo('views.open');
    expect(others).toEqual([]);
    expect(opened?.body['trigger_id']).toBe(click['trigger_id']);
    const view = opened?.body['view'] as Record<string, unknown>;
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'backstop.form',
      title: { type: 'plain_text', text: `Restore ${backupId}` },
      submit: { type: 'plain_text', text: 'Restore' },
      close: { type: 'plain_text', text: 'Cancel' },
    });
    expect(JSON.parse(String(view['private_metadata']))).toEqual({ form: `restore:${backupId}`, channel: 'C123' });
    const [intro, parts, destination, safety] = view['blocks'] as Array<Record<string, unknown>>;
    expect(intro).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(JSON.stringify(intro)).toContain(`Backup *${backupId}* of shop/live`);
    const option = (label: string, value: string) => ({
      text: { type: 'plain_text', text: label, emoji: true },
      value,
    });
    // The backup holds media only: that is all there is to choose.
    expect(parts).toEqual({
      type: 'input',
      block_id: 'parts',
      label: { type: 'plain_text', text: 'What', emoji: true },
      element: {
        type: 'static_select',
        action_id: 'value',
        options: [option('Media only', 'media')],
        initial_option: option('Media only', 'media'),
      },
    });
    expect(destination).toMatchObject({
      type: 'input',
      block_id: 'destination',
      element: {
        type: 'static_select',
        options: [
          option('shop/live (where it was taken) (protected: needs approval)', 'shop/live'),
          option('shop/staging', 'shop/staging'),
        ],
        initial_option: option('shop/live (where it was taken) (protected: needs approval)', 'shop/live'),
      },
    });
    const ticked = option('Back up the destination first, so that this restore can be undone', 'yes');
    expect(safety).toEqual({
      type: 'input',
      block_id: 'safetyBackup',
      label: { type: 'plain_text', text: 'Safety backup', emoji: true },
      optional: true,
      element: { type: 'checkboxes', action_id: 'value', options: [ticked], initial_options: [ticked] },
    });

    // Eve may read backups but not restore them: no modal, she is told privately.
    const told = fake.callsTo('chat.postEphemeral').length;
    await post(payloadBody(clickRestore('UEVE')));
    await allSettled();
    expect(fake.callsTo('views.open')).toHaveLength(1);
    const [refusal] = callsSince('chat.postEphemeral', told);
    expect(refusal?.body['user']).toBe('UEVE');
    expect(text(refusal)).toContain('needs the restorer role on shop');
  }, 60_000);

  test('a submission with a mistake stays open with the error under its field, and nothing runs', async () => {
    const restoresBefore = await engine.state.db.selectFrom('restores').select('id').execute();
    const cases: Array<[string, Record<string, string | boolean | undefined>, Record<string, unknown>]> = [
      [
        'UANA',
        { parts: 'db', destination: 'shop/staging', safetyBackup: true },
        { parts: expect.stringContaining('holds media') },
      ],
      [
        'UANA',
        { parts: 'media', destination: 'blog/live', safetyBackup: true },
        { destination: 'Choose one of the environments of shop.' },
      ],
      [
        'UANA',
        { parts: 'media', destination: 'shop/test', safetyBackup: true },
        { destination: expect.stringContaining('test') },
      ],
      [
        'UEVE',
        { parts: 'media', destination: 'shop/staging', safetyBackup: true },
        { destination: expect.stringContaining('needs the restorer role on shop') },
      ],
    ];
    for (const [user, values, errors] of cases) {
      const response = await post(payloadBody(viewSubmission({ user, form: `restore:${backupId}`, values })));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ response_action: 'errors', errors });
    }
    await allSettled();
    // Nothing was delivered, queued or posted.
    expect(answered.seen.slice(-cases.length).map((a) => a.delivered)).toEqual(cases.map(() => false));
    expect(await engine.state.db.selectFrom('restores').select('id').execute()).toEqual(restoresBefore);
    // Eve's refusal is in the audit log, as every refusal is.
    const audit = await rig.chat.engine.audit.list({ app: 'shop' });
    expect(audit.find((e) => e.principal === 'slack:UEVE' && e.outcome === 'refused')).toMatchObject({
      action: `restore ${backupId} media to shop/staging`,
      detail: expect.stringContaining('needs the restorer role on shop'),
    });
  }, 60_000);

  test('a valid submission closes the modal and restores as the typed command does, shown in the channel', async () => {
    const posted = fake.callsTo('chat.postMessage').length;
    const values = { parts: 'media', destination: 'shop/staging', safetyBackup: true };
    const response = await post(payloadBody(viewSubmission({ user: 'UANA', form: `restore:${backupId}`, values })));
    expect([response.status, await response.text()]).toEqual([200, '']);
    await allSettled();

    expect(readFileSync(join(staging, 'logo.png'), 'utf8')).toBe('live pixels');
    const [working, ...others] = callsSince('chat.postMessage', posted);
    expect(others).toEqual([]);
    expect(working?.body['channel']).toBe('C123');
    expect(text(working)).toBe(`Working on \`/backup restore ${backupId} media to shop/staging\`...`);
    expect(blocksOf(working)).toContain('Asked by <@UANA>');
    const outcome = fake
      .callsTo('chat.update')
      .filter((c) => c.body['ts'] === working?.answer?.['ts'])
      .at(-1);
    expect(text(outcome)).toContain(`Restored media of backup ${backupId} into shop/staging.`);
    const [entry] = await rig.chat.engine.audit.list({ app: 'shop' });
    expect(entry).toMatchObject({
      principal: 'slack:UANA',
      action: `restore ${backupId} media to shop/staging`,
      outcome: 'ok',
    });
  }, 60_000);

  test('a submission into a protected environment asks for approval with a card, as the typed command does', async () => {
    const posted = fake.callsTo('chat.postMessage').length;
    const told = fake.callsTo('chat.postEphemeral').length;
    const values = { parts: 'media', destination: 'shop/live', safetyBackup: false };
    const response = await post(payloadBody(viewSubmission({ user: 'UANA', form: `restore:${backupId}`, values })));
    expect(response.status).toBe(200);
    await allSettled();

    const [card, ...others] = callsSince('chat.postMessage', posted);
    expect(others).toEqual([]);
    expect(card?.body['channel']).toBe('C123');
    expect(text(card)).toContain(`<@UANA> asks to restore backup ${backupId} into *shop/live* (protected)`);
    expect(blocksOf(card)).toContain('No safety backup is taken first.');
    expect(text(callsSince('chat.postEphemeral', told)[0])).toContain('shop/live is protected: restore request');
    const requests = await rig.chat.engine.requests.list({ apps: ['shop'], status: 'pending', limit: 10 });
    expect(requests.map((r) => [r.requestedBy, r.destEnv, r.safetyBackup])).toEqual([['slack:UANA', 'live', false]]);
  }, 60_000);
});

describe('Slack: the App Home tab', () => {
  /** The text of every block of the last Home tab published for `user`. */
  const homeOf = (user: string) => {
    const published = fake
      .callsTo('views.publish')
      .filter((c) => c.body['user_id'] === user)
      .at(-1);
    return published === undefined ? undefined : (published.body['view'] as { type: string; blocks: unknown[] });
  };

  test("shows each environment's latest backups, and the requests waiting for the approver's decision", async () => {
    const [request] = await rig.chat.engine.requests.list({ apps: ['shop'], status: 'pending', limit: 10 });
    for (const user of ['UBOB', 'UANA']) {
      expect((await post(JSON.stringify(appHomeOpened(user)), { contentType: 'application/json' })).status).toBe(200);
    }
    await allSettled();

    const bob = homeOf('UBOB');
    expect(bob?.type).toBe('home');
    const shown = JSON.stringify(bob);
    expect(shown).toContain('*shop*');
    expect(shown).toMatch(
      new RegExp(
        `\\*live\\* \\(protected\\): ${backupId} completed [^"]*, media [^"]*, on-demand, \\\\"good state\\\\"`,
      ),
    );
    expect(shown).toContain('*staging*: no backup yet');
    expect(shown).toContain('*Running now*\\nNothing is queued or running.');
    expect(shown).toContain('*Waiting for your approval* (1)');
    expect(shown).toContain(`*Restore request ${request!.id}*: <@UANA> asks to restore backup ${backupId}`);
    const buttons = (bob!.blocks as Array<{ type: string; elements?: Array<Record<string, unknown>> }>)
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    expect(buttons.map((b) => [b['value'], (b['confirm'] as { style?: string } | undefined)?.style])).toEqual([
      [`approve:${request!.id}`, 'danger'],
      [`deny:${request!.id}`, 'danger'],
    ]);

    // Ana asked for it and is no approver: it does not wait for her.
    const ana = JSON.stringify(homeOf('UANA'));
    expect(ana).toContain('*shop*');
    expect(ana).not.toContain('Waiting for your approval');
  }, 60_000);

  test('Approve on the Home tab restores, edits the channel card, and publishes the tab again without the request', async () => {
    const [request] = await rig.chat.engine.requests.list({ apps: ['shop'], status: 'pending', limit: 10 });
    writeFileSync(join(live, 'logo.png'), 'broken pixels');
    const published = fake.callsTo('views.publish').length;
    await post(payloadBody(homeBlockActions('UBOB', `approve:${request!.id}`)));
    await allSettled();

    expect(readFileSync(join(live, 'logo.png'), 'utf8')).toBe('live pixels');
    expect(await rig.chat.engine.requests.get(request!.id)).toMatchObject({
      status: 'approved',
      decidedBy: 'slack:UBOB',
    });
    expect(fake.callsTo('chat.update').some((c) => text(c).includes('asked by <@UANA>, approved by <@UBOB>'))).toBe(
      true,
    );
    const again = callsSince('views.publish', published);
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(again.every((c) => c.body['user_id'] === 'UBOB')).toBe(true);
    expect(JSON.stringify(again.at(-1)?.body['view'])).toContain('No restore request waits for you.');
  }, 60_000);

  test('shows the work queued and running, naming who asked', async () => {
    // No worker from here on: what is queued stays queued while the tab is shown.
    await rig.worker.stop();
    const { operation } = await createBackup(
      rig.chat.engine,
      { kind: 'chat', id: 'slack:UANA', also: [] },
      { app: 'shop', env: 'staging', note: 'nightly' },
    );
    await post(JSON.stringify(appHomeOpened('UEVE')), { contentType: 'application/json' });
    await allSettled();

    const eve = JSON.stringify(homeOf('UEVE'));
    expect(eve).toContain(`op ${operation.id}  backup`);
    expect(eve).toMatch(new RegExp(`op ${operation.id} [^"]* of shop/staging  queued since [^"]*  by <@UANA>`));
    // A viewer approves nothing: no such section for her.
    expect(eve).not.toContain('Waiting for your approval');

    // Cancelled by Ana, it says so in the channel; its status, shown to whoever asks, names her as a mention.
    const told = fake.callsTo('chat.postEphemeral').length;
    await post(formBody(slashCommand({ user_id: 'UANA', text: `cancel ${operation.id}` })));
    await allSettled();
    await post(formBody(slashCommand({ user_id: 'UEVE', text: `status ${operation.id}` })));
    await allSettled();
    const [status] = callsSince('chat.postEphemeral', told);
    expect(status?.body['user']).toBe('UEVE');
    expect(text(status)).toMatch(
      new RegExp(`^op ${operation.id} .* cancelled \\d{4}-[^ ]+ [^ ]+ UTC: cancelled by <@UANA>  by <@UANA>$`),
    );
  }, 60_000);
});
