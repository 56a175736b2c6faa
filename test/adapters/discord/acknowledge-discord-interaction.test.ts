import { describe, expect, test } from 'vitest';
import {
  acknowledgeDiscordInteraction,
  type DiscordRequest,
} from '../../../adapters/discord/acknowledge-discord-interaction.ts';
import { discordPublicKey } from '../../../adapters/discord/verify-discord-request.ts';
import { buttonClick, channelId, DiscordSigner, slashCommand, userId } from './discord-fakes.ts';

const now = new Date('2026-11-26T10:00:00Z');
const signer = new DiscordSigner();
const key = discordPublicKey(signer.publicKeyHex);

/** A request as the front reads it: `body` signed by `by` at `at` (the application's key, now, unless told). */
function signed(body: unknown, options: { by?: DiscordSigner; at?: Date } = {}): DiscordRequest {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = (options.by ?? signer).headers(raw, options.at ?? now);
  return {
    rawBody: Buffer.from(raw),
    signature: headers['x-signature-ed25519'],
    timestamp: headers['x-signature-timestamp'],
  };
}

const acknowledge = (request: DiscordRequest) => acknowledgeDiscordInteraction(request, key, now);

describe('acknowledgeDiscordInteraction: signatures', () => {
  test.each([
    ['a signature by another key', signed({ type: 1 }, { by: new DiscordSigner() }), 'bad-signature'],
    [
      'a body changed after signing',
      { ...signed(slashCommand('status')), rawBody: Buffer.from(JSON.stringify(slashCommand('create'))) },
      'bad-signature',
    ],
    ['a timestamp 5 min 1 s old', signed({ type: 1 }, { at: new Date(now.getTime() - 301_000) }), 'stale-timestamp'],
    ['a timestamp 5 min 1 s ahead', signed({ type: 1 }, { at: new Date(now.getTime() + 301_000) }), 'stale-timestamp'],
    [
      'no signature headers',
      { rawBody: Buffer.from('{"type":1}'), signature: undefined, timestamp: undefined },
      'missing-signature',
    ],
    ['no timestamp header', { ...signed({ type: 1 }), timestamp: undefined }, 'missing-signature'],
  ])('refuses %s with 401, a reason for the log, no detail and no delivery', (_, request, reason) => {
    const answer = acknowledge(request);
    expect(answer).toEqual({ status: 401, json: { error: 'invalid request signature' }, refused: reason });
    expect(answer).not.toHaveProperty('delivery');
    expect(JSON.stringify(answer.json)).not.toMatch(/bad|stale|missing|ed25519|timestamp/i);
  });

  test('a signed /backup that is stale runs nothing', () => {
    const answer = acknowledge(signed(slashCommand('create'), { at: new Date(now.getTime() - 10 * 60_000) }));
    expect(answer.status).toBe(401);
    expect(answer.delivery).toBeUndefined();
  });

  test('a timestamp four minutes old is still fine', () => {
    expect(acknowledge(signed({ type: 1 }, { at: new Date(now.getTime() - 4 * 60_000) })).status).toBe(200);
  });

  test('checks the signature against the time it is given, not the system clock', () => {
    const request = signed({ type: 1 });
    expect(acknowledgeDiscordInteraction(request, key, new Date(now.getTime() + 301_000))).toMatchObject({
      status: 401,
      refused: 'stale-timestamp',
    });
  });
});

