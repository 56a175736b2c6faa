import type { ConfigFile } from '../config/config-schema.ts';

/** Roles, each including the ones before it: an approver may do all a restorer may, and so on. */
export const roles = ['viewer', 'operator', 'restorer', 'approver'] as const;
export type Role = (typeof roles)[number];

type Grants = NonNullable<ConfigFile['apps'][string]['access']>;

/**
 * Who may do what, per app, from the config's `apps.<app>.access` (role -> principals such as `slack:U123`,
 * `slack-channel:C123`, `discord-role:789`, or `*` for everyone). An app without `access` grants nothing: chat and
 * the API can do nothing with it until someone says who may.
 */
export class AccessPolicy {
  constructor(private readonly grants: Readonly<Record<string, Grants | undefined>>) {}

  static fromConfig(apps: ConfigFile['apps']): AccessPolicy {
    return new AccessPolicy(Object.fromEntries(Object.entries(apps).map(([app, config]) => [app, config.access])));
  }

  /** The highest role any of `principals` holds on `app`, or undefined. */
  roleOf(principals: readonly string[], app: string): Role | undefined {
    const grants = this.grants[app];
    if (!grants) return undefined;
    for (const role of [...roles].reverse()) {
      const holders = grants[role] ?? [];
      if (holders.includes('*') || principals.some((p) => holders.includes(p))) return role;
    }
    return undefined;
  }

  allows(principals: readonly string[], app: string, needed: Role): boolean {
    const held = this.roleOf(principals, app);
    return held !== undefined && roles.indexOf(held) >= roles.indexOf(needed);
  }

  /** Apps on which `principals` hold at least `needed`. */
  appsAllowing(principals: readonly string[], needed: Role): string[] {
    return Object.keys(this.grants).filter((app) => this.allows(principals, app, needed));
  }
}
