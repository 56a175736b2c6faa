import type { RequestHandler, Response, Router } from 'express';
import type { Backup } from '../../domain/backup.ts';
import { findTarget } from '../../domain/find-target.ts';
import { idShapeHint, isWellFormedId } from '../../domain/new-id.ts';
import type { PartsChoice } from '../../domain/part-kind.ts';
import type { Principal } from '../../domain/principal.ts';
import { targetName } from '../../domain/target.ts';
import { createBackup } from '../../use-cases/create-backup.ts';
import { drillBackup } from '../../use-cases/drill-backup.ts';
import { listBackupFiles } from '../../use-cases/list-backup-files.ts';
import { listOperations } from '../../use-cases/operations.ts';
import { pinBackup } from '../../use-cases/pin-backup.ts';
import { listBackups, showBackup } from '../../use-cases/read-backups.ts';
import { readSchedules } from '../../use-cases/read-schedules.ts';
import { readTargets } from '../../use-cases/read-targets.ts';
import { requestDownload } from '../../use-cases/request-download.ts';
import { previewRestore, restoreOrRequestApproval } from '../../use-cases/request-restore.ts';
import { visibleTargets } from '../../use-cases/visible-targets.ts';
import { cursorOf, positionIn } from '../api/pagination.ts';
import { backupPage } from './backup-page.ts';
import { type BackupPage, backupsPage } from './backups-page.ts';
import { filesPage } from './files-page.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { noticeIn } from './notices.ts';
import { restorePage } from './restore-page.ts';
import { partsIn, send, sendError, sessionIn, targetIn, WebInputError, type WebOptions } from './web-router.ts';

/** How many backups of each kind the Backups view shows. */
const shown = 100;
/** How many files of a media backup a page lists. */
const filesPerPage = 200;

