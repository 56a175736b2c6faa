import { describe, expect, test } from 'vitest';
import { AccessPolicy } from '../../src/access/access-policy.ts';
import { type Action, authorize, refusal } from '../../src/access/authorize.ts';
import type { Principal } from '../../src/domain/principal.ts';

const access = new AccessPolicy({
  shop: {
    viewer: ['*'],
    operator: ['slack:UANA', 'api:ci'],
    restorer: ['discord-role:42'],
    approver: ['slack:UBOB', 'slack-channel:COPS'],
  },
  blog: { operator: ['api:ci'] },
  // An app without access: grants nothing to anyone but whoever holds the config.
  wiki: undefined,
});

const operator: Principal = { kind: 'operator', id: 'cli:root' };
const ana: Principal = { kind: 'chat', id: 'slack:UANA', also: ['slack-channel:CGEN'] };
const eve: Principal = { kind: 'chat', id: 'slack:UEVE', also: [] };
const inOps: Principal = { kind: 'chat', id: 'slack:UZED', also: ['slack-channel:COPS'] };
const mod: Principal = { kind: 'chat', id: 'discord:7', also: ['discord-role:42', 'discord-channel:9'] };
const ci = (role: 'viewer' | 'operator' | 'restorer' | 'approver', apps: string[]): Principal => ({
  kind: 'api',
  id: 'api:ci',
  token: { role, apps },
});
const stranger = ci('approver', ['*']);
stranger.id = 'api:unknown';

describe('authorize: one rule for every surface', () => {
  test.each<[string, Principal, Action, string, boolean]>([
    ['the config holder may do anything, on any app', operator, 'restore.approve', 'wiki', true],
    ['"*" lets anyone read', eve, 'backup.read', 'shop', true],
    ['a chat user with the operator role creates', ana, 'backup.create', 'shop', true],
    ['but does not restore', ana, 'restore.request', 'shop', false],
    ['a Discord role counts for its holders', mod, 'restore.request', 'shop', true],
    ['roles include the ones before them', mod, 'backup.create', 'shop', true],
    ['a channel grant counts for whoever types there', inOps, 'restore.approve', 'shop', true],
    ['someone granted nothing may only read', eve, 'backup.create', 'shop', false],
    ['an app without access: refuses chat', ana, 'backup.read', 'wiki', false],
    ['an app without access: refuses a token for every app', ci('approver', ['*']), 'backup.read', 'wiki', false],
    ['a token gets what access grants its name', ci('operator', ['shop']), 'backup.create', 'shop', true],
    ['a token role narrows the grant', ci('viewer', ['shop']), 'backup.create', 'shop', false],
    ['a token role above the grant adds nothing', ci('approver', ['*']), 'restore.request', 'shop', false],
    ['a token limited to other apps is refused', ci('operator', ['blog']), 'backup.create', 'shop', false],
    ['a token whose name access does not list is refused', stranger, 'backup.create', 'shop', false],
    ['"*" in access counts for tokens too', ci('viewer', ['shop']), 'backup.read', 'shop', true],
  ])('%s', (_why, principal, action, app, allowed) => {
    expect(refusal(access, principal, action, app) === undefined).toBe(allowed);
  });

  test('a refusal names the role needed and what to add to the config', () => {
    expect(() => authorize(access, eve, 'backup.create', 'shop')).toThrow(
      expect.objectContaining({
        code: 'forbidden',
        userMessage:
          'create needs the operator role on shop, which slack:UEVE does not have (roles: viewer < operator < ' +
          'restorer < approver). Ask whoever runs Backstop to add slack:UEVE to apps.shop.access.operator.',
        details: { requiredRole: 'operator', app: 'shop' },
      }),
    );
  });

  test("a token's refusal says whether its own role, its apps or the config stands in the way", () => {
    expect(refusal(access, ci('viewer', ['shop']), 'backup.create', 'shop')).toBe(
      'This token has the viewer role; create needs the operator role (or higher).',
    );
    expect(refusal(access, ci('operator', ['blog']), 'backup.create', 'shop')).toBe(
      'This token may not touch app shop (it is limited to blog).',
    );
    expect(refusal(access, ci('restorer', ['*']), 'restore.request', 'shop')).toContain(
      'add api:ci to apps.shop.access.restorer',
    );
  });
});
