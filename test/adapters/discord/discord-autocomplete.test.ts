import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDiscord, type DiscordChat } from '../../../adapters/discord/discord-adapter.ts';
import { createChatSuggestions } from '../../../commands/chat/chat-suggestions.ts';
import type { BackupPart } from '../../../src/domain/backup.ts';
import { type ChatRig, startChatRig } from '../../support/chat.ts';
import { target } from '../../support/engine.ts';
import { serveBehindFront } from '../../support/http-front.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { applicationId, autocomplete, DiscordSigner, FakeDiscordApi, userId } from './discord-fakes.ts';

/**
 * Autocomplete through the real Discord endpoint: Ed25519-signed APPLICATION_COMMAND_AUTOCOMPLETE interactions into
 * the HTTP front (its own thread, as `backstop serve` runs it), answered with choices read on the main thread from a
 * real engine's catalog by the chat suggestions, as `serve` wires them, for the person typing.
 */
const now = new Date('2026-11-26T12:00:00Z');
const clock = new ManualClock(now);
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
const viewerOnly = { member: { user: { id: '121212121212121212', username: 'vic' }, roles: ['777'] } };
const nobody = { member: { user: { id: '131313131313131313', username: 'nia' }, roles: [] } };

let rig: ChatRig;
let fake: FakeDiscordApi;
let signer: DiscordSigner;
let discord: DiscordChat;
let served: Awaited<ReturnType<typeof serveBehindFront>>;

beforeAll(async () => {
  rig = await startChatRig({
    apps: {
      shop: {
        environments: { live: { protected: true }, staging: { protected: false } },
        // The typing user (roles 777 and 778) may restore on shop; role 777 alone only reads it.
        access: { viewer: ['discord-role:777'], restorer: [`discord:${userId}`] },
      },
      blog: { environments: { live: { protected: false } }, access: { viewer: ['discord:424242424242424242'] } },
    },
    targets: [
      target('shop', 'live', { mediaDir: '/nonexistent/shop-live' }, true),
      target('shop', 'staging', { mediaDir: '/nonexistent/shop-staging' }),
      target('blog', 'live', { mediaDir: '/nonexistent/blog-live' }),
    ],
    clock: clock.now,
  });
  fake = await new FakeDiscordApi().start();
  signer = new DiscordSigner();
  discord = createDiscord({
    publicKey: signer.publicKeyHex,
    applicationId,
    botToken: 'bot-token',
    apiUrl: fake.apiUrl,
    handler: rig.handler,
    suggestions: createChatSuggestions(rig.chat),
    log: () => {},
    clock: clock.now,
  });
  served = await serveBehindFront(express(), [discord.endpoint]);

  await backup('aaaa22', 'shop', 'live', 2, { parts: 'db+media', note: 'before deploy' });
  await backup('bbbb33', 'shop', 'staging', 3 * 24, { parts: 'db' });
  await backup('cccc44', 'shop', 'live', 0.5, { parts: 'db', failed: true });
  await backup('dddd55', 'shop', 'live', 5 * 24, { parts: 'media', note: 'keep: launch', pinned: true });
  await backup('eeee66', 'blog', 'live', 1, { parts: 'media', note: 'blog secret' });
}, 120_000);

afterAll(async () => {
  await served?.close();
  await discord?.close();
  await fake?.stop();
  await rig?.close();
});

/** A backup in the catalog as the worker leaves it, taken `hours` before now. */
async function backup(
  id: string,
  app: string,
  env: string,
  hours: number,
  options: { parts: string; note?: string; failed?: boolean; pinned?: boolean },
): Promise<void> {
  const { catalog } = rig.chat.engine;
  const created = hoursAgo(hours);
  const fields = { app, env, trigger: 'on-demand' as const, parts: options.parts, note: options.note ?? null };
  await catalog.insertBackup({ ...fields, requestedBy: `discord:${userId}` }, created, id);
  if (options.failed) {
    await catalog.failBackup(id, 'pg_dump failed', created);
    return;
  }
  const parts: BackupPart[] = options.parts.split('+').map((kind) => ({
    kind: kind as 'db' | 'media',
    key: `${app}/${env}/${id}/${kind}`,
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    storedSizeBytes: 1100,
    storedSha256: 'b'.repeat(64),
  }));
  await catalog.completeBackup(id, parts, created);
  if (options.pinned) await catalog.setPinned(id, true);
}

/** Posts a signed autocomplete interaction and returns what the front answered. */
async function ask(interaction: Record<string, unknown>): Promise<{ status: number; json: unknown }> {
  const body = JSON.stringify(interaction);
  const response = await fetch(`${served.url}/discord/interactions`, {
    method: 'POST',
    headers: signer.headers(body, new Date()),
    body,
  });
  return { status: response.status, json: await response.json() };
}

/** The choices of an APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (type 8); fails on any other answer. */
async function choices(interaction: Record<string, unknown>): Promise<Array<{ name: string; value: string }>> {
  const answer = await ask(interaction);
  expect(answer.status).toBe(200);
  expect(answer.json).toMatchObject({ type: 8, data: { choices: expect.any(Array) } });
  return (answer.json as { data: { choices: Array<{ name: string; value: string }> } }).data.choices;
}

