import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type MountedDiscord, mountDiscord } from '../../../adapters/discord/discord-adapter.ts';
import type { ChatOutput } from '../../../commands/chat/chat-types.ts';
import { BackstopError } from '../../../src/backstop-error.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import {
  applicationId,
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
let server: Server;
let mounted: MountedDiscord;
let endpoint: string;

async function start(options: { updateIntervalMs?: number } = {}) {
  const app = express();
  mounted = mountDiscord(app, {
    publicKey: signer.publicKeyHex,
    applicationId,
    botToken,
    apiUrl: fake.apiUrl,
    handler,
    log: (line) => logs.push(line),
    clock: clock.now,
    ...options,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discord/interactions`;
}

beforeEach(async () => {
  fake = await new FakeDiscordApi().start();
  signer = new DiscordSigner();
  handler = new RecordingHandler();
  clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
  logs = [];
});

afterEach(async () => {
  await mounted?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fake.stop();
});

/** Posts an interaction signed as Discord signs it (at the clock's time unless told otherwise). */
async function post(interaction: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(interaction);
  const started = performance.now();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { ...signer.headers(body, clock.now()), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

const contentOf = (body: unknown) => (body as { content: string }).content;

describe('mountDiscord: request verification', () => {
  beforeEach(() => start());

  test('answers PING with PONG', async () => {
    const response = await post({ type: 1, id: '1', application_id: applicationId, token: 't', version: 1 });
    expect(response).toMatchObject({ status: 200, json: { type: 1 } });
  });

  test('refuses a forged signature with 401, tells nothing, and never runs the handler', async () => {
    const interaction = slashCommand('status');
    const forged = new DiscordSigner().headers(JSON.stringify(interaction), clock.now());
    const response = await post(interaction, forged);
    expect(response.status).toBe(401);
    expect(response.text).not.toMatch(/signature.*(bad|stale|missing)|ed25519|timestamp/i);
    await sleep(100);
    expect(handler.calls).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(logs).toContainEqual(expect.stringContaining('bad-signature'));
  });

  test('refuses a body changed after signing', async () => {
    const signed = signer.headers(JSON.stringify(slashCommand('status')), clock.now());
    const response = await post(slashCommand('restore', [{ name: 'id', type: 3, value: '7k3qx2' }]), signed);
    expect(response.status).toBe(401);
    await sleep(100);
    expect(handler.calls).toEqual([]);
  });

  test('refuses a timestamp older than five minutes, even with a valid signature', async () => {
    const interaction = slashCommand('status');
    const stale = signer.headers(JSON.stringify(interaction), new Date(clock.now().getTime() - 5 * 60_000 - 1000));
    const response = await post(interaction, stale);
    expect(response.status).toBe(401);
    await sleep(100);
    expect(handler.calls).toEqual([]);
    expect(logs).toContainEqual(expect.stringContaining('stale-timestamp'));
    // Four minutes is still fine.
    const fresh = signer.headers(JSON.stringify({ type: 1 }), new Date(clock.now().getTime() - 4 * 60_000));
    expect((await post({ type: 1 }, fresh)).status).toBe(200);
  });

  test('refuses a request without signature headers', async () => {
    const response = await fetch(endpoint, { method: 'POST', body: '{"type":1}' });
    expect(response.status).toBe(401);
  });

  test('answers a command other than /backup privately', async () => {
    const response = await post({ ...slashCommand('status'), data: { id: '1', name: 'other', type: 1 } });
    expect(response.json).toEqual({ type: 4, data: { content: 'Backstop only answers /backup.', flags: 64 } });
    expect(handler.calls).toEqual([]);
  });
});

describe('mountDiscord: /backup commands', () => {
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
    await fake.waitFor(() => fake.find('PATCH', original).some((e) => contentOf(e.body) === 'step 20'));
    await sleep(500);
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
    await fake.waitFor((requests) => requests.some((r) => r.method === 'PATCH' && contentOf(r.body) === 'second'));
    await sleep(50);
    expect(logs.some((line) => line.includes('could not edit the message'))).toBe(true);
    expect(logs.join('\n')).not.toContain('command-token');
  }, 30_000);
});

describe('mountDiscord: buttons', () => {
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
      throw new BackstopError('state-down', 'pool exhausted at db.internal:5432', {
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
    clock.advance(15 * 60);
    proceed();
    await fake.waitFor(() => fake.find('PATCH', `/channels/${channelId}/messages/121212121212121212`).length === 1);
  });
});

describe('mountDiscord: configuration and shutdown', () => {
  test('refuses a malformed public key or application id at start', () => {
    const app = express();
    const base = { publicKey: signer.publicKeyHex, applicationId, botToken, handler, log: () => {} };
    expect(() => mountDiscord(app, { ...base, publicKey: 'not-a-key' })).toThrow(/not an Ed25519 public key/);
    expect(() => mountDiscord(app, { ...base, applicationId: 'shop' })).toThrow(/applicationId/);
    expect(() => mountDiscord(app, { ...base, botToken: ' ' })).toThrow(/botToken/);
  });

  test('close waits for a running command and sends its last update; later requests get 503', async () => {
    await start({ updateIntervalMs: 5000 });
    handler.script = async (output) => {
      await output.update({ outcome: 'ok', text: 'one' });
      void output.update({ outcome: 'ok', text: 'two' });
    };
    await post(slashCommand('status'));
    await fake.waitFor(() => fake.find('PATCH', /@original$/).length === 1);
    await mounted.close();
    expect(fake.find('PATCH', /@original$/).map((e) => contentOf(e.body))).toEqual(['one', 'two']);
    expect((await post({ type: 1 })).status).toBe(503);
  });
});
