import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type DeliveredRequests, notStartedText } from '../../../adapters/chat-platform/chat-platform.ts';
import { createDiscord, type DiscordChat } from '../../../adapters/discord/discord-adapter.ts';
import { encodeDiscordReference } from '../../../adapters/discord/discord-reference.ts';
import type { ChatSuggestions, SuggestionSlot } from '../../../commands/chat/chat-suggestions.ts';
import type { ChatCaller, ChatOutput } from '../../../commands/chat/chat-types.ts';
import { BackstopError } from '../../../src/domain/backstop-error.ts';
import { DeliveredChatRequests } from '../../../src/state/delivered-chat-requests.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { Occurrences } from '../../support/occurrences.ts';
import { sharedStateDatabase } from '../../support/shared-state.ts';
import {
  applicationId,
  autocomplete,
  buttonClick,
  channelId,
  DiscordSigner,
  dmChannelId,
  FakeDiscordApi,
  RecordingHandler,
  slashCommand,
  sleep,
  userId,
} from './discord-fakes.ts';

const botToken = 'bot-token-for-tests';

let fake: FakeDiscordApi;
let signer: DiscordSigner;
let handler: RecordingHandler;
let clock: ManualClock;
let logs: string[];
let served: Awaited<ReturnType<typeof serveBehindFront>> | undefined;
let discord: DiscordChat | undefined;
let endpoint: string;
/** One per delivery the adapter is done with (its work ended, or none was started). */
let settled: Occurrences<void>;

/**
 * The adapter behind the HTTP front, as `backstop serve` runs it; the front's log lines go to `logs` as well.
 * `delivered` is the record of delivered requests (a state's, or by default one in memory for this instance alone).
 */
async function start(
  options: {
    updateIntervalMs?: number;
    delivered?: DeliveredRequests;
    recordTimeoutMs?: number;
    suggestions?: ChatSuggestions;
  } = {},
) {
  const { delivered, recordTimeoutMs, ...adapterOptions } = options;
  settled = new Occurrences<void>();
  discord = createDiscord({
    publicKey: signer.publicKeyHex,
    applicationId,
    botToken,
    apiUrl: fake.apiUrl,
    handler,
    log: (line) => logs.push(line),
    clock: clock.now,
    onSettled: settled.record,
    ...adapterOptions,
  });
  served = await serveBehindFront(express(), [discord.endpoint], logs, delivered, {
    ...(recordTimeoutMs !== undefined && { recordTimeoutMs }),
  });
  endpoint = `${served.url}/discord/interactions`;
}

beforeEach(async () => {
  fake = await new FakeDiscordApi().start();
  signer = new DiscordSigner();
  handler = new RecordingHandler();
  clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
  logs = [];
});

afterEach(async () => {
  await served?.close();
  await discord?.close();
  served = undefined;
  discord = undefined;
  await fake.stop();
});

/**
 * Posts an interaction signed as Discord signs it, at the system's time unless told otherwise: the front checks a
 * signature's age on its own thread against the system clock, never the manual one.
 */