describe('Discord autocomplete, answered from the state as the person types', () => {
  test('a backup id to restore: the completed backups they may read, newest first, with when, what and the note', async () => {
    expect(await choices(autocomplete('restore', 'id', ''))).toEqual([
      { name: 'aaaa22 · shop/live · 2 h ago · db+media · before deploy', value: 'aaaa22' },
      { name: 'bbbb33 · shop/staging · 3 d ago · db', value: 'bbbb33' },
      { name: 'dddd55 · shop/live · 5 d ago · media · pinned · keep: launch', value: 'dddd55' },
    ]);
  });

  test('show offers backups in any state; unpin only pinned ones', async () => {
    expect((await choices(autocomplete('show', 'id', ''))).map((c) => c.name)).toEqual([
      'cccc44 · shop/live · 30 min ago · db failed',
      'aaaa22 · shop/live · 2 h ago · db+media · before deploy',
      'bbbb33 · shop/staging · 3 d ago · db',
      'dddd55 · shop/live · 5 d ago · media · pinned · keep: launch',
    ]);
    expect((await choices(autocomplete('unpin', 'id', ''))).map((c) => c.value)).toEqual(['dddd55']);
    expect((await choices(autocomplete('pin', 'id', ''))).map((c) => c.value)).toEqual(['aaaa22', 'bbbb33']);
  });

  test('filtered by what was typed: the start of an id, or words of the note or target', async () => {
    expect((await choices(autocomplete('download', 'id', 'bb'))).map((c) => c.value)).toEqual(['bbbb33']);
    expect((await choices(autocomplete('verify', 'id', 'Deploy'))).map((c) => c.value)).toEqual(['aaaa22']);
    expect((await choices(autocomplete('restore', 'id', 'staging'))).map((c) => c.value)).toEqual(['bbbb33']);
    expect(await choices(autocomplete('restore', 'id', 'zzzz'))).toEqual([]);
  });

  test('targets: the destinations of a restore they may restore into; the protected one says so', async () => {
    const backupGiven = [{ name: 'id', type: 3, value: 'aaaa22' }];
    expect(await choices(autocomplete('restore', 'to', '', backupGiven))).toEqual([
      { name: 'shop/live · protected', value: 'shop/live' },
      { name: 'shop/staging', value: 'shop/staging' },
    ]);
    expect((await choices(autocomplete('list', 'target', 'stag'))).map((c) => c.value)).toEqual(['shop/staging']);
  });

  test('only what the caller may see: a viewer gets no targets to create or restore in, and nothing of blog', async () => {
    expect((await choices(autocomplete('list', 'target', '', [], viewerOnly))).map((c) => c.value)).toEqual([
      'shop/live',
      'shop/staging',
    ]);
    expect(await choices(autocomplete('create', 'target', '', [], viewerOnly))).toEqual([]);
    expect(await choices(autocomplete('restore', 'to', '', [], viewerOnly))).toEqual([]);
    const seen = await choices(autocomplete('show', 'id', '', [], viewerOnly));
    expect(seen.map((c) => c.value)).toEqual(['cccc44', 'aaaa22', 'bbbb33', 'dddd55']);
    expect(await choices(autocomplete('show', 'id', 'blog', [], viewerOnly))).toEqual([]);
  });

  test('someone granted nothing is offered nothing, and typing writes nothing to the audit log', async () => {
    const before = (await rig.chat.engine.audit.list({})).length;
    expect(await choices(autocomplete('show', 'id', '', [], nobody))).toEqual([]);
    expect(await choices(autocomplete('list', 'target', '', [], nobody))).toEqual([]);
    expect((await rig.chat.engine.audit.list({})).length).toBe(before);
  });

  test('an option that takes no choices, and a stale option name, get none', async () => {
    expect(await choices(autocomplete('cancel', 'id', ''))).toEqual([]);
    expect(await choices(autocomplete('restore', 'no_such_option', ''))).toEqual([]);
  });

  test('an autocomplete runs nothing: no handler, nothing sent to Discord, no delivery', async () => {
    const answeredBefore = served.answered.seen.length;
    await choices(autocomplete('restore', 'id', ''));
    const answered = await served.answered.reached(answeredBefore + 1);
    expect(answered.at(-1)).toEqual({ path: '/discord/interactions', status: 200, delivered: false });
    expect(fake.requests).toEqual([]);
  });

  test("at most 25 choices, each name within Discord's 100 characters", async () => {
    for (let i = 0; i < 30; i += 1) {
      await backup(`zz${String(i).padStart(4, '0')}`, 'shop', 'staging', 24 + i, {
        parts: 'db',
        note: `nightly export number ${i} ${'with a long explanation of why it was taken '.repeat(3)}`,
      });
    }
    const offered = await choices(autocomplete('restore', 'id', 'zz'));
    expect(offered).toHaveLength(25);
    expect(offered[0]!.value).toBe('zz0000');
    for (const choice of offered) {
      expect(choice.name.length).toBeLessThanOrEqual(100);
      expect(choice.name).toMatch(/^zz\d{4} · shop\/staging · \d+ (h|d) ago · db · nightly export .*…$/);
    }
  });
});
