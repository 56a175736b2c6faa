/** Roles, each including the ones before it: an approver may do all a restorer may, and so on. */
export const roles = ['viewer', 'operator', 'restorer', 'approver'] as const;
export type Role = (typeof roles)[number];

/**
 * Who asks for something, on whichever surface. `id` is how the audit log and the records name them (`cli:ana`,
 * `api:ci-deploy`, `slack:U123`, `discord:456`, `web:ana@example.com`, `schedule`).
 * - `operator`: whoever holds the config and keys, at the command line: every role, no approval needed.
 * - `api`: an API token, the principal `api:<name>`; its own role and apps only narrow what `access:` grants it.
 * - `chat`: a person in Slack or Discord; `also` holds the further principals they stand for (Discord roles, the
 *   channel they type in).
 * - `web`: a signed-in person of the web view, with the principals their sign-in maps to in `also`; `configHolder`
 *   when they signed in with a link from `backstop web login`: every role, like the operator, but never an approval's
 *   bypass (a web session is not the terminal).
 * - `system`: Backstop itself (the scheduler, expiring requests).
 */
export type Principal =
  | { kind: 'operator'; id: string }
  | { kind: 'api'; id: string; token: { role: Role; apps: readonly string[] } }
  | { kind: 'chat'; id: string; also: readonly string[] }
  | { kind: 'web'; id: string; also: readonly string[]; configHolder?: boolean }
  | { kind: 'system'; id: string };

/** True when `held` includes `needed` (roles are cumulative). */
export function roleIncludes(held: Role, needed: Role): boolean {
  return roles.indexOf(held) >= roles.indexOf(needed);
}
