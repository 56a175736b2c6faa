import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { discordCommands } from '../../../adapters/discord/discord-commands.ts';
import { registerDiscordCommands } from '../../../adapters/discord/register-commands.ts';
import { applicationId, FakeDiscordApi } from './discord-fakes.ts';

let fake: FakeDiscordApi;
beforeEach(async () => {
  fake = await new FakeDiscordApi().start();
});
afterEach(() => fake.stop());

describe('registerDiscordCommands', () => {
  test('PUTs the command list to the global route with the bot token and resolves to what Discord answered', async () => {
    const answer = await registerDiscordCommands({ applicationId, botToken: 'bot-token', apiUrl: fake.apiUrl });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'PUT',
      path: `/api/v10/applications/${applicationId}/commands`,
      authorization: 'Bot bot-token',
      body: JSON.parse(JSON.stringify(discordCommands())),
    });
    expect(answer).toEqual([expect.objectContaining({ name: 'backup', id: expect.stringMatching(/^\d+$/) })]);
  });

  test('PUTs to one server with --guild', async () => {
    await registerDiscordCommands({ applicationId, botToken: 'bot-token', apiUrl: fake.apiUrl, guildId: '123456' });
    expect(fake.requests[0]).toMatchObject({
      method: 'PUT',
      path: `/api/v10/applications/${applicationId}/guilds/123456/commands`,
      body: JSON.parse(JSON.stringify(discordCommands())),
    });
  });

  test('a refusal rejects with a message saying what to check', async () => {
    fake.fail(() => true, 401, { message: '401: Unauthorized', code: 0 });
    await expect(registerDiscordCommands({ applicationId, botToken: 'wrong', apiUrl: fake.apiUrl })).rejects.toThrow(
      expect.objectContaining({ code: 'discord-register', userMessage: expect.stringContaining('botToken') }),
    );
  });
});
