import type { ConfigFile } from '../config/config-schema.ts';
import { type Role, roleIncludes, roles } from '../domain/principal.ts';

type Grants = NonNullable<ConfigFile['apps'][string]['access']>;

/**
 * Who may do what, per app, from the config's `apps.<app>.access` (role -> principals such as `slack:U123`,
 * `slack-channel:C123`, `discord-role:789`, `api:ci`, or `*` for everyone who reaches Backstop through a surface that
 * identifies them). It is the one source of grants: an app without `access` grants nothing, so chat, the API and the
 * web can do nothing with it until someone says who may.
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
    return held !== undefined && roleIncludes(held, needed);
  }

  /** Whether some app's grants name one of `principals` itself (not through `*`). */
  namesAnyOf(principals: readonly string[]): boolean {
    return Object.values(this.grants).some((grants) =>
      Object.values(grants ?? {}).some((holders) => (holders ?? []).some((h: string) => principals.includes(h))),
    );
  }

  /** Whether anyone at all holds `role` (or a higher one) on `app`. */
  anyoneHolds(app: string, role: Role): boolean {
    const grants = this.grants[app];
    return roles.slice(roles.indexOf(role)).some((held) => (grants?.[held] ?? []).length > 0);
  }

  /** Whether some app grants a role to everyone (`*`). */
  grantsEveryone(): boolean {
    return Object.values(this.grants).some((grants) =>
      Object.values(grants ?? {}).some((holders) => (holders ?? []).includes('*')),
    );
  }

  /** Apps on which `principals` hold at least `needed`. */
  appsAllowing(principals: readonly string[], needed: Role): string[] {
    return Object.keys(this.grants).filter((app) => this.allows(principals, app, needed));
  }
}
