import type { AuditEntry } from '../domain/audit-entry.ts';
import type { Principal } from '../domain/principal.ts';
import { authorizedRead } from './audited.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** The audit log, newest first, of one app (operator role on it) or of everything (every app, or the config holder). */
export async function readAudit(
  ctx: Pick<UseCaseContext, 'access' | 'audit' | 'targets' | 'clock' | 'log'>,
  principal: Principal,
  filter: { app?: string; limit?: number; beforeId?: string },
): Promise<AuditEntry[]> {
  await authorizedRead(
    ctx,
    principal,
    'audit.read',
    filter.app ?? null,
    `audit${filter.app ? ` --app ${filter.app}` : ''}`,
  );
  return ctx.audit.list(filter);
}