async function post(interaction: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(interaction);
  const started = performance.now();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { ...signer.headers(body, new Date()), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

const contentOf = (body: unknown) => (body as { content: string }).content;

/** Waits until `predicate` holds: a delivery reaches the adapter a moment after the front has answered. */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

const refusalLog = (reason: string) => `discord: refused a request to /discord/interactions (${reason})`;

/** Resolves once the front has answered `count` requests in all, handing the adapter nothing. */
async function answeredWithoutDelivery(count: number, status: number): Promise<void> {
  const answered = await served!.answered.reached(count);
  expect(answered.at(-1)).toEqual({ path: '/discord/interactions', status, delivered: false });
}

describe('createDiscord behind the front: request verification', () => {
  beforeEach(() => start());

  test('answers PING with PONG', async () => {
    const response = await post({ type: 1, id: '1', application_id: applicationId, token: 't', version: 1 });
    expect(response).toMatchObject({ status: 200, json: { type: 1 } });
  });

  test('refuses a forged signature with 401, tells nothing, and never runs the handler', async () => {
    const interaction = slashCommand('status');
    const forged = new DiscordSigner().headers(JSON.stringify(interaction), new Date());
    const response = await post(interaction, forged);
    expect(response.status).toBe(401);
    expect(response.text).not.toMatch(/signature.*(bad|stale|missing)|ed25519|timestamp/i);
    await answeredWithoutDelivery(1, 401);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(logs).toContain(refusalLog('bad-signature'));
  });

  test('refuses a body changed after signing', async () => {
    const signed = signer.headers(JSON.stringify(slashCommand('status')), new Date());
    const response = await post(slashCommand('restore', [{ name: 'id', type: 3, value: '7k3qx2' }]), signed);
    expect(response.status).toBe(401);
    await answeredWithoutDelivery(1, 401);
    expect(handler.calls).toEqual([]);
    expect(logs).toContain(refusalLog('bad-signature'));
  });

  test('refuses a timestamp older than five minutes (system time), even with a valid signature', async () => {
    const interaction = slashCommand('status');
    const stale = signer.headers(JSON.stringify(interaction), new Date(Date.now() - 5 * 60_000 - 1000));
    const response = await post(interaction, stale);
    expect(response.status).toBe(401);
    await answeredWithoutDelivery(1, 401);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(logs).toContain(refusalLog('stale-timestamp'));
    // Four minutes is still fine.
    const fresh = signer.headers(JSON.stringify({ type: 1 }), new Date(Date.now() - 4 * 60_000));
    expect((await post({ type: 1 }, fresh)).status).toBe(200);
  });

  test('refuses a timestamp more than five minutes ahead (system time), even with a valid signature', async () => {
    const interaction = slashCommand('status');
    const ahead = signer.headers(JSON.stringify(interaction), new Date(Date.now() + 60 * 60_000));
    const response = await post(interaction, ahead);
    expect(response.status).toBe(401);
    await answeredWithoutDelivery(1, 401);
    expect(handler.calls).toEqual([]);
    expect(logs).toContain(refusalLog('stale-timestamp'));
    // Four minutes ahead is still fine (a clock a little behind Discord's).
    const fresh = signer.headers(JSON.stringify({ type: 1 }), new Date(Date.now() + 4 * 60_000));
    expect((await post({ type: 1 }, fresh)).status).toBe(200);
  });

  test('goes by the system time, not the adapter clock, for a signature', async () => {
    // The manual clock is far from now; a request signed at the system's time is fresh all the same.
    clock.advance(365 * 24 * 3600);
    expect((await post({ type: 1 })).status).toBe(200);
  });

  test('refuses a request without signature headers', async () => {
    const response = await fetch(endpoint, { method: 'POST', body: '{"type":1}' });
    expect(response.status).toBe(401);
    await expect.poll(() => logs).toContain(refusalLog('missing-signature'));
  });

  test('answers a command other than /backup privately', async () => {
    const response = await post({ ...slashCommand('status'), data: { id: '1', name: 'other', type: 1 } });
    expect(response.json).toEqual({ type: 4, data: { content: 'Backstop only answers /backup.', flags: 64 } });
    await answeredWithoutDelivery(1, 200);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  test('refuses a signed interaction without a user, channel or token with 400, and runs nothing', async () => {
    const { member: _member, ...withoutUser } = slashCommand('status');
    const response = await post(withoutUser);
    expect(response.status).toBe(400);
    await answeredWithoutDelivery(1, 400);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(logs).toContain(refusalLog('no user, channel or token'));
  });
});

describe('createDiscord behind the front: /backup commands', () => {
  test('defers at once although the handler takes 5 s, then edits the reply with what the handler says', async () => {
    await start();
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'Backing up *shop/live*…' });
      await sleep(5000);
      await output.update({ outcome: 'ok', text: 'Backup 7k3qx2 of *shop/live* completed' });
    };
    const response = await post(
      slashCommand('create', [
        { name: 'note', type: 3, value: 'before deploy' },
        { name: 'target', type: 3, value: 'shop/live' },
        { name: 'parts', type: 3, value: 'db' },
      ]),
    );
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ type: 5 });
    expect(response.ms).toBeLessThan(3000); // Discord's bound for the first answer
    await until(() => handler.calls.length > 0);
    expect(handler.calls).toEqual([
      {
        kind: 'command',
        caller: {
          platform: 'discord',
          user: `discord:${userId}`,
          groups: ['discord-role:777', 'discord-role:778'],
          channel: `discord-channel:${channelId}`,
        },
        input: 'create db shop/live "before deploy"',
      },
    ]);
    const original = `/webhooks/${applicationId}/command-token/messages/@original`;
    await fake.waitFor(() => fake.find('PATCH', original).length === 2);
    const edits = fake.find('PATCH', original);
    expect(edits.map((e) => contentOf(e.body))).toEqual([
      'Backing up **shop/live**…',
      'Backup 7k3qx2 of **shop/live** completed',
    ]);
    expect(edits[0]!.body).toMatchObject({ allowed_mentions: { parse: [] }, embeds: [], components: [] });
    // The interaction token is the credential: the bot token never goes to webhook routes.
    expect(edits.every((e) => e.authorization === undefined)).toBe(true);
  }, 15_000);

  test('throttles updates: the first and the last go out, in order, no faster than the interval', async () => {
    await start({ updateIntervalMs: 400 });
    let last: Promise<void> = Promise.resolve();
    handler.script = async (output) => {
      for (let i = 1; i <= 20; i += 1) {
        last = output.update({ outcome: 'ok', text: `step ${i}` });
        await sleep(30);
      }
      await last;
    };
    await post(slashCommand('status'));
    const original = `/webhooks/${applicationId}/command-token/messages/@original`;
    // Done once the handler has returned and its last update went out: no edit can follow.
    await settled.reached(1);
    const edits = fake.find('PATCH', original);
    const steps = edits.map((e) => Number(contentOf(e.body).split(' ')[1]));
    expect(steps[0]).toBe(1);
    expect(steps.at(-1)).toBe(20);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    // 20 updates, far fewer edits: no two closer than the interval (less a margin for network jitter).
    expect(steps.length).toBeLessThan(20);
    for (let i = 1; i < edits.length; i += 1) {
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(300);
    }
  });

  test('private is an ephemeral follow-up; announce posts publicly and edit changes that message', async () => {
    await start();
    let reference = '';
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'Restore of 7k3qx2 into shop/live needs approval' });
      await output.private({ outcome: 'ok', text: 'Only you see this' });
      reference = await output.announce({
        outcome: 'ok',
        text: '*Approval needed*',
        buttons: [
          { action: 'approve:r1', label: 'Approve', style: 'primary' },
          { action: 'deny:r1', label: 'Deny', style: 'danger' },
        ],
      });
      await output.edit(reference, { outcome: 'ok', text: 'Approved by <@999>' });
    };
    await post(slashCommand('restore', [{ name: 'id', type: 3, value: '7k3qx2' }]));
    await fake.waitFor(() => fake.find('PATCH', /\/messages\/\d+$/).length === 1);

    const followUps = fake.find('POST', `/webhooks/${applicationId}/command-token`);
    expect(followUps).toHaveLength(2);
    expect(followUps[0]!.body).toMatchObject({ content: 'Only you see this', flags: 64 });
    expect(followUps[1]!.body).not.toHaveProperty('flags');
    expect(followUps[1]!.body).toMatchObject({
      content: '**Approval needed**',
      components: [
        {
          type: 1,
          components: [
            { type: 2, custom_id: 'approve:r1', label: 'Approve', style: 1 },
            { type: 2, custom_id: 'deny:r1', label: 'Deny', style: 4 },
          ],
        },
      ],
    });
    const [edit] = fake.find('PATCH', /\/messages\/\d+$/);
    expect(reference).toContain('command-token');
    expect(edit!.path).toMatch(new RegExp(`/webhooks/${applicationId}/command-token/messages/\\d+$`));
    expect(reference).toContain(edit!.path.split('/').at(-1));
    expect(edit!.body).toMatchObject({
      content: 'Approved by <@999>',
      components: [],
      allowed_mentions: { parse: [] },
    });
  });

  test('removes the "thinking…" placeholder when the command only answered privately', async () => {
    await start();
    handler.script = async (output) => {
      await output.private({ outcome: 'refused', text: 'create needs the operator role for shop' });
    };
    await post(slashCommand('create'));
    await fake.waitFor(() => fake.find('DELETE', /@original$/).length === 1);
    expect(fake.find('DELETE', `/webhooks/${applicationId}/command-token/messages/@original`)).toHaveLength(1);
  });

  test('a handler that throws: the reply says so without details, the log has them', async () => {
    await start();
    handler.script = async () => {
      throw new Error('connection to state refused: postgres://secret@db');
    };
    await post(slashCommand('status'));
    await fake.waitFor(() => fake.find('PATCH', /@original$/).length === 1);
    const [edit] = fake.find('PATCH', /@original$/);
    expect(contentOf(edit!.body)).toContain('internal error');
    expect(contentOf(edit!.body)).not.toContain('secret');
    expect(logs).toContainEqual(expect.stringContaining('connection to state refused'));
  });

  test('after the 15-minute token expires, edits and posts go through the bot', async () => {
    await start();
    let proceed!: () => void;
    const expired = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    let reference = '';
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'Backing up…' });
      reference = await output.announce({ outcome: 'ok', text: 'card' });
      await expired;
      await output.update({ outcome: 'ok', text: 'Backup completed' });
      await output.private({ outcome: 'ok', text: 'your links' });
      await output.edit(reference, { outcome: 'ok', text: 'card expired' });
    };
    await post(slashCommand('create'));
    await fake.waitFor(() => fake.find('POST', /^\/webhooks\//).length === 1);
    clock.advance(16 * 60);
    proceed();
    await fake.waitFor(() => fake.find('PATCH', /^\/channels\//).length === 2);

    const [update, edit] = fake.find('PATCH', /^\/channels\//);
    expect(update!.path).toMatch(new RegExp(`^/api/v10/channels/${channelId}/messages/\\d+$`));
    expect(contentOf(update!.body)).toBe('Backup completed');
    expect(update!.authorization).toBe(`Bot ${botToken}`);
    expect(fake.find('POST', '/users/@me/channels')[0]!.body).toEqual({ recipient_id: userId });
    expect(contentOf(fake.find('POST', `/channels/${dmChannelId}/messages`)[0]!.body)).toBe('your links');
    expect(edit!.path).toBe(`/api/v10/channels/${channelId}/messages/${reference.split('.')[3]}`);
    expect(contentOf(edit!.body)).toBe('card expired');
  });

  test('a refused edit is logged without the interaction token, and the next update still goes out', async () => {
    await start({ updateIntervalMs: 50 });
    fake.fail((r) => r.method === 'PATCH' && contentOf(r.body) === 'first', 500, { message: 'oops', code: 0 });
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'first' });
      await output.update({ outcome: 'ok', text: 'second' });
    };
    await post(slashCommand('status'));
    await settled.reached(1);
    expect(fake.requests.some((r) => r.method === 'PATCH' && contentOf(r.body) === 'second')).toBe(true);
    expect(logs.some((line) => line.includes('could not edit the message'))).toBe(true);
    expect(logs.join('\n')).not.toContain('command-token');
  }, 30_000);
});