describe('acknowledgeDiscordInteraction: answers', () => {
  test('PING gets PONG and nothing is delivered', () => {
    expect(acknowledge(signed({ type: 1, id: '1', token: 't', version: 1 }))).toEqual({
      status: 200,
      json: { type: 1 },
    });
  });

  test('PING needs no user, channel or token', () => {
    expect(acknowledge(signed({ type: 1 }))).toEqual({ status: 200, json: { type: 1 } });
  });

  test('/backup gets a deferred reply and is delivered as sent', () => {
    const interaction = slashCommand('create', [{ name: 'target', type: 3, value: 'shop/live' }]);
    expect(acknowledge(signed(interaction))).toEqual({
      status: 200,
      json: { type: 5 },
      delivery: { interaction },
    });
  });

  test('/backup in a DM (user and channel objects instead of member and channel_id) is delivered too', () => {
    const { member: _member, channel_id: _channel, ...rest } = slashCommand('status');
    const interaction = { ...rest, user: { id: userId }, channel: { id: channelId } };
    expect(acknowledge(signed(interaction))).toEqual({ status: 200, json: { type: 5 }, delivery: { interaction } });
  });

  test('another command gets a private "only /backup" message and nothing is delivered', () => {
    const answer = acknowledge(signed({ ...slashCommand('status'), data: { id: '1', name: 'other', type: 1 } }));
    expect(answer).toEqual({
      status: 200,
      json: { type: 4, data: { content: 'Backstop only answers /backup.', flags: 64 } },
    });
  });

  test('/backup restore gets a private deferred reply: it first asks its caller to confirm, privately', () => {
    const interaction = slashCommand('restore', [{ name: 'id', type: 3, value: '7k3qx2' }]);
    expect(acknowledge(signed(interaction))).toEqual({
      status: 200,
      json: { type: 5, data: { flags: 64 } },
      delivery: { interaction },
    });
  });

  test('an autocomplete of /backup is a question for the main thread, with no choices as the fallback', () => {
    const interaction = { ...slashCommand('restore', [{ name: 'id', type: 3, value: '7k', focused: true }]), type: 4 };
    expect(acknowledge(signed(interaction))).toEqual({
      status: 200,
      json: { type: 8, data: { choices: [] } },
      question: { interaction },
    });
  });

  test('an autocomplete of another command gets no choices and asks nothing', () => {
    const interaction = { ...slashCommand('status'), type: 4, data: { id: '1', name: 'other', type: 1 } };
    expect(acknowledge(signed(interaction))).toEqual({ status: 200, json: { type: 8, data: { choices: [] } } });
  });

  test('a button click gets a deferred update and is delivered as sent', () => {
    const interaction = buttonClick('approve:r1');
    expect(acknowledge(signed(interaction))).toEqual({
      status: 200,
      json: { type: 6 },
      delivery: { interaction },
    });
  });

  test('only /backup and clicks carry a delivery', () => {
    const delivered = [
      { type: 1 },
      slashCommand('status'),
      { ...slashCommand('status'), data: { id: '1', name: 'other', type: 1 } },
      buttonClick('deny:r1'),
      { ...buttonClick('deny:r1'), type: 5 },
      { ...slashCommand('show', [{ name: 'id', type: 3, value: '', focused: true }]), type: 4 },
    ].map((interaction) => acknowledge(signed(interaction)).delivery !== undefined);
    expect(delivered).toEqual([false, true, false, true, false, false]);
  });

  test('the answer is plain data, as it crosses a thread boundary', () => {
    const autocomplete = { ...slashCommand('show', [{ name: 'id', type: 3, value: '', focused: true }]), type: 4 };
    for (const interaction of [
      { type: 1 },
      slashCommand('status'),
      buttonClick('approve:r1'),
      autocomplete,
      { type: 9 },
    ]) {
      const answer = acknowledge(signed(interaction));
      expect(structuredClone(answer)).toEqual(answer);
    }
    const refused = acknowledge(signed({ type: 1 }, { by: new DiscordSigner() }));
    expect(structuredClone(refused)).toEqual(refused);
  });
});

describe('acknowledgeDiscordInteraction: malformed interactions get 400 and no delivery', () => {
  const withoutUser = (() => {
    const { member: _member, ...rest } = slashCommand('status');
    return rest;
  })();
  const withoutChannel = (() => {
    const { channel_id: _channel, ...rest } = slashCommand('status');
    return rest;
  })();
  const withoutToken = (() => {
    const { token: _token, ...rest } = buttonClick('approve:r1');
    return rest;
  })();

  test.each([
    ['a command without a user', withoutUser, 'no user, channel or token'],
    ['a command without a channel', withoutChannel, 'no user, channel or token'],
    ['a click without a token', withoutToken, 'no user, channel or token'],
    ['a command whose token is not a string', slashCommand('status', [], { token: 7 }), 'no user, channel or token'],
  ])('%s', (_, interaction, reason) => {
    expect(acknowledge(signed(interaction))).toEqual({ status: 400, json: { error: 'bad request' }, refused: reason });
  });

  test.each([
    ['a modal submit (type 5)', { ...slashCommand('status'), type: 5 }, 'interaction type 5'],
    ['no type at all', { ...slashCommand('status'), type: undefined }, 'interaction type undefined'],
    ['a click without a custom_id', buttonClick('x', { data: { component_type: 2 } }), 'interaction type 3'],
  ])('%s', (_, interaction, reason) => {
    expect(acknowledge(signed(interaction))).toEqual({
      status: 400,
      json: { error: 'unsupported interaction' },
      refused: reason,
    });
  });

  test.each([
    ['a body that is not JSON', 'not json', 'unparsable body'],
    ['JSON null', 'null', 'not an interaction'],
    ['a JSON number', '5', 'not an interaction'],
  ])('%s', (_, body, reason) => {
    expect(acknowledge(signed(body))).toEqual({ status: 400, json: { error: 'bad request' }, refused: reason });
  });
});
