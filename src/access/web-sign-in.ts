import type { AccessPolicy } from './access-policy.ts';

/** How a sign-in through an OpenID Connect provider maps to principals and who it admits (config `web.oidc`). */
export interface SignInPolicy {
  /** `slack`: `slack:<user id>` as chat knows them; `email`: `web:<verified email>`; `subject`: `web:<sub>`. */
  principal: 'slack' | 'email' | 'subject';
  allowedWorkspace?: string | undefined;
  allowedDomains: readonly string[];
}

/** Who signed in, as a session stands for them. */
export interface SignedInPerson {
  principal: string;
  also: string[];
  name: string;
}

const slackUser = 'https://slack.com/user_id';
const slackTeam = 'https://slack.com/team_id';

/**
 * Whether the provider's ID token `claims` admit a person, and as whom. Only a person whose principals `access:`
 * names on some app may sign in; a `*` grant admits anyone only when the workspace or domain limits say who "anyone"
 * is (never everyone with an account at the provider). A refusal says why, in words for the person.
 */
export function admitSignIn(
  claims: Record<string, unknown>,
  policy: SignInPolicy,
  access: AccessPolicy,
): { admitted: SignedInPerson } | { refused: string } {
  const email = typeof claims['email'] === 'string' && claims['email_verified'] === true ? claims['email'] : undefined;
  const name = typeof claims['name'] === 'string' ? claims['name'] : (email ?? String(claims['sub']));
  let principal: string;
  if (policy.principal === 'slack') {
    const user = claims[slackUser];
    if (typeof user !== 'string') return { refused: 'The provider did not say which Slack user you are.' };
    principal = `slack:${user}`;
  } else if (policy.principal === 'email') {
    if (email === undefined) return { refused: 'The provider did not give a verified email address for you.' };
    principal = `web:${email}`;
  } else {
    principal = `web:${String(claims['sub'])}`;
  }
  const also = email !== undefined && principal !== `web:${email}` ? [`web:${email}`] : [];
  if (policy.allowedWorkspace !== undefined && claims[slackTeam] !== policy.allowedWorkspace) {
    return { refused: 'You signed in with another Slack workspace than the one this Backstop admits.' };
  }
  const domain = email?.split('@').pop()?.toLowerCase();
  if (policy.allowedDomains.length > 0 && (domain === undefined || !policy.allowedDomains.includes(domain))) {
    return {
      refused: `Only people with a verified email at ${policy.allowedDomains.join(', ')} may sign in here.`,
    };
  }
  const limited = policy.allowedWorkspace !== undefined || policy.allowedDomains.length > 0;
  const principals = [principal, ...also];
  if (!access.namesAnyOf(principals) && !(limited && access.grantsEveryone())) {
    return {
      refused:
        `${principal} has no role in Backstop. Ask whoever runs it to add ${principal} to ` +
        'apps.<app>.access.viewer (or a higher role) in the config.',
    };
  }
  return { admitted: { principal, also, name } };
}
