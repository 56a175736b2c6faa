import { describe, expect, it } from 'vitest';
import { DownloadLinkSigner } from '../../src/storage/download-link-signer.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { thrownBy } from '../support/thrown-by.ts';

const PUBLIC_URL = 'https://backstop.example.com';
const SECRET = 'download-link-test-secret-0123456789';
const BASE = `${PUBLIC_URL}/downloads/`;

function signer(clock = new ManualClock(new Date('2026-11-26T10:00:00Z')), secret = SECRET): DownloadLinkSigner {
  return new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret, now: clock.now });
}

function tokenOf(url: string): string {
  expect(url.startsWith(BASE)).toBe(true);
  return url.slice(BASE.length);
}

describe('DownloadLinkSigner', () => {
  it('grants the key and download name it signed', () => {
    const links = signer();
    const url = links.sign('downloads/k3/shop-live-k3.dump', 3600, 'shop-live-k3.dump');
    expect(links.verify(tokenOf(url))).toEqual({
      key: 'downloads/k3/shop-live-k3.dump',
      filename: 'shop-live-k3.dump',
    });
    expect(links.verify(tokenOf(links.sign('a/b', 60)))).toEqual({ key: 'a/b' });
  });

  it('builds links under <publicUrl>/downloads/ whatever slashes the public URL ends with', () => {
    const links = new DownloadLinkSigner({ publicUrl: `${PUBLIC_URL}//`, secret: SECRET });
    expect(links.sign('a/b', 60)).toMatch(
      /^https:\/\/backstop\.example\.com\/downloads\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
    );
  });

  it('grants until the lifetime has passed, then refuses with link-expired', () => {
    const clock = new ManualClock(new Date('2026-11-26T10:00:00Z'));
    const links = signer(clock);
    const token = tokenOf(links.sign('a/b', 60));

    clock.advance(59);
    expect(links.verify(token)).toEqual({ key: 'a/b' });
    clock.advance(1);
    expect(() => links.verify(token)).toThrow(expect.objectContaining({ code: 'link-expired' }));
  });

  it('lives at least its whole lifetime when signed within a second', () => {
    const clock = new ManualClock(new Date('2026-11-26T10:00:00.900Z'));
    const links = signer(clock);
    const token = tokenOf(links.sign('a/b', 60));
    clock.advance(59.9);
    expect(links.verify(token)).toEqual({ key: 'a/b' });
  });

  it('refuses a token whose payload was altered', () => {
    const links = signer();
    const [payload, mac] = tokenOf(links.sign('downloads/mine/file', 3600)).split('.');
    const decoded = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const altered = Buffer.from(JSON.stringify({ ...decoded, k: 'shop/live/other/db.dump.age' })).toString('base64url');
    const extended = Buffer.from(JSON.stringify({ ...decoded, e: Number(decoded['e']) + 86_400 })).toString(
      'base64url',
    );

    expect(() => links.verify(`${altered}.${mac}`)).toThrow(expect.objectContaining({ code: 'link-invalid' }));
    expect(() => links.verify(`${extended}.${mac}`)).toThrow(expect.objectContaining({ code: 'link-invalid' }));
  });

  it('refuses a token whose MAC was altered, including spellings that decode to the same bytes', () => {
    const links = signer();
    const token = tokenOf(links.sign('a/b', 3600));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const others = [...alphabet].filter((character) => character !== token.at(-1));

    for (const character of others) {
      expect(() => links.verify(`${token.slice(0, -1)}${character}`)).toThrow(
        expect.objectContaining({ code: 'link-invalid' }),
      );
    }
    expect(() => links.verify(`${token}=`)).toThrow(expect.objectContaining({ code: 'link-invalid' }));
  });

  it('refuses a token signed with another secret', () => {
    const token = tokenOf(signer(undefined, 'another-secret-of-enough-length-0123').sign('a/b', 3600));
    expect(() => signer().verify(token)).toThrow(expect.objectContaining({ code: 'link-invalid' }));
  });

  it.each(['', 'no-dot', '.', 'a.b.c', 'eyJrIjoiYSJ9.'])('refuses the malformed token %j', (token) => {
    expect(() => signer().verify(token)).toThrow(expect.objectContaining({ code: 'link-invalid' }));
  });

  it('explains a refusal to people without echoing the token', () => {
    const links = signer();
    const token = `${tokenOf(links.sign('a/b', 60))}x`;
    const error = thrownBy(() => links.verify(token));
    expect(error).toMatchObject({ code: 'link-invalid', userMessage: 'This download link is not valid.' });
    expect(String((error as Error).message)).not.toContain(token);
  });

  it('refuses lifetimes that are not a positive whole number of seconds', () => {
    for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => signer().sign('a/b', ttl)).toThrow(expect.objectContaining({ code: 'bad-ttl' }));
    }
  });

  it('refuses, when built, a short secret or a public URL that is not http(s)', () => {
    expect(() => new DownloadLinkSigner({ publicUrl: PUBLIC_URL, secret: 'short' })).toThrow(
      expect.objectContaining({ code: 'bad-config' }),
    );
    for (const publicUrl of ['backstop.example.com', 'ftp://backstop.example.com']) {
      expect(() => new DownloadLinkSigner({ publicUrl, secret: SECRET })).toThrow(
        expect.objectContaining({ code: 'bad-config' }),
      );
    }
  });
});
