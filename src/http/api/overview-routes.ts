import type { Router } from 'express';
import { auditEntryJson, scheduleJson } from '../../use-cases/json-shapes.ts';
import { readAudit } from '../../use-cases/read-audit.ts';
import { readSchedules } from '../../use-cases/read-schedules.ts';
import { readTargets } from '../../use-cases/read-targets.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { principalOf } from './api-access.ts';
import { parseWith } from './api-errors.ts';
import { listAuditQuery, listSchedulesQuery } from './api-schemas.ts';
import { sendPage } from './pagination.ts';

/** `/targets`, `/schedules` and `/audit`: what is configured, what the caller may do there, and what was done. */
export function overviewRoutes(router: Router, engine: UseCaseContext): void {
  router.get('/targets', (_request, response) => {
    response.json(
      readTargets(engine, principalOf(response)).map(({ target, parts, abilities }) => ({
        app: target.app,
        env: target.env,
        parts,
        protected: target.protected,
        may: abilities,
      })),
    );
  });

  router.get('/schedules', async (request, response) => {
    const query = parseWith(listSchedulesQuery, request.query, 'query');
    const summaries = await readSchedules(engine, principalOf(response), {
      ...(query.app !== undefined && { app: query.app }),
      ...(query.env !== undefined && { env: query.env }),
    });
    response.json(summaries.map(scheduleJson));
  });

  router.get('/audit', async (request, response) => {
    const query = parseWith(listAuditQuery, request.query, 'query');
    const entries = await readAudit(engine, principalOf(response), {
      ...(query.app !== undefined && { app: query.app }),
      limit: query.limit + 1,
      ...(query.cursor !== undefined && { beforeId: query.cursor.id }),
    });
    sendPage(request, response, entries, query.limit, auditEntryJson, (entry) => ({
      createdAt: entry.at,
      id: entry.id,
    }));
  });
}
