import { afterAll, beforeAll, expect, test } from 'vitest';
import { ChannelAnnouncements } from '../../commands/chat/channel-announcements.ts';
import { ChannelBindings } from '../../commands/chat/channel-bindings.ts';
import type { ChatAnnouncer, ChatMessage } from '../../commands/chat/chat-types.ts';
import { splitMentions } from '../../commands/chat/mention.ts';
import type { NewEvent } from '../../src/domain/events.ts';
import { makeEngine, makeStore, type TestEngine } from '../support/engine.ts';

let engine: TestEngine;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const made = await makeStore('directory');
  cleanup = made.cleanup;
  engine = await makeEngine({ store: made.store, targets: [] });
}, 60_000);

afterAll(async () => {
  await engine.close();
  await cleanup();
});

function recorder(prefix: string, failing = false): ChatAnnouncer & { posts: Array<[string, ChatMessage]> } {
  const posts: Array<[string, ChatMessage]> = [];
  return {
    channelPrefix: prefix,
    posts,
    async post(channel, message) {
      if (failing) throw new Error('channel_not_found');
      posts.push([channel, message]);
      return `${channel}:${posts.length}`;
    },
    owns: () => false,
    async edit() {
      throw new Error('announcements never edit');
    },
  };
}

test('scheduled results and missed backups reach the bound channels once; on-demand results and history do not', async () => {
  const record = (type: 'backup.succeeded' | 'backup.failed' | 'backup.missed', env: string, trigger: string) =>
    engine.ctx.events.record(
      {
        type,
        app: 'shop',
        env,
        subjectId: 'b1',
        data: { backupId: 'b1', app: 'shop', env, trigger, parts: 'db', reason: 'pg_dump failed', sizeBytes: 1000 },
        // One shape for the three types: the announcements read only the type, target and trigger.
      } as unknown as NewEvent,
      new Date(),
    );
  await record('backup.failed', 'live', 'scheduled'); // before start: history, not announced
  const bindings = new ChannelBindings({
    shop: {
      environments: { live: { channels: ['slack:CLIVE'] }, staging: { channels: ['discord:555'] } },
      channels: ['slack:CSHOP', 'discord:777'],
    },
    blog: { environments: { www: {} }, channels: ['slack:CBLOG'] },
  } as never);
  const slack = recorder('slack-channel:');
  const discord = recorder('discord-channel:');
  const announcements = new ChannelAnnouncements(engine.ctx, bindings, [slack, discord], 3_600_000);
  await announcements.start();

  await record('backup.succeeded', 'live', 'scheduled');
  await record('backup.succeeded', 'live', 'on-demand');
  await record('backup.missed', 'live', 'scheduled');
  expect(await announcements.tick()).toBe(6);
  expect(await announcements.tick()).toBe(0);
  await announcements.stop();

  expect(slack.posts.map(([channel]) => channel).sort()).toEqual(['CLIVE', 'CLIVE', 'CSHOP', 'CSHOP']);
  expect(discord.posts.map(([channel]) => channel)).toEqual(['777', '777']);
  expect(slack.posts[0]![1]).toMatchObject({ outcome: 'ok', text: expect.stringContaining('shop/live') });
  const missed = slack.posts.find(([, m]) => m.outcome === 'failed');
  expect(missed?.[1].text).toMatch(/missed|no scheduled backup/i);
});

test('a channel that cannot be reached is logged and the others still hear it', async () => {
  const bindings = new ChannelBindings({
    shop: { environments: { live: {} }, channels: ['slack:C1', 'discord:2'] },
  } as never);
  const broken = recorder('slack-channel:', true);
  const discord = recorder('discord-channel:');
  const announcements = new ChannelAnnouncements(engine.ctx, bindings, [broken, discord], 3_600_000);
  await engine.ctx.events.record(
    // An event as an older version may have recorded it: only the target.
    {
      type: 'backup.missed',
      app: 'shop',
      env: 'live',
      subjectId: null,
      data: { app: 'shop', env: 'live' },
    } as NewEvent,
    new Date(),
  );
  expect(await announcements.tick()).toBe(1);
  expect(discord.posts).toHaveLength(1);
  expect(engine.logs.some((line) => line.includes('channel_not_found'))).toBe(true);
});

test('a failed drill is announced in the bound channels, whoever asked for it written as a mention', async () => {
  const bindings = new ChannelBindings({ shop: { environments: { live: {} }, channels: ['slack:CDRILL'] } } as never);
  const slack = recorder('slack-channel:');
  const announcements = new ChannelAnnouncements(engine.ctx, bindings, [slack], 3_600_000);
  await announcements.start();
  await engine.ctx.events.record(
    {
      type: 'drill.failed',
      app: 'shop',
      env: 'live',
      subjectId: 'd1',
      data: {
        drillId: 'd1',
        backupId: 'b1',
        app: 'shop',
        env: 'live',
        trigger: 'on-demand',
        requestedBy: 'slack:UANA',
        reason: 'check "select false" did not hold',
        hint: 'Look at the check.',
      },
    },
    new Date(),
  );
  expect(await announcements.tick()).toBe(1);
  await announcements.stop();
  const [[channel, message]] = slack.posts as [[string, ChatMessage]];
  expect([channel, message.outcome]).toEqual(['CDRILL', 'failed']);
  const trigger = message.fields?.find((field) => field.label === 'Trigger');
  expect(splitMentions(trigger!.value)).toEqual([{ text: 'on demand, by ' }, { principal: 'slack:UANA' }]);
});