/** The Backups view, a backup's page, and creating, restoring, downloading, drilling and pinning from them. */
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
    const raw = request.query['target'];
    if (raw !== undefined && typeof raw !== 'string')
      throw new WebInputError(400, 'Name one target, e.g. ?target=shop/live.');
    const asked = raw === undefined ? undefined : (targetIn(raw) ?? { app: raw, env: '' });
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
    // Each table pages on its own, newest first: `scheduled` and `on-demand` hold the cursor of the row to go on from.
    const from = (name: string) => {
      const cursor = request.query[name];
      if (cursor === undefined) return undefined;
      const position = typeof cursor === 'string' ? positionIn(cursor) : undefined;
      if (!position) throw new WebInputError(400, 'That page of backups does not exist: start from the newest.');
      return position;
    };
    const pageOfKind = (trigger: 'scheduled' | 'on-demand') => {
      const after = from(trigger);
      return listBackups(engine, session.principal, {
        app,
        env,
        trigger,
        limit: shown + 1,
        ...(after && { after }),
      });
    };
    const [scheduled, onDemand, active, [summary]] = await Promise.all([
      pageOfKind('scheduled'),
      pageOfKind('on-demand'),
      listOperations(engine, session.principal, { state: 'active', limit: 100 }),
      readSchedules(engine, session.principal, { app, env }),
    ]);
    const notice = noticeIn(request);
    send(
      response,
      200,
      backupsPage({
        session,
        targets,
        chosen,
        scheduled: pageOf(scheduled.backups, request.query['scheduled'] !== undefined),
        onDemand: pageOf(onDemand.backups, request.query['on-demand'] !== undefined),
        retention: new Map([...scheduled.retention, ...onDemand.retention]),
        active: active.filter((o) => o.target === targetName(chosen.target)),
        ...(summary && { drill: summary.drill }),
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
    const note = noteIn(request.body?.note);
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
    // Its history: what people asked of it, from every surface (the audit log of its app names it).
    const history = abilities?.readAudit
      ? await engine.audit.list({ app: backup.app, mentioning: backup.id, limit: 50 })
      : undefined;
    send(
      response,
      200,
      backupPage({
        ...(history && { history }),
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

  /** The restore page: the choice, and once a destination is chosen, what it would overwrite and the confirmation. */
  async function showRestorePage(
    response: Response,
    backupId: string,
    choice: { parts: unknown; to: unknown; safety: unknown },
    failed?: string,
  ): Promise<void> {
    const session = sessionIn(response);
    const { backup } = await showBackup(engine, session.principal, backupId);
    const destinations = visibleTargets(engine, session.principal, 'restore.request');
    const parts = partsIn(choice.parts) ?? (backup.parts as PartsChoice);
    const to = choice.to === undefined ? undefined : targetIn(choice.to);
    if (choice.to !== undefined && !to) throw new WebInputError(400, 'Choose where to restore to, as app/env.');
    const safetyBackup = choice.to === undefined || choice.safety === 'on';
    const chosen = to ?? { app: backup.app, env: backup.env };
    const preview = to
      ? await previewRestore(engine, session.principal, { backupId: backup.id, parts, to, safetyBackup })
      : undefined;
    const unreachable = preview?.needsApproval === true && !approvalReachable(preview.destination);
    send(
      response,
      failed ? 400 : 200,
      restorePage({
        session,
        backup,
        destinations,
        parts,
        to: targetName(chosen),
        safetyBackup,
        ...(preview && { preview: { ...preview, approvalUnreachable: unreachable } }),
        ...(failed && { notice: { kind: 'error' as const, text: failed } }),
      }),
    );
  }

  router.get('/backups/:id/restore', ...reads, async (request, response) => {
    await showRestorePage(response, idParam(request.params['id']), {
      parts: request.query['parts'],
      to: request.query['to'],
      safety: request.query['safety'],
    });
  });

  router.get('/backups/:id/files', ...reads, async (request, response) => {
    const session = sessionIn(response);
    const id = idParam(request.params['id']);
    const search = typeof request.query['q'] === 'string' ? request.query['q'] : '';
    const from = Number(request.query['from'] ?? 0);
    const offset = Number.isInteger(from) && from >= 0 ? from : 0;
    // One read of the backup and one access check (showBackup would also plan the whole target's retention).
    const listed = await listBackupFiles(engine, session.principal, id, { search, offset, limit: filesPerPage });
    send(response, 200, filesPage({ session, search, offset, limit: filesPerPage, ...listed }));
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
    const typed = typeof request.body?.confirm === 'string' ? request.body.confirm.trim() : '';
    if (typed !== name) {
      const text = `Nothing was restored: you typed "${typed}"; type ${name} exactly to confirm.`;
      await showRestorePage(
        response,
        backupId,
        { parts: request.body?.parts, to: request.body?.to, safety: request.body?.safety },
        text,
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
      email: emailOf(session.principal, engine.people),
    });
    response.redirect(303, `/prepared-downloads/${download.id}?notice=download-queued`);
  });

  router.post('/backups/:id/drill', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const { operation } = await drillBackup(engine, session.principal, { backupId: idParam(request.params['id']) });
    response.redirect(303, `/operations/${operation.id}?notice=drill-queued`);
  });

  router.post('/backups/:id/pin', ...changes, async (request, response) => {
    const session = sessionIn(response);
    const pinned = request.body?.pinned === 'true';
    const backup = await pinBackup(engine, session.principal, idParam(request.params['id']), pinned);
    response.redirect(303, `/backups/${backup.id}?notice=${pinned ? 'pinned' : 'unpinned'}`);
  });
}

/** A page of at most `shown` backups, from a list read with one more (to know whether older ones follow). */
function pageOf(backups: Backup[], older: boolean): BackupPage {
  const last = backups[shown - 1];
  return {
    backups: backups.slice(0, shown),
    older: older,
    ...(backups.length > shown && last && { next: cursorOf({ createdAt: last.createdAt, id: last.id }) }),
  };
}

/**
 * Where a signed-in person's download links are emailed: their address in the config's `people:`, else the verified
 * email their sign-in gave (`web:<email>`, as principal or beside it), else nowhere.
 */
function emailOf(principal: Principal, people: Readonly<Record<string, string>>): string | null {
  const known = people[principal.id];
  if (known !== undefined) return known;
  const names = principal.kind === 'web' ? [principal.id, ...principal.also] : [];
  return names.find((name) => /^web:[^@\s]+@[^@\s]+$/.test(name))?.slice('web:'.length) ?? null;
}

/** An id from the path; a malformed one is no page (404), saying what ids look like. */
export function idParam(value: unknown, what = 'backup'): string {
  const id = String(value);
  if (isWellFormedId(id)) return id;
  throw new WebInputError(404, `There is no ${what} "${id}": ${idShapeHint}.`);
}

/** A note from the form: trimmed, at most 500 characters, no control characters but line breaks and tabs. */
function noteIn(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new WebInputError(400, 'Write one note.');
  const note = value.trim();
  if (note.length > 500) throw new WebInputError(400, `The note is ${note.length} characters long: write at most 500.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(note)) {
    throw new WebInputError(400, 'The note holds a control character: write plain text.');
  }
  return note === '' ? null : note;
}