describe('createDiscord behind the front: buttons', () => {
  test('a click is answered with a deferred update and reaches handler.action with the clicker', async () => {
    await start();
    let output: ChatOutput | undefined;
    handler.script = async (o) => {
      output = o;
      await o.update({ outcome: 'ok', text: 'Approved by <@999999999999999999>' });
    };
    const response = await post(buttonClick('approve:r1'));
    expect(response.json).toEqual({ type: 6 });
    expect(response.ms).toBeLessThan(3000);
    await until(() => handler.calls.length > 0);
    expect(handler.calls).toEqual([
      {
        kind: 'action',
        caller: {
          platform: 'discord',
          user: 'discord:999999999999999999',
          groups: ['discord-role:42'],
          channel: `discord-channel:${channelId}`,
        },
        input: 'approve:r1',
      },
    ]);
    expect(output).toBeDefined();
    await fake.waitFor(
      () => fake.find('PATCH', `/webhooks/${applicationId}/click-token/messages/@original`).length === 1,
    );
    const [edit] = fake.find('PATCH', /@original$/);
    expect(edit!.body).toMatchObject({ content: 'Approved by <@999999999999999999>', components: [] });
  });

  test('a click whose handler throws a BackstopError shows its userMessage privately to the clicker', async () => {
    await start();
    handler.script = async () => {
      throw new BackstopError('state-unavailable', 'pool exhausted at db.internal:5432', {
        userMessage: 'Backstop cannot reach its state database right now; try again in a minute.',
      });
    };
    await post(buttonClick('approve:r1'));
    await fake.waitFor(() => fake.find('POST', `/webhooks/${applicationId}/click-token`).length === 1);
    const [followUp] = fake.find('POST', `/webhooks/${applicationId}/click-token`);
    expect(followUp!.body).toMatchObject({
      content: 'Backstop cannot reach its state database right now; try again in a minute.',
      flags: 64,
    });
    expect(logs).toContainEqual(expect.stringContaining('pool exhausted'));
  });

  test('a click after the token expired edits the clicked message through the bot', async () => {
    await start();
    let proceed!: () => void;
    const later = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    handler.script = async (o) => {
      await later;
      await o.update({ outcome: 'ok', text: 'Expired' });
    };
    await post(buttonClick('deny:r1'));
    // The token's 15 minutes count from the delivery, read on the adapter clock: move it only once that happened.
    await until(() => handler.calls.length === 1);
    clock.advance(15 * 60);
    proceed();
    await fake.waitFor(() => fake.find('PATCH', `/channels/${channelId}/messages/121212121212121212`).length === 1);
  });
});

