import { describe, expect, test } from 'vitest';
import { discordPublicKey, verifyDiscordRequest } from '../../../adapters/discord/verify-discord-request.ts';
import { DiscordSigner } from './discord-fakes.ts';

const now = new Date('2026-11-26T10:00:00Z');
const signer = new DiscordSigner();
const key = discordPublicKey(signer.publicKeyHex);
const body = '{"type":1}';

function request(headers: Record<string, string>, rawBody = body) {
  return {
    signature: headers['x-signature-ed25519'],
    timestamp: headers['x-signature-timestamp'],
    rawBody: Buffer.from(rawBody),
  };
}

describe('verifyDiscordRequest', () => {
  test('accepts a request signed with the application key', () => {
    expect(verifyDiscordRequest(request(signer.headers(body, now)), key, now)).toEqual({ ok: true });
  });

  test.each([
    ['another key', request(new DiscordSigner().headers(body, now)), 'bad-signature'],
    ['a changed body', request(signer.headers(body, now), '{"type":2}'), 'bad-signature'],
    [
      'a signature of the wrong length',
      request({ ...signer.headers(body, now), 'x-signature-ed25519': 'ab' }),
      'missing-signature',
    ],
    ['no signature', request({ 'x-signature-timestamp': '1' }), 'missing-signature'],
    ['a timestamp 5 min 1 s old', request(signer.headers(body, new Date(now.getTime() - 301_000))), 'stale-timestamp'],
    [
      'a timestamp 5 min 1 s ahead',
      request(signer.headers(body, new Date(now.getTime() + 301_000))),
      'stale-timestamp',
    ],
    [
      'a timestamp that is not a number',
      request({ ...signer.headers(body, now), 'x-signature-timestamp': 'soon' }),
      'stale-timestamp',
    ],
  ])('refuses %s', (_, req, failure) => {
    expect(verifyDiscordRequest(req, key, now)).toEqual({ ok: false, failure });
  });

  test('a changed timestamp breaks the signature', () => {
    const headers = signer.headers(body, now);
    const moved = { ...headers, 'x-signature-timestamp': String(Number(headers['x-signature-timestamp']) + 1) };
    expect(verifyDiscordRequest(request(moved), key, now)).toEqual({ ok: false, failure: 'bad-signature' });
  });
});

describe('discordPublicKey', () => {
  test('refuses anything but 64 hex characters, saying where to find the key', () => {
    expect(() => discordPublicKey('abc')).toThrow(/not an Ed25519 public key/);
    expect(() => discordPublicKey('abc')).toThrow(
      expect.objectContaining({ code: 'discord-public-key', userMessage: expect.stringContaining('developer portal') }),
    );
  });
});
