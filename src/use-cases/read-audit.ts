import { refusal } from '../access/authorize.ts';
import type { AuditEntry } from '../domain/audit-entry.ts';
import { checkAppConfigured } from '../domain/find-target.ts';
import type { Principal } from '../domain/principal.ts';
import { authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** The audit log, newest first, of one app (operator role on it) or of everything (every app, or the config holder). */
export async function readAudit(
  ctx: Pick<UseCaseContext, 'access' | 'audit' | 'targets' | 'clock' | 'log'>,
  principal: Principal,
  filter: { app?: string; limit?: number; beforeId?: string },
): Promise<AuditEntry[]> {
  const app = filter.app;
  if (app !== undefined && !ctx.targets.some((t) => t.app === app)) {
    // An app no longer configured keeps its history for whoever may read it; an app never seen is a typo.
    const history = refusal(ctx.access, principal, 'audit.read', app) === undefined ? await ctx.audit.list(filter) : [];
    if (history.length === 0) {
      const visible = ctx.targets.filter((t) => refusal(ctx.access, principal, 'audit.read', t.app) === undefined);
      checkAppConfigured(ctx.targets, visible, app);
    }
  }
  await authorizedRead(
    ctx,
    principal,
    'audit.read',
    filter.app ?? null,
    `audit${filter.app ? ` --app ${filter.app}` : ''}`,
  );
  return ctx.audit.list(filter);
}
