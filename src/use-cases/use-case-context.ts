import type { AccessPolicy } from '../access/access-policy.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import type { Mailer } from '../notify/mailer.ts';
import type { AuditLog } from '../state/audit-log.ts';
import type { RestoreRequests } from '../state/restore-requests.ts';

/**
 * What the use cases work with: the engine and the queue (JobsContext), who may do what, the audit log, the restore
 * requests waiting for approval, and how people are reached. Every surface (CLI, chat, HTTP API, web) calls the use
 * cases with one of these and a Principal.
 */
export interface UseCaseContext extends JobsContext {
  /** The grants of the config's `access:` sections: the one source of who may do what. */
  access: AccessPolicy;
  /** Every change and every refusal, from every surface. */
  audit: AuditLog;
  /** Restores into protected targets, waiting for a second person. */
  requests: RestoreRequests;
  /** How long a restore request waits for an approver. */
  approvalTtlMs: number;
  /** Sends download links; undefined when email is not configured. */
  mailer: Mailer | undefined;
  /** Email addresses by principal (slack:U1, cli:ana): where links go when the caller gives none. */
  people: Readonly<Record<string, string>>;
}

/**
 * The part of the context that reading the catalogue and the queue needs: enough for a surface that only looks (shell
 * completion opens the state read-only and builds just this).
 */
export type ReadingContext = Pick<UseCaseContext, 'catalog' | 'operations' | 'downloads' | 'access' | 'targets'>;
