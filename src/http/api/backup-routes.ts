import type { Router } from 'express';
import type { PartsChoice } from '../../domain/part-kind.ts';
import { createBackup } from '../../use-cases/create-backup.ts';
import { drillBackup, showDrill } from '../../use-cases/drill-backup.ts';
import { backupJson, drillJson } from '../../use-cases/json-shapes.ts';
import { pinBackup } from '../../use-cases/pin-backup.ts';
import { listBackups, showBackup } from '../../use-cases/read-backups.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { verifyStoredBackup } from '../../use-cases/verify-stored-backup.ts';
import { principalOf } from './api-access.ts';
import { parseWith } from './api-errors.ts';
import { createBackupBody, createDrillBody, listBackupsQuery } from './api-schemas.ts';
import { sendPage } from './pagination.ts';
import { accepted, idIn } from './route-helpers.ts';

/** `/backups`: create, list, show, pin and unpin, verify, drill; `/drills`: drill a target's newest backup, show one. */
export function backupRoutes(router: Router, engine: UseCaseContext): void {
  router.post('/backups', async (request, response) => {
    const body = parseWith(createBackupBody, request.body, 'body');
    const { backup, operation } = await createBackup(engine, principalOf(response), {
      app: body.app,
      env: body.env,
      ...(body.parts !== undefined && { parts: body.parts as PartsChoice }),
      note: body.note ?? null,
    });
    accepted(request, response, operation).json({ ...backupJson(backup), operationId: operation.id });
  });

  router.get('/backups', async (request, response) => {
    const query = parseWith(listBackupsQuery, request.query, 'query');
    const { backups, retention } = await listBackups(engine, principalOf(response), {
      ...(query.app !== undefined && { app: query.app }),
      ...(query.env !== undefined && { env: query.env }),
      ...(query.trigger !== undefined && { trigger: query.trigger }),
      limit: query.limit + 1,
      ...(query.cursor !== undefined && { after: query.cursor }),
    });
    sendPage(request, response, backups, query.limit, (b) => backupJson(b, retention.get(b.id)));
  });

  router.get('/backups/:id', async (request, response) => {
    const { backup, retention, operation } = await showBackup(engine, principalOf(response), idIn(request, 'backup'));
    response.json({ ...backupJson(backup, retention), ...(operation && { operationId: operation.id }) });
  });

  // Pinning is a state the backup is in, so PUT sets it and DELETE clears it: both are safe to repeat.
  for (const [method, pinned] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    router[method]('/backups/:id/pin', async (request, response) => {
      const backup = await pinBackup(engine, principalOf(response), idIn(request, 'backup'), pinned);
      response.json(backupJson(backup));
    });
  }

  router.post('/backups/:id/drill', async (request, response) => {
    const { drill, operation } = await drillBackup(engine, principalOf(response), {
      backupId: idIn(request, 'backup'),
    });
    accepted(request, response, operation).json({ ...drillJson(drill), operationId: operation.id });
  });

  router.post('/drills', async (request, response) => {
    const body = parseWith(createDrillBody, request.body, 'body');
    const { drill, operation } = await drillBackup(engine, principalOf(response), { app: body.app, env: body.env });
    accepted(request, response, operation).json({ ...drillJson(drill), operationId: operation.id });
  });

  router.get('/drills/:id', async (request, response) => {
    const { drill, operation } = await showDrill(engine, principalOf(response), idIn(request, 'drill'));
    response.json({ ...drillJson(drill), ...(operation && { operationId: operation.id }) });
  });

  router.post('/backups/:id/verify', async (request, response) => {
    const { backup, parts, metadata } = await verifyStoredBackup(
      engine,
      principalOf(response),
      idIn(request, 'backup'),
      {
        checks: {},
      },
    );
    const ok = parts.every((p) => p.ok) && metadata.ok;
    response.json({ ...backupJson(backup), verification: { ok, parts, metadata } });
  });
}
