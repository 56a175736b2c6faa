import type { Response, Router } from 'express';
import type { Operation } from '../../domain/operation.ts';
import { operationJson } from '../../use-cases/json-shapes.ts';
import { listOperations, mayReadOperationOf } from '../../use-cases/operations.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { principalOf } from './api-access.ts';
import { OperationWatch } from './operation-watch.ts';

/** How often an idle stream sends a comment, so proxies and load balancers do not close it as idle. */
const keepAliveMs = 15_000;

/**
 * `GET /events`: a server-sent event stream (`text/event-stream`) of the operations the principal may read. It opens
 * with one `operation` event per queued or running operation, then sends one each time an operation is queued,
 * makes progress (phase, bytes) or ends, each `data` the operation's JSON and `id` its id. A client that reconnects
 * gets the active operations again; one that only follows work it started can match `id`.
 */
export function eventStreamRoutes(router: Router, engine: UseCaseContext, watch = new OperationWatch(engine)): void {
  router.get('/events', async (request, response) => {
    const principal = principalOf(response);
    const active = await listOperations(engine, principal, { state: 'active', limit: 1000 });
    response.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    response.flushHeaders();
    response.write('retry: 2000\n\n');
    for (const operation of active.reverse()) send(response, operation);
    const unsubscribe = watch.subscribe((changes) => {
      for (const { operation, app } of changes) {
        if (mayReadOperationOf(engine, principal, app)) send(response, operation);
      }
    });
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), keepAliveMs);
    keepAlive.unref();
    request.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });
}

function send(response: Response, operation: Operation): void {
  response.write(`id: ${operation.id}\nevent: operation\ndata: ${JSON.stringify(operationJson(operation))}\n\n`);
}
