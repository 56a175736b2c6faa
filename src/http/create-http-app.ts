import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { sql } from 'kysely';
import { withLogFields } from '../domain/log-context.ts';
import type { Target } from '../domain/target.ts';
import { IdempotencyKeys } from '../state/idempotency-keys.ts';
import { SignInAttempts } from '../state/sign-in-attempts.ts';
import type { StateDb } from '../state/state.ts';
import { WebSessions } from '../state/web-sessions.ts';
import type { Store } from '../storage/store.ts';
import type { UseCaseContext } from '../use-cases/use-case-context.ts';
import { createApiRouter } from './api/api-router.ts';
import { downloadsRoute } from './downloads-route.ts';
import { createMetricsRegistry, metricsHandler } from './metrics.ts';
import { type OidcSettings, OidcSignIn } from './web/oidc-sign-in.ts';
import { createWebRouter } from './web/web-router.ts';
import { defaultSessionTtlSeconds } from './web/web-session.ts';

export interface HealthChecks {
  state: StateDb;
  store: Store;
}

export interface HttpAppOptions extends HealthChecks {
  /** What `/readyz` asks whether the store answers: one without retries, so it answers at once. Default `store`. */
  storeProbe?: Store;
  /** The engine the API works with; without it only `/healthz` and `/readyz` are served. */
  engine?: UseCaseContext;
  /**
   * Whether anyone will be shown a restore request into `target` to approve it (serve: a chat channel bound to it on
   * a configured platform). A restore that would wait for an approval nobody can give is refused. Default: nobody.
   */
  approvalReachable?: (target: Target) => boolean;
  /**
   * The process stopping. From `stopping` on, `/readyz` answers 503 so that load balancers take the instance out
   * while it still serves; from `draining` on (its listener closed), event streams end, so that their clients
   * reconnect to another instance rather than hold the drain open until its deadline.
   */
  shutdown?: { stopping: AbortSignal; draining: AbortSignal };
  /** Serve the Backups view (the web pages, signed in with sessions kept in the state). */
  web?: {
    secure: boolean;
    /** How long a sign-in lasts (default 12 hours). */
    sessionTtlSeconds?: number;
    /** Sign-in with an OpenID Connect provider (`web.oidc`). */
    oidc?: OidcSettings;
    publicUrl?: string;
  };
}

/**
 * Backstop's HTTP app. `/healthz`: the process answers (for liveness probes; also while it stops, so that it is not
 * killed mid-drain). `/readyz`: the state database and the store both answer (for readiness probes and load
 * balancers); 503 with the failing part named otherwise, never with connection details, and 503 `stopping` once the
 * process stops. With an engine: the API under `/api/v1` (bearer tokens; see src/http/api/api-router.ts) and
 * `/metrics` (Prometheus); with `web`, the Backups view at `/` (src/http/web/web-router.ts). Always: `/downloads/<token>`, the directory store's download links. No body parser is installed here: each mounted part parses its own bodies (chat
 * adapters need them raw to check signatures).
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestIds);
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    if (options.shutdown?.stopping.aborted) {
      response.status(503).json({ status: 'stopping' });
      return;
    }
    const results = await Promise.allSettled([
      sql`select 1`.execute(options.state),
      // Any answer from the store, "no such object" included, shows it is reachable.
      (options.storeProbe ?? options.store).stat('.backstop-readiness-probe'),
    ]);
    const [state, store] = results.map((r) => (r.status === 'fulfilled' ? 'ok' : 'unreachable'));
    const ready = state === 'ok' && store === 'ok';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { state, store } });
  });
  // The directory store's download links point here (S3 links go to S3 itself).
  app.use(downloadsRoute(options.store));
  if (options.engine) {
    const approvalReachable = options.approvalReachable ?? (() => false);
    const sessions = options.web ? new WebSessions(options.state, options.engine.clock) : undefined;
    app.get('/metrics', metricsHandler(createMetricsRegistry(options.state, options.engine.targets)));
    app.use(
      '/api/v1',
      createApiRouter({
        engine: options.engine,
        state: options.state,
        approvalReachable,
        ...(sessions && { sessions }),
        ...(options.shutdown && { draining: options.shutdown.draining }),
      }),
    );
    const web = options.web;
    if (web && sessions) {
      const attempts = new SignInAttempts(options.state, options.engine.clock);
      app.use(
        createWebRouter({
          engine: options.engine,
          sessions,
          secure: web.secure,
          approvalReachable,
          sessionTtlSeconds: web.sessionTtlSeconds ?? defaultSessionTtlSeconds,
          formAnswers: new IdempotencyKeys(options.state, options.engine.clock),
          ...(web.oidc && { oidc: new OidcSignIn(web.oidc, attempts, options.engine.access) }),
          ...(web.publicUrl !== undefined && { publicUrl: web.publicUrl }),
        }),
      );
    }
  }
  return app;
}

/** A request id a client or proxy may send (and Backstop then keeps): short, of letters, digits and `._:-`. */
const GIVEN_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives each request an id, the `X-Request-Id` it came with (a proxy's) or a new one, answers with it, and names it
 * on every line logged while the request is served (see withLogFields), so a response and its log lines meet.
 */
function requestIds(request: Request, response: Response, next: NextFunction): void {
  const given = request.get('x-request-id');
  const requestId = given !== undefined && GIVEN_REQUEST_ID.test(given) ? given : randomUUID();
  response.setHeader('X-Request-Id', requestId);
  withLogFields({ requestId }, next);
}
