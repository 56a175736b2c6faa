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

  test('the command is shown to members allowed to Manage Server, and its id and target options autocomplete', async () => {
    await registerDiscordCommands({ applicationId, botToken: 'bot-token', apiUrl: fake.apiUrl });
    const [command] = fake.requests[0]!.body as Array<{
      default_member_permissions: string;
      options: Array<{ name: string; options: Array<{ name: string; autocomplete?: boolean }> }>;
    }>;
    expect(command!.default_member_permissions).toBe('32'); // MANAGE_GUILD (1 << 5)
    const autocompleted = command!.options.flatMap((sub) =>
      sub.options.filter((option) => option.autocomplete === true).map((option) => `${sub.name} ${option.name}`),
    );
    expect(autocompleted).toEqual([
      'list target',
      'create target',
      'show id',
      'restore id',
      'restore to',
      'download id',
      'verify id',
      'drill id',
      'pin id',
      'unpin id',
      'prune target',
      'schedule target',
    ]);
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
