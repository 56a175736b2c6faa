import express, { type Express } from 'express';
import { sql } from 'kysely';
import type { StateDb } from '../state/state.ts';
import type { Store } from '../storage/store.ts';

export interface HealthChecks {
  state: StateDb;
  store: Store;
}

/**
 * Backstop's HTTP app. `/healthz`: the process answers (for liveness probes). `/readyz`: the state database and the
 * store both answer (for readiness probes and load balancers); 503 with the failing part named otherwise, never with
 * connection details. Chat endpoints, the API and downloads mount here as they are built.
 */
export function createHttpApp(checks: HealthChecks): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    const results = await Promise.allSettled([
      sql`select 1`.execute(checks.state),
      // Any answer from the store, "no such object" included, shows it is reachable.
      checks.store.stat('.backstop-readiness-probe'),
    ]);
    const [state, store] = results.map((r) => (r.status === 'fulfilled' ? 'ok' : 'unreachable'));
    const ready = state === 'ok' && store === 'ok';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { state, store } });
  });
  return app;
}
