import type { Response, Router } from 'express';
import type { Operation } from '../../domain/operation.ts';
import { operationJson } from '../../use-cases/json-shapes.ts';
import { listOperations, mayReadOperationOf } from '../../use-cases/operations.ts';
import { readableApps, refuseNoAppToRead } from '../../use-cases/read-backups.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { principalOf, tokenStillActive } from './api-access.ts';
import { OperationWatch } from './operation-watch.ts';

/** How often an idle stream sends a comment, so proxies and load balancers do not close it as idle. */
const keepAliveMs = 15_000;
/** How often an open stream checks that its token was not revoked. */
const recheckMs = 5_000;

/**
 * `GET /events`: a server-sent event stream (`text/event-stream`) of the operations the principal may read. It opens
 * with one `operation` event per queued or running operation, then sends one each time an operation is queued,
 * makes progress (phase, bytes) or ends, each `data` the operation's JSON and `id` its id. A client that reconnects
 * gets the active operations again (`Last-Event-ID` is not replayed: what changed meanwhile is in each operation's
 * present state); one that only follows work it started can match `id`. A short operation may show only its end.
 * A principal who may read no app is refused; a token revoked while its stream is open ends it with an `end` event.
 * Once `draining` aborts (the process stopping has closed its listener), every stream ends without an `end` event, as
 * one cut by the network would: its client reconnects, to another instance, instead of keeping this one's drain open
 * until the deadline (a stream opened after that ends once it has sent the active operations).
 */
export function eventStreamRoutes(
  router: Router,
  engine: UseCaseContext,
  options: { watch?: OperationWatch; draining?: AbortSignal } = {},
): void {
  const watch = options.watch ?? new OperationWatch(engine);
  const draining = options.draining;
  router.get('/events', async (request, response) => {
    const principal = principalOf(response);
    if (readableApps(engine, principal).length === 0) await refuseNoAppToRead(engine, principal, 'events');
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
    // A token revoked while its stream is open ends the stream: checked at most once a second when there is
    // something to send, and every few seconds in any case.
    let checkedAt = 0;
    let ended = false;
    const stillActive = async (): Promise<boolean> => {
      checkedAt = Date.now();
      if (await tokenStillActive(response)) return !ended;
      if (!ended) {
        ended = true;
        response.end(
          `event: end\ndata: {"reason":"${principal.kind === 'api' ? 'the token was revoked' : 'the session ended'}"}\n\n`,
        );
      }
      return false;
    };
    const unsubscribe = watch.subscribe((changes) => {
      void (Date.now() - checkedAt >= 1000 ? stillActive() : Promise.resolve(!ended)).then((active) => {
        if (!active) return;
        for (const { operation, app } of changes) {
          if (mayReadOperationOf(engine, principal, app)) send(response, operation);
        }
      });
    });
    const keepAlive = setInterval(() => {
      if (!ended) response.write(': keep-alive\n\n');
    }, keepAliveMs);
    const recheck = setInterval(() => void stillActive().catch(() => undefined), recheckMs);
    keepAlive.unref();
    recheck.unref();
    const drain = () => {
      if (ended) return;
      ended = true;
      response.end();
    };
    if (draining?.aborted) drain();
    else draining?.addEventListener('abort', drain, { once: true });
    request.on('close', () => {
      clearInterval(keepAlive);
      clearInterval(recheck);
      draining?.removeEventListener('abort', drain);
      unsubscribe();
    });
  });
}

function send(response: Response, operation: Operation): void {
  response.write(`id: ${operation.id}\nevent: operation\ndata: ${JSON.stringify(operationJson(operation))}\n\n`);
}
