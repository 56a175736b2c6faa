import { describe, expect, test } from 'vitest';
import { AccessPolicy } from '../../src/access/access-policy.ts';
import { admitSignIn } from '../../src/access/web-sign-in.ts';

const access = new AccessPolicy({
  shop: { viewer: ['web:ana@example.com'], approver: ['slack:U123'] },
});
const everyone = new AccessPolicy({ shop: { viewer: ['*'] } });

// Claims shaped as each provider sends them in its ID token.
const slackClaims = (user: string, team: string) => ({
  sub: user,
  'https://slack.com/user_id': user,
  'https://slack.com/team_id': team,
  email: 'sam@example.com',
  email_verified: true,
  name: 'Sam',
});
const googleClaims = (email: string, verified = true) => ({
  sub: '1098',
  email,
  email_verified: verified,
  name: 'Ana',
});

describe('who signs in, as whom', () => {
  test('a Slack user signs in as the slack: principal chat knows, with their verified email beside it', () => {
    expect(admitSignIn(slackClaims('U123', 'T1'), { principal: 'slack', allowedDomains: [] }, access)).toEqual({
      admitted: { principal: 'slack:U123', also: ['web:sam@example.com'], name: 'Sam' },
    });
  });

  test('another provider maps by verified email, or by subject', () => {
    expect(admitSignIn(googleClaims('ana@example.com'), { principal: 'email', allowedDomains: [] }, access)).toEqual({
      admitted: { principal: 'web:ana@example.com', also: [], name: 'Ana' },
    });
    const bySubject = new AccessPolicy({ shop: { viewer: ['web:1098'] } });
    expect(admitSignIn(googleClaims('x@y.z'), { principal: 'subject', allowedDomains: [] }, bySubject)).toMatchObject({
      admitted: { principal: 'web:1098', also: ['web:x@y.z'] },
    });
  });

  test('an unverified email is no identity', () => {
    const outcome = admitSignIn(
      googleClaims('ana@example.com', false),
      { principal: 'email', allowedDomains: [] },
      access,
    );
    expect(outcome).toEqual({ refused: 'The provider did not give a verified email address for you.' });
  });

  test('a person the config grants nothing is refused, saying what to ask for', () => {
    const outcome = admitSignIn(slackClaims('U999', 'T1'), { principal: 'slack', allowedDomains: [] }, access);
    expect(outcome).toEqual({
      refused:
        'slack:U999 has no role in Backstop. Ask whoever runs it to add slack:U999 to apps.<app>.access.viewer (or a higher role) in the config.',
    });
  });

  test('* admits anyone only within the allowed workspace or domains, never anyone with an account', () => {
    const open = { principal: 'slack' as const, allowedDomains: [] };
    expect(admitSignIn(slackClaims('U5', 'T1'), open, everyone)).toHaveProperty('refused');
    const workspace = { ...open, allowedWorkspace: 'T1' };
    expect(admitSignIn(slackClaims('U5', 'T1'), workspace, everyone)).toHaveProperty('admitted.principal', 'slack:U5');
    expect(admitSignIn(slackClaims('U5', 'T2'), workspace, everyone)).toEqual({
      refused: 'You signed in with another Slack workspace than the one this Backstop admits.',
    });
    const domain = { principal: 'email' as const, allowedDomains: ['example.com'] };
    expect(admitSignIn(googleClaims('bo@example.com'), domain, everyone)).toHaveProperty('admitted');
    expect(admitSignIn(googleClaims('bo@elsewhere.org'), domain, everyone)).toEqual({
      refused: 'Only people with a verified email at example.com may sign in here.',
    });
  });

  test('the workspace limit also holds for people the config names', () => {
    const outcome = admitSignIn(
      slackClaims('U123', 'T2'),
      { principal: 'slack', allowedDomains: [], allowedWorkspace: 'T1' },
      access,
    );
    expect(outcome).toHaveProperty('refused');
  });
});
