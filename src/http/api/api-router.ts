import express, { type Router } from 'express';
import type { Target } from '../../domain/target.ts';
import { IdempotencyKeys } from '../../state/idempotency-keys.ts';
import type { StateDb } from '../../state/state.ts';
import type { WebSessions } from '../../state/web-sessions.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { authenticate } from './api-access.ts';
import { ApiError, apiErrorHandler } from './api-errors.ts';
import { backupRoutes } from './backup-routes.ts';
import { eventStreamRoutes } from './event-stream-routes.ts';
import { idempotentPosts } from './idempotent-posts.ts';
import { endpoints, openApiDocument } from './openapi.ts';
import { overviewRoutes } from './overview-routes.ts';
import { restoreRoutes } from './restore-routes.ts';
import { workRoutes } from './work-routes.ts';

/**
 * The HTTP API, mounted at `/api/v1`: bearer tokens (each the principal `api:<name>`), JSON in and out, errors as
 * RFC 9457 problems (`application/problem+json`, with `code`). Work is queued as operations and answered with 202
 * and the operation's address in `Location`; a worker runs it. Every route calls the use cases with the token's
 * principal: they decide who may do what (from `access:` in the config, narrowed by the token's own role and apps)
 * and audit. Lists take `limit` and `cursor` and link the next page (`Link: <...>; rel="next"`); a POST may carry an
 * `Idempotency-Key`. `GET /openapi.json` (no token) describes it all as OpenAPI 3.1.
 *
 *   POST   /backups                       operator  {app, env, parts?, note?}
 *   GET    /backups                       viewer    ?app=&env=&trigger=&limit=&cursor=
 *   GET    /backups/:id                   viewer
 *   PUT    /backups/:id/pin               operator  (DELETE unpins)
 *   POST   /backups/:id/verify            operator  (reads it back; answers when done)
 *   POST   /restores                      restorer  {backupId, parts?, to?: {app, env}, safetyBackup?}
 *                                                   (into a protected target: a restore request, 202)
 *   GET    /restores/preview              restorer  ?backupId=&parts=&toApp=&toEnv=&safetyBackup=   (changes nothing)
 *   GET    /restores/:id                  viewer
 *   GET    /restore-requests              viewer    ?status=&limit=&cursor=
 *   GET    /restore-requests/:id          viewer
 *   POST   /restore-requests/:id/approve  approver  (a person: never a token; also deny, and withdraw by who asked)
 *   POST   /downloads                     operator  {backupId, parts?, email?}
 *   GET    /downloads/:id                 operator  (its links, once ready)
 *   GET    /operations                    viewer    ?state=active|finished|all&limit=&cursor=
 *   GET    /operations/:id                viewer
 *   POST   /operations/:id/cancel         operator
 *   GET    /events                        viewer    server-sent events: operations as they are queued, progress, end
 *   GET    /targets                       viewer    the targets, their parts, and what the caller may do on each
 *   GET    /schedules                     viewer    ?app=&env=   next run, last result, retention policy
 *   GET    /audit                         operator  ?app=&limit=&cursor=
 *
 * `express.json()` parses bodies on this router only: chat adapters mounted beside it need raw bodies.
 */
export function createApiRouter(options: {
  engine: UseCaseContext;
  state: StateDb;
  /** Whether anyone will be shown a restore request into the target (see HttpAppOptions). */
  approvalReachable: (target: Target) => boolean;
  /** The web view's sessions: with them, the page's own requests are admitted by its session cookie. */
  sessions?: WebSessions;
  /** Aborted once the process has stopped listening: event streams end (see eventStreamRoutes). */
  draining?: AbortSignal;
}): Router {
  const { engine, state } = options;
  const router = express.Router();
  // The description of the API is public: it holds nothing of anyone's.
  const description = openApiDocument();
  router.get('/openapi.json', (_request, response) => {
    response.json(description);
  });
  router.use(authenticate(state, engine.clock, options.sessions));
  router.use(express.json({ limit: '64kb' }));
  router.use(idempotentPosts(new IdempotencyKeys(state, engine.clock), engine.log));
  backupRoutes(router, engine);
  restoreRoutes(router, engine, options.approvalReachable);
  workRoutes(router, engine);
  eventStreamRoutes(router, engine, { ...(options.draining && { draining: options.draining }) });
  overviewRoutes(router, engine);
  router.use((request, response) => {
    const allowed = methodsOf(request.path);
    if (allowed.length > 0) {
      response.set('Allow', allowed.join(', '));
      throw new ApiError(
        405,
        'method-not-allowed',
        `${request.method} is not an action on ${request.path}: it takes ${allowed.join(', ')}.`,
      );
    }
    throw new ApiError(404, 'not-found', 'There is no such API endpoint; see the HTTP API section of the README.');
  });
  router.use(apiErrorHandler(engine.log));
  return router;
}

/** The methods the API serves on `path` (a path under /api/v1), from its description. */
function methodsOf(path: string): string[] {
  const methods = endpoints
    .filter((endpoint) => new RegExp(`^${endpoint.path.replace('{id}', '[^/]+')}/?$`).test(path))
    .map((endpoint) => endpoint.method.toUpperCase());
  if (path === '/openapi.json') methods.push('GET');
  return [...new Set(methods)];
}
