import { type Action, authorize } from '../access/authorize.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { Principal } from '../domain/principal.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { UseCaseContext } from './use-case-context.ts';

/** What auditing needs of the use cases' context. */
export type AuditContext = Pick<UseCaseContext, 'access' | 'audit' | 'targets' | 'clock' | 'log'>;

/** Errors already written to the audit log, so a surface that shows them does not write them again. */
const recorded = new WeakSet<object>();

/** Whether a use case already wrote this error to the audit log (as refused or failed). */
export function isAudited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && recorded.has(error);
}

/** What one audited use case is about: the app it touches (once known) and the action as the person asked it. */
export interface AuditScope {
  /** The app, once the use case knows it (a backup id tells it only after the backup is read). */
  app: string | null;
  /** What was asked, as the person wrote it where a surface knows ("create db live"), else in /backup words. */
  action: string;
  /** Extra words for the entry of a success ("approval requested: r4x9ka"). */
  detail?: string;
  /** Set to `failed` when the use case completed but found a problem (a verification that failed). */
  outcome?: 'ok' | 'failed';
}

/**
 * Runs a use case that changes something, recording its outcome in the audit log: `ok` (with `scope.detail`),
 * `refused` for a mistake or a missing role the person is told of (a BackstopError with a userMessage), `failed`
 * otherwise. `authorize` inside it checks the principal against the app and records the app for the entry. A log
 * that cannot be written is logged and never fails the use case.
 */
export async function audited<T>(
  ctx: AuditContext,
  principal: Principal,
  action: string,
  run: (scope: AuditScope & { authorize(action: Action, app: string): void }) => Promise<T>,
): Promise<T> {
  const scope: AuditScope & { authorize(action: Action, app: string): void } = {
    app: null,
    action,
    authorize(what, app) {
      scope.app ??= app;
      authorize(ctx.access, principal, what, app);
    },
  };
  try {
    const result = await run(scope);
    await record(ctx, principal, scope, scope.outcome ?? 'ok', scope.detail ?? null);
    return result;
  } catch (error) {
    const refused = error instanceof BackstopError && error.userMessage !== undefined;
    await record(ctx, principal, scope, refused ? 'refused' : 'failed', refused ? error.userMessage! : reasonOf(error));
    if (typeof error === 'object' && error !== null) recorded.add(error);
    throw error;
  }
}

/**
 * Checks a read (reads are not audited) the same way; a refusal is audited, as every refusal is. `app` null is
 * something of no app (a webhook delivery): it needs the role on every configured app.
 */
export async function authorizedRead(
  ctx: AuditContext,
  principal: Principal,
  action: Action,
  app: string | null,
  asked: string,
): Promise<void> {
  try {
    const apps = app === null ? [...new Set(ctx.targets.map((t) => t.app))] : [app];
    for (const each of apps) authorize(ctx.access, principal, action, each);
  } catch (error) {
    await record(ctx, principal, { app, action: asked }, 'refused', (error as BackstopError).userMessage ?? null);
    recorded.add(error as object);
    throw error;
  }
}

/** Writes one entry; a failure to write is logged, never thrown. */
export async function record(
  ctx: AuditContext,
  principal: Principal,
  scope: Pick<AuditScope, 'app' | 'action'>,
  outcome: 'ok' | 'failed' | 'refused',
  detail: string | null,
): Promise<void> {
  try {
    await ctx.audit.record(
      { principal: principal.id, app: scope.app, action: scope.action, outcome, detail },
      ctx.clock(),
    );
  } catch (error) {
    ctx.log(`could not write the audit log (${principal.id}: ${scope.action}): ${reasonOf(error)}`);
  }
}
