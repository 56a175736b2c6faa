import type { RequestHandler, Router } from 'express';
import { findTarget } from '../../domain/find-target.ts';
import { isWellFormedId } from '../../domain/new-id.ts';
import { targetName } from '../../domain/target.ts';
import { createBackup } from '../../use-cases/create-backup.ts';
import { listOperations } from '../../use-cases/operations.ts';
import { pinBackup } from '../../use-cases/pin-backup.ts';
import { listBackups, showBackup } from '../../use-cases/read-backups.ts';
import { readTargets } from '../../use-cases/read-targets.ts';
import { requestDownload } from '../../use-cases/request-download.ts';
import { previewRestore, restoreOrRequestApproval } from '../../use-cases/request-restore.ts';
import { visibleTargets } from '../../use-cases/visible-targets.ts';
import { backupPage } from './backup-page.ts';
import { backupsPage } from './backups-page.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { noticeIn } from './notices.ts';
import { restorePage } from './restore-page.ts';
import { partsIn, send, sendError, sessionIn, targetIn, type WebOptions } from './web-router.ts';

/** How many backups of each kind the Backups view shows. */
const shown = 200;

/** The Backups view, a backup's page, and creating, restoring, downloading and pinning from them. */
export function backupRoutes(
  router: Router,
  { engine, approvalReachable }: WebOptions,
  { reads, changes }: { reads: RequestHandler[]; changes: RequestHandler[] },
): void {
  router.get('/backups', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const targets = readTargets(engine, session.principal);
    if (targets.length === 0) {
      const message =
        `You may see no application's backups yet. Ask whoever runs Backstop to add ${session.principal.id} to ` +
        'apps.<app>.access.viewer in the config.';
      send(
        response,
        403,
        page({ title: 'Backups', session, current: 'backups' }, html`<h1>Backups</h1><p>${message}</p>`),
      );
      return;
    }
    const asked = targetIn(request.query['target']);
    const chosen = asked ? targets.find((t) => t.target.app === asked.app && t.target.env === asked.env) : targets[0];
    if (!chosen) {
      // Names the targets this person may see, with the nearest one.
      findTarget(
        targets.map((t) => t.target),
        asked?.app ?? '',
        asked?.env ?? '',
      );
      return;
    }
    const { app, env } = chosen.target;
    const [scheduled, onDemand, active] = await Promise.all([
      listBackups(engine, session.principal, { app, env, trigger: 'scheduled', limit: shown }),
      listBackups(engine, session.principal, { app, env, trigger: 'on-demand', limit: shown }),
      listOperations(engine, session.principal, { state: 'active', limit: 100 }),
    ]);
    const notice = noticeIn(request);
    send(
      response,
      200,
      backupsPage({
        session,
        targets,
        chosen,
        scheduled: scheduled.backups,
        onDemand: onDemand.backups,
        retention: new Map([...scheduled.retention, ...onDemand.retention]),
        active: active.filter((o) => o.target === targetName(chosen.target)),
        shown,
        ...(notice && { notice }),
      }),
    );
  });

  router.post('/backups', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const target = targetIn(request.body?.target);
    if (!target) {
      sendError(response, session, 400, 'Choose the application and environment to back up.');
      return;
    }
    const note =
      typeof request.body?.note === 'string' && request.body.note.trim() !== '' ? request.body.note.trim() : null;
    const parts = partsIn(request.body?.parts);
    const { operation } = await createBackup(engine, session.principal, {
      ...target,
      ...(parts && { parts }),
      note,
    });
    response.redirect(303, `/operations/${operation.id}?notice=backup-queued`);
  });

  router.get('/backups/:id', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const id = idParam(request.params['id']);
    const { backup, retention, operation } = await showBackup(engine, session.principal, id);
    const abilities = readTargets(engine, session.principal).find(
      (t) => t.target.app === backup.app && t.target.env === backup.env,
    )?.abilities;
    const notice = noticeIn(request);
    send(
      response,
      200,
      backupPage({
        session,
        backup,
        retention,
        operation,
        abilities,
        mayRestore: visibleTargets(engine, session.principal, 'restore.request').length > 0,
        ...(notice && { notice }),
      }),
    );
  });

  router.get('/backups/:id/restore', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const { backup } = await showBackup(engine, session.principal, idParam(request.params['id']));
    const destinations = visibleTargets(engine, session.principal, 'restore.request');
    const parts = partsIn(request.query['parts']) ?? (backup.parts as 'db' | 'media' | 'db+media');
    const to = targetIn(request.query['to']);
    const safetyBackup = request.query['to'] === undefined || request.query['safety'] === 'on';
    const chosen = to ?? { app: backup.app, env: backup.env };
    const preview = to
      ? await previewRestore(engine, session.principal, { backupId: backup.id, parts, to, safetyBackup })
      : undefined;
    send(
      response,
      200,
      restorePage({
        session,
        backup,
        destinations,
        parts,
        to: targetName(chosen),
        safetyBackup,
        ...(preview && { preview }),
      }),
    );
  });

  router.post('/backups/:id/restore', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const backupId = idParam(request.params['id']);
    const to = targetIn(request.body?.to);
    const parts = partsIn(request.body?.parts);
    if (!to) {
      sendError(response, session, 400, 'Choose where to restore to.');
      return;
    }
    const name = targetName(to);
    if (request.body?.confirm !== name) {
      sendError(
        response,
        session,
        400,
        `Nothing was restored: type ${name} exactly in the confirmation box to restore into it.`,
      );
      return;
    }
    const outcome = await restoreOrRequestApproval(
      engine,
      session.principal,
      { backupId, ...(parts && { parts }), to, safetyBackup: request.body?.safety === 'on' },
      { approvalReachable },
    );
    if (outcome.kind === 'queued') response.redirect(303, `/operations/${outcome.operation.id}?notice=restore-queued`);
    else response.redirect(303, `/approvals?notice=approval-requested`);
  });

  router.post('/backups/:id/download', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const parts = partsIn(request.body?.parts);
    const { download } = await requestDownload(engine, session.principal, {
      backupId: idParam(request.params['id']),
      ...(parts && { parts }),
    });
    response.redirect(303, `/prepared-downloads/${download.id}?notice=download-queued`);
  });

  router.post('/backups/:id/pin', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const pinned = request.body?.pinned === 'true';
    const backup = await pinBackup(engine, session.principal, idParam(request.params['id']), pinned);
    response.redirect(303, `/backups/${backup.id}?notice=${pinned ? 'pinned' : 'unpinned'}`);
  });
}

/** An id from the path; a malformed one finds nothing, said as the engine says it. */
export function idParam(value: unknown): string {
  const id = String(value);
  return isWellFormedId(id) ? id : '-';
}
