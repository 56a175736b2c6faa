import type { Router } from 'express';
import { type Target, targetName } from '../../domain/target.ts';
import { formatTime } from '../../text/format-units.ts';
import { type Decision, decideRestoreRequest } from '../../use-cases/decide-restore-request.ts';
import { restoreJson, restoreRequestJson } from '../../use-cases/json-shapes.ts';
import { listRestoreRequests, showRestoreRequest } from '../../use-cases/read-restore-requests.ts';
import { previewRestore, restoreOrRequestApproval } from '../../use-cases/request-restore.ts';
import { showRestore } from '../../use-cases/show-restore.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { principalOf } from './api-access.ts';
import { ApiError, parseWith } from './api-errors.ts';
import { createRestoreBody, listRestoreRequestsQuery, previewRestoreQuery } from './api-schemas.ts';
import { sendPage } from './pagination.ts';
import { accepted, idIn } from './route-helpers.ts';

/**
 * `/restores` and `/restore-requests`: a restore into a target that needs no approval is queued (202 with its
 * operation); into a protected one it becomes a restore request (202 with the request), which a person with the
 * approver role, other than whoever asked, approves or denies.
 */
export function restoreRoutes(
  router: Router,
  engine: UseCaseContext,
  approvalReachable: (target: Target) => boolean,
): void {
  router.post('/restores', async (request, response) => {
    const body = parseWith(createRestoreBody, request.body, 'body');
    const outcome = await restoreOrRequestApproval(
      engine,
      principalOf(response),
      {
        backupId: body.backupId,
        ...(body.parts !== undefined && { parts: body.parts }),
        ...(body.to !== undefined && { to: body.to }),
        safetyBackup: body.safetyBackup,
      },
      { approvalReachable },
    );
    if (outcome.kind === 'queued') {
      const { restore, operation } = outcome;
      accepted(request, response, operation).json({ ...restoreJson(restore), operationId: operation.id });
      return;
    }
    const opened = outcome.request;
    response
      .status(202)
      .location(`${request.baseUrl}/restore-requests/${opened.id}`)
      .json({
        approvalRequired: true,
        requestId: opened.id,
        message:
          `${targetName(outcome.destination)} is protected: restore request ${opened.id} waits until ` +
          `${formatTime(opened.expiresAt)} for a person with the approver role, other than whoever asked, to ` +
          'approve it.',
        request: restoreRequestJson(opened),
      });
  });

  router.get('/restores/preview', async (request, response) => {
    const query = parseWith(previewRestoreQuery, request.query, 'query');
    if ((query.toApp === undefined) !== (query.toEnv === undefined)) {
      throw new ApiError(400, 'invalid-request', 'Give both toApp and toEnv, or neither (the backup’s own target).');
    }
    const preview = await previewRestore(engine, principalOf(response), {
      backupId: query.backupId,
      ...(query.parts !== undefined && { parts: query.parts }),
      ...(query.toApp !== undefined && query.toEnv !== undefined && { to: { app: query.toApp, env: query.toEnv } }),
      safetyBackup: query.safetyBackup === 'true',
    });
    response.json({
      destination: { app: preview.destination.app, env: preview.destination.env },
      protected: preview.destination.protected,
      overwrites: preview.overwrites,
      backup: preview.backupSummary,
      needsApproval: preview.needsApproval,
      safetyBackup: preview.safetyBackup,
      // What a person types to confirm the restore: the destination's name.
      confirmWith: targetName(preview.destination),
    });
  });

  router.get('/restores/:id', async (request, response) => {
    const { restore, operation } = await showRestore(engine, principalOf(response), idIn(request, 'restore'));
    response.json({ ...restoreJson(restore), ...(operation && { operationId: operation.id }) });
  });

  router.get('/restore-requests', async (request, response) => {
    const query = parseWith(listRestoreRequestsQuery, request.query, 'query');
    const requests = await listRestoreRequests(engine, principalOf(response), {
      ...(query.status !== undefined && { status: query.status }),
      limit: query.limit + 1,
      ...(query.cursor !== undefined && { after: query.cursor }),
    });
    sendPage(request, response, requests, query.limit, restoreRequestJson);
  });

  router.get('/restore-requests/:id', async (request, response) => {
    response.json(
      restoreRequestJson(await showRestoreRequest(engine, principalOf(response), idIn(request, 'request'))),
    );
  });

  for (const decision of ['approve', 'deny', 'withdraw'] as const satisfies readonly Decision[]) {
    router.post(`/restore-requests/:id/${decision}`, async (request, response) => {
      const decided = await decideRestoreRequest(engine, principalOf(response), decision, idIn(request, 'request'));
      const answer = {
        ...restoreRequestJson(decided.request),
        ...(decided.operation && { operationId: decided.operation.id }),
      };
      if (decided.operation) accepted(request, response, decided.operation).json(answer);
      else response.json(answer);
    });
  }
}
