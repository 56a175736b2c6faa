import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../src/storage/attachment-disposition.ts';

describe('attachmentDisposition', () => {
  it.each([
    ['shop-live-7k3q.dump', `attachment; filename="shop-live-7k3q.dump"; filename*=UTF-8''shop-live-7k3q.dump`],
    ['café «live».tar', `attachment; filename="caf_ _live_.tar"; filename*=UTF-8''caf%C3%A9%20%C2%ABlive%C2%BB.tar`],
    [
      `it's "100%" (*).dump`,
      `attachment; filename="it's _100__ (*).dump"; filename*=UTF-8''it%27s%20%22100%25%22%20%28%2A%29.dump`,
    ],
    ['back\\slash.dump', `attachment; filename="back_slash.dump"; filename*=UTF-8''back%5Cslash.dump`],
  ])('offers %j with an ASCII fallback and the exact UTF-8 name', (filename, expected) => {
    expect(attachmentDisposition(filename)).toBe(expected);
  });
});