describe('createDiscord behind the front: autocomplete', () => {
  /** Suggestions that record what they were asked and answer with `answer`. */
  function recordingSuggestions(answer: (slot: SuggestionSlot, typed: string) => Promise<string[]>) {
    const asked: Array<{ caller: ChatCaller; slot: SuggestionSlot; typed: string; limits: unknown }> = [];
    const suggestions: ChatSuggestions = {
      async suggest(caller, slot, typed, limits) {
        asked.push({ caller, slot, typed, limits });
        return (await answer(slot, typed)).map((value) => ({ label: `label of ${value}`, value }));
      },
    };
    return { asked, suggestions };
  }

  test('is answered with the choices for the focused option, for the caller, within Discord limits', async () => {
    const { asked, suggestions } = recordingSuggestions(async (_, typed) => [`${typed}x2`, `${typed}y3`]);
    await start({ suggestions });
    const response = await post(autocomplete('restore', 'to', 'shop/st', [{ name: 'id', type: 3, value: '7k3qx2' }]));
    expect(response.json).toEqual({
      type: 8,
      data: {
        choices: [
          { name: 'label of shop/stx2', value: 'shop/stx2' },
          { name: 'label of shop/sty3', value: 'shop/sty3' },
        ],
      },
    });
    expect(asked).toEqual([
      {
        caller: {
          platform: 'discord',
          user: `discord:${userId}`,
          groups: ['discord-role:777', 'discord-role:778'],
          channel: `discord-channel:${channelId}`,
        },
        slot: { kind: 'target', command: 'restore' },
        typed: 'shop/st',
        limits: { count: 25, labelLength: 100, valueLength: 100 },
      },
    ]);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  test('suggestions that fail: no choices, and the log says why', async () => {
    const failing = recordingSuggestions(async () => {
      throw new Error('state database unreachable');
    });
    await start({ suggestions: failing.suggestions });
    const response = await post(autocomplete('verify', 'id', ''));
    expect(response.json).toEqual({ type: 8, data: { choices: [] } });
    expect(failing.asked).toHaveLength(1);
    expect(logs).toContainEqual(expect.stringContaining('state database unreachable'));
  });

  test('without suggestions, no choices', async () => {
    await start();
    expect((await post(autocomplete('pin', 'id', ''))).json).toEqual({ type: 8, data: { choices: [] } });
  });
});

describe('createDiscord behind the front: an interaction delivered twice runs once', () => {
  let shared: Awaited<ReturnType<typeof sharedStateDatabase>>;
  beforeAll(async () => {
    shared = await sharedStateDatabase('discord_replays');
  });
  afterAll(async () => {
    await shared?.drop();
  });
  const replayLog =
    "http: a request to /discord/interactions had been delivered before (a replay, or the platform's retry): " +
    'acknowledged again, not started again';

  test('the same signed interaction posted twice is deferred twice alike and runs once', async () => {
    await start({ delivered: new DeliveredChatRequests((await shared.open()).db) });
    const interaction = slashCommand('create', [{ name: 'target', type: 3, value: 'shop/live' }]);
    const headers = signer.headers(JSON.stringify(interaction), new Date());

    const first = await post(interaction, headers);
    const again = await post(interaction, headers);

    expect([first.status, first.json, again.status, again.json]).toEqual([200, { type: 5 }, 200, { type: 5 }]);
    const answers = await served!.answered.reached(2);
    expect(answers.filter((a) => a.delivered)).toHaveLength(1);
    expect(answers.filter((a) => a.replay)).toEqual([
      { path: '/discord/interactions', status: 200, delivered: false, replay: true },
    ]);
    await settled.reached(1);
    expect(handler.calls.map((c) => c.input)).toEqual(['create shop/live']);
    expect(logs).toContain(replayLog);
  });

  test('the same interaction id signed again at another time is a replay too', async () => {
    await start({ delivered: new DeliveredChatRequests((await shared.open()).db) });
    const click = buttonClick('approve:r4x9ka');
    const body = JSON.stringify(click);

    await post(click, signer.headers(body, new Date(Date.now() - 3000)));
    await served!.answered.reached(1);
    await post(click, signer.headers(body, new Date()));

    expect((await served!.answered.reached(2))[1]).toMatchObject({ delivered: false, replay: true });
    await settled.reached(1);
    expect(handler.calls.map((c) => c.input)).toEqual(['approve:r4x9ka']);
  });

  test('two instances sharing the state database receive the same interactions at once: each runs once', async () => {
    const instances: Array<{
      handler: RecordingHandler;
      settled: Occurrences<void>;
      adapter: DiscordChat;
      front: Awaited<ReturnType<typeof serveBehindFront>>;
    }> = [];
    for (let i = 0; i < 2; i += 1) {
      // Each instance with its own connection to the shared database, as separate `serve` processes have.
      const state = await shared.open();
      const own = { handler: new RecordingHandler(), settled: new Occurrences<void>() };
      const adapter = createDiscord({
        publicKey: signer.publicKeyHex,
        applicationId,
        botToken,
        apiUrl: fake.apiUrl,
        handler: own.handler,
        log: (line) => logs.push(line),
        onSettled: own.settled.record,
      });
      const front = await serveBehindFront(express(), [adapter.endpoint], logs, new DeliveredChatRequests(state.db));
      instances.push({ ...own, adapter, front });
    }
    const interactions = [
      slashCommand('list'),
      slashCommand('status'),
      buttonClick('approve:r4x9ka'),
      buttonClick('deny:r4x9kb'),
    ];
    try {
      const responses = await Promise.all(
        interactions.flatMap((interaction) => {
          const body = JSON.stringify(interaction);
          const headers = signer.headers(body, new Date());
          return instances.map((instance) =>
            fetch(`${instance.front.url}/discord/interactions`, { method: 'POST', headers, body }),
          );
        }),
      );

      expect(responses.map((r) => r.status)).toEqual(interactions.flatMap(() => [200, 200]));
      const answers = await Promise.all(
        instances.map((instance) => instance.front.answered.reached(interactions.length)),
      );
      expect(answers.flat().filter((a) => a.delivered)).toHaveLength(interactions.length);
      const delivered = answers.map((each) => each.filter((a) => a.delivered).length);
      await Promise.all(instances.map((instance, i) => instance.settled.reached(delivered[i]!)));
      const ran = instances.flatMap((instance) => instance.handler.calls.map((c) => c.input)).sort();
      expect(ran).toEqual(['approve:r4x9ka', 'deny:r4x9kb', 'list', 'status']);
    } finally {
      for (const instance of instances) {
        await instance.front.close();
        await instance.adapter.close();
      }
    }
  });
});

describe('createDiscord behind the front: an interaction acknowledged while the state does not answer', () => {
  test('is not run: its sender is told privately that nothing started, and a command loses its placeholder', async () => {
    // The state cut off: recording a delivery waits for an answer that never comes.
    await start({ delivered: { recordDelivery: () => new Promise(() => {}) }, recordTimeoutMs: 200 });
    const command = slashCommand('create', [{ name: 'target', type: 3, value: 'shop/live' }]);
    const click = buttonClick('approve:r4x9ka');

    const [commanded, clicked] = await Promise.all([post(command), post(click)]);

    expect([commanded.json, clicked.json]).toEqual([{ type: 5 }, { type: 6 }]);
    expect((await served!.answered.reached(2)).map((a) => a.delivered)).toEqual([false, false]);
    await fake.waitFor(
      () => fake.find('POST', /^\/webhooks\//).length === 2 && fake.find('DELETE', /@original$/).length === 1,
    );
    const told = fake.find('POST', /^\/webhooks\//);
    for (const followUp of told) {
      expect(followUp.body).toMatchObject({ flags: 64 });
      expect(contentOf(followUp.body)).toContain(notStartedText);
    }
    expect(told.map((followUp) => followUp.path).sort()).toEqual(
      [command, click]
        .map((interaction) => `/api/v10/webhooks/${applicationId}/${String(interaction['token'])}`)
        .sort(),
    );
    expect(fake.find('DELETE', /@original$/)[0]!.path).toBe(
      `/api/v10/webhooks/${applicationId}/${String(command['token'])}/messages/@original`,
    );
    expect(handler.calls).toEqual([]);
  });
});

describe('createDiscord behind the front: configuration and shutdown', () => {
  test('refuses a malformed public key or application id at start', () => {
    const base = { publicKey: signer.publicKeyHex, applicationId, botToken, handler, log: () => {} };
    expect(() => createDiscord({ ...base, publicKey: 'not-a-key' })).toThrow(/not an Ed25519 public key/);
    expect(() => createDiscord({ ...base, applicationId: 'shop' })).toThrow(/applicationId/);
    expect(() => createDiscord({ ...base, botToken: ' ' })).toThrow(/botToken/);
  });

  test('its endpoint is /discord/interactions with the public key for the front', () => {
    const chat = createDiscord({ publicKey: signer.publicKeyHex, applicationId, botToken, handler, log: () => {} });
    expect(chat.endpoint.path).toBe('/discord/interactions');
    expect(chat.endpoint.settings).toEqual({ platform: 'discord', publicKey: signer.publicKeyHex });
  });

  test('refuseChat makes later requests get 503; close waits for a running command and sends its last update', async () => {
    await start({ updateIntervalMs: 5000 });
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'one' });
      void output.update({ outcome: 'ok', text: 'two' });
    };
    await post(slashCommand('status'));
    await fake.waitFor(() => fake.find('PATCH', /@original$/).length === 1);
    await served!.front.refuseChat();
    expect((await post({ type: 1 })).status).toBe(503);
    expect((await post(slashCommand('status', [], { token: 'late-token' }))).status).toBe(503);
    await discord!.close();
    expect(fake.find('PATCH', /@original$/).map((e) => contentOf(e.body))).toEqual(['one', 'two']);
    expect(handler.calls).toHaveLength(1);
  });

  test('an interaction delivered after close is not started, and the log says so', async () => {
    await start();
    await discord!.close();
    discord!.endpoint.deliver({ interaction: slashCommand('status') });
    await settled.reached(1);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(logs).toContain('discord: an interaction acknowledged while stopping was not started');
  });
});

describe('createDiscord: outside any interaction', () => {
  test("edits a card by its reference: through the interaction's webhook while the token lasts, the bot after", async () => {
    await start();
    const announcer = discord!.announcer;
    const fresh = encodeDiscordReference({
      receivedAt: clock.now().getTime(),
      channelId: '333',
      messageId: '444',
      token: 'interaction-token',
    });
    const stale = encodeDiscordReference({
      receivedAt: clock.now().getTime() - 16 * 60 * 1000,
      channelId: '333',
      messageId: '555',
      token: 'interaction-token',
    });
    expect([announcer.owns(fresh), announcer.owns('C123:1700000000.000100')]).toEqual([true, false]);

    await announcer.edit(fresh, { outcome: 'ok', text: 'Expired at 10:30 UTC: nothing was restored.' });
    await announcer.edit(stale, { outcome: 'ok', text: 'Expired at 10:30 UTC: nothing was restored.' });

    const viaWebhook = fake.find('PATCH', `/webhooks/${applicationId}/interaction-token/messages/444`);
    const viaBot = fake.find('PATCH', '/channels/333/messages/555');
    expect(viaWebhook).toHaveLength(1);
    expect(viaBot).toHaveLength(1);
    expect(JSON.stringify(viaBot[0]!.body)).toContain('Expired at 10:30 UTC');
  });

  test('posts a card in a channel and answers its reference, which edits it through the bot', async () => {
    await start();
    const announcer = discord!.announcer;
    const reference = await announcer.post('333', { outcome: 'ok', text: 'Restore request r1: waiting' });
    expect(announcer.owns(reference)).toBe(true);
    const [posted] = fake.find('POST', '/channels/333/messages');
    expect(JSON.stringify(posted!.body)).toContain('Restore request r1');
    await announcer.edit(reference, { outcome: 'ok', text: 'Withdrawn by api:ci: nothing was restored.' });
    const edits = fake.find('PATCH', /^\/channels\/\d+\/messages\/\w+$/);
    expect(edits.map((edit) => JSON.stringify(edit.body))).toEqual([expect.stringContaining('Withdrawn by api:ci')]);
    expect(fake.find('PATCH', /webhooks/)).toEqual([]);
  });
});
