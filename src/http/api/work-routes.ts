import type { Router } from 'express';
import { downloadJson, operationJson } from '../../use-cases/json-shapes.ts';
import { cancelOperationAs, listOperations, showOperation } from '../../use-cases/operations.ts';
import { requestDownload, showDownload } from '../../use-cases/request-download.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { principalOf } from './api-access.ts';
import { parseWith } from './api-errors.ts';
import { createDownloadBody, listOperationsQuery } from './api-schemas.ts';
import { sendPage } from './pagination.ts';
import { accepted, idIn } from './route-helpers.ts';

/** `/downloads` and `/operations`: preparing downloads, and following or cancelling queued work. */
export function workRoutes(router: Router, engine: UseCaseContext): void {
  router.post('/downloads', async (request, response) => {
    const body = parseWith(createDownloadBody, request.body, 'body');
    const { download, operation } = await requestDownload(engine, principalOf(response), {
      backupId: body.backupId,
      ...(body.parts !== undefined && { parts: body.parts }),
      email: body.email ?? null,
    });
    accepted(request, response, operation).json({
      ...downloadJson(download),
      operationId: operation.id,
      // Whether its links will be emailed: only with email configured on the server and an address to send to.
      emailed: download.email !== null && engine.mailer !== undefined,
      ...(download.email !== null &&
        engine.mailer === undefined && {
          message: 'Email is not configured on the server, so the links are not emailed: GET this download for them.',
        }),
    });
  });

  router.get('/downloads/:id', async (request, response) => {
    const { download, operation } = await showDownload(engine, principalOf(response), idIn(request, 'download'));
    response.json({ ...downloadJson(download), ...(operation && { operationId: operation.id }) });
  });

  router.get('/operations', async (request, response) => {
    const query = parseWith(listOperationsQuery, request.query, 'query');
    const operations = await listOperations(engine, principalOf(response), {
      state: query.state,
      limit: query.limit + 1,
      ...(query.cursor !== undefined && { after: query.cursor }),
    });
    sendPage(request, response, operations, query.limit, operationJson);
  });

  router.get('/operations/:id', async (request, response) => {
    response.json(operationJson(await showOperation(engine, principalOf(response), idIn(request, 'operation'))));
  });

  router.post('/operations/:id/cancel', async (request, response) => {
    response.json(operationJson(await cancelOperationAs(engine, principalOf(response), idIn(request, 'operation'))));
  });
}
