import type { RequestHandler, Router } from 'express';
import { refusal } from '../../access/authorize.ts';
import type { Operation } from '../../domain/operation.ts';
import type { Principal } from '../../domain/principal.ts';
import type { RestoreRequest } from '../../domain/restore-request.ts';
import { type Decision, decideRestoreRequest } from '../../use-cases/decide-restore-request.ts';
import { appOfOperation, cancelOperationAs, listOperations, showOperation } from '../../use-cases/operations.ts';
import { readAudit } from '../../use-cases/read-audit.ts';
import { listRestoreRequests } from '../../use-cases/read-restore-requests.ts';
import { readSchedules } from '../../use-cases/read-schedules.ts';
import { readTargets } from '../../use-cases/read-targets.ts';
import { showDownload } from '../../use-cases/request-download.ts';
import { safetyCoverage } from '../../use-cases/safety-coverage.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { approvalsPage } from './approvals-page.ts';
import { noticeIn } from './notices.ts';
import { auditPage, schedulesPage } from './overview-pages.ts';
import { idParam } from './web-backup-routes.ts';
import { send, sendError, sessionIn, type WebOptions } from './web-router.ts';
import { downloadPage, operationPage, operationsPage } from './work-pages.ts';

/** Operations (with Cancel), approvals (Approve, Deny, Withdraw) and prepared downloads. */
export function workRoutes(
  router: Router,
  { engine }: WebOptions,
  { reads, changes }: { reads: RequestHandler[]; changes: RequestHandler[] },
): void {
  router.get('/operations', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const [active, finished] = await Promise.all([
      listOperations(engine, session.principal, { state: 'active', limit: 100 }),
      listOperations(engine, session.principal, { state: 'finished', limit: 50 }),
    ]);
    const cancellable = await mayCancelEach(engine, session.principal, active);
    const notice = noticeIn(request);
    send(
      response,
      200,
      operationsPage({ session, active, finished, mayCancel: (o) => cancellable.has(o.id), ...(notice && { notice }) }),
    );
  });

  router.get('/operations/:id', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const operation = await showOperation(engine, session.principal, idParam(request.params['id'], 'operation'));
    const cancellable = await mayCancelEach(engine, session.principal, [operation]);
    const subjectHref =
      operation.kind === 'backup'
        ? `/backups/${operation.subjectId}`
        : operation.kind === 'download'
          ? `/prepared-downloads/${operation.subjectId}`
          : undefined;
    // A restore names the backup it restores and the safety backup taken before it.
    const restore = operation.kind === 'restore' ? await engine.catalog.findRestore(operation.subjectId) : undefined;
    const coverage = restore === undefined ? undefined : await safetyCoverage(engine.catalog, restore);
    const running = operation.status === 'queued' || operation.status === 'running';
    // "Queued" is news only while it is; the outcome speaks for itself afterwards.
    const notice = running ? noticeIn(request) : undefined;
    send(
      response,
      200,
      operationPage({
        session,
        operation,
        subjectHref,
        ...(restore && {
          restore: {
            backupId: restore.backupId,
            safetyBackupId: restore.safetyBackupId,
            safetyAsked: restore.safetyBackup,
            createdByRestore: coverage?.createdByRestore ?? [],
          },
        }),
        mayCancel: cancellable.has(operation.id),
        ...(notice && { notice }),
      }),
    );
  });

  router.post('/operations/:id/cancel', ...changes, async (request, response) => {
    const operation = await cancelOperationAs(
      engine,
      sessionIn(response).principal,
      idParam(request.params['id'], 'operation'),
    );
    response.redirect(303, `/operations/${operation.id}?notice=cancel-asked`);
  });

  router.get('/approvals', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const [pending, all] = await Promise.all([
      listRestoreRequests(engine, session.principal, { status: 'pending', limit: 100 }),
      listRestoreRequests(engine, session.principal, { limit: 50 }),
    ]);
    const mayDecide = (r: RestoreRequest) =>
      r.requestedBy !== session.principal.id &&
      refusal(engine.access, session.principal, 'restore.approve', r.destApp) === undefined;
    const notice = noticeIn(request);
    send(
      response,
      200,
      approvalsPage({
        session,
        pending,
        decided: all.filter((r) => r.status !== 'pending'),
        mayDecide,
        ...(notice && { notice }),
      }),
    );
  });

  for (const [decision, done] of [
    ['approve', 'approved'],
    ['deny', 'denied'],
    ['withdraw', 'withdrawn'],
  ] as const satisfies ReadonlyArray<readonly [Decision, string]>) {
    router.post(`/approvals/:id/${decision}`, ...changes, async (request, response) => {
      const decided = await decideRestoreRequest(
        engine,
        sessionIn(response).principal,
        decision,
        idParam(request.params['id'], 'restore request'),
      );
      const restoreOperation = decided.restore
        ? await engine.operations.findBySubject('restore', decided.restore.id)
        : undefined;
      response.redirect(
        303,
        restoreOperation ? `/operations/${restoreOperation.id}?notice=${done}` : `/approvals?notice=${done}`,
      );
    });
  }

  router.get('/schedules', ...reads, async (_request, response) => {
    const session = sessionIn(response);
    send(response, 200, schedulesPage({ session, summaries: await readSchedules(engine, session.principal, {}) }));
  });

  router.get('/audit', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const asked =
      typeof request.query['app'] === 'string' && request.query['app'] !== '' ? request.query['app'] : undefined;
    // Whoever may not read every app's log sees the log of the first app they may read it of.
    const readable = [
      ...new Set(
        readTargets(engine, session.principal)
          .filter((t) => t.abilities.readAudit)
          .map((t) => t.target.app),
      ),
    ];
    if (readable.length === 0) {
      const message = `Reading the audit log needs the operator role on an app, which ${session.principal.id} does not have.`;
      sendError(response, session, 403, message);
      return;
    }
    const everyApp = new Set(engine.targets.map((t) => t.app)).size === readable.length;
    const app = asked ?? (everyApp ? undefined : readable[0]);
    const entries = await readAudit(engine, session.principal, { ...(app !== undefined && { app }), limit: 200 });
    send(response, 200, auditPage({ session, entries, app }));
  });

  router.get('/prepared-downloads/:id', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const { download, operation } = await showDownload(
      engine,
      session.principal,
      idParam(request.params['id'], 'download'),
    );
    const notice = download.files.length === 0 ? noticeIn(request) : undefined;
    send(
      response,
      200,
      downloadPage({
        session,
        download,
        operation,
        emailed: download.email !== null && engine.mailer !== undefined,
        ...(notice && { notice }),
      }),
    );
  });
}

/** Of `operations`, the ids of those the principal may cancel (operator role on the operation's app). */
async function mayCancelEach(ctx: UseCaseContext, principal: Principal, operations: Operation[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const operation of operations) {
    const app = await appOfOperation(ctx, operation);
    if (app !== null && refusal(ctx.access, principal, 'operation.cancel', app) === undefined) ids.add(operation.id);
  }
  return ids;
}
