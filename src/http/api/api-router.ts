import express, { type Router } from 'express';
import { z } from 'zod';
import type { Backup } from '../../domain/backup.ts';
import type { Operation } from '../../domain/operation.ts';
import { partKinds } from '../../domain/parts.ts';
import type { Target } from '../../domain/target.ts';
import { planBackupsRetention } from '../../engine/plan-target-retention.ts';
import { enqueueBackup, enqueueDownload, enqueueRestore } from '../../jobs/enqueue.ts';
import { type ApiToken, tokenCoversApp } from '../../state/api-tokens.ts';
import type { StateDb } from '../../state/state.ts';
import { backupJson, downloadJson, operationJson, restoreJson } from '../../use-cases/json-shapes.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { authenticate, callerOf, requireApp, requireRole, tokenOf } from './api-access.ts';
import { ApiError, apiErrorHandler, parseWith } from './api-errors.ts';

const name = z.string().min(1).max(100);
const parts = z.string().refine(
  (value) => {
    try {
      partKinds(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'parts must be db, media or db+media' },
);

const createBackupBody = z.strictObject({
  app: name,
  env: name,
  parts: parts.optional(),
  note: z.string().max(500).optional(),
});

const listBackupsQuery = z.object({
  app: name.optional(),
  env: name.optional(),
  trigger: z.enum(['scheduled', 'on-demand']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const createRestoreBody = z.strictObject({
  backupId: name,
  parts: parts.optional(),
  to: z.strictObject({ app: name, env: name }).optional(),
  safetyBackup: z.boolean().default(true),
});

const createDownloadBody = z.strictObject({
  backupId: name,
  parts: parts.optional(),
  email: z.email().optional(),
});

/**
 * The HTTP API, mounted at `/api/v1`: bearer tokens (see api-tokens.ts for roles), JSON in and out, errors as
 * `{ error: { code, message } }`. Work is queued as operations and answered with 202 and the operation's id; a
 * worker runs it, and `GET /operations/:id` follows it.
 *
 *   POST /backups          operator   {app, env, parts?, note?}
 *   GET  /backups          viewer     ?app=&env=&trigger=&limit=   (only apps the token may touch)
 *   GET  /backups/:id      viewer
 *   POST /restores         restorer   {backupId, parts?, to?: {app, env}, safetyBackup?}  (never into a protected target)
 *   POST /downloads        operator   {backupId, parts?, email?}
 *   GET  /downloads/:id    operator   (its links, once ready)
 *   GET  /operations/:id   viewer
 *
 * `express.json()` parses bodies on this router only: chat adapters mounted beside it need raw bodies.
 */
export function createApiRouter(options: { engine: UseCaseContext; state: StateDb }): Router {
  const { engine, state } = options;
  const router = express.Router();
  router.use(authenticate(state, engine.clock));
  router.use(express.json({ limit: '64kb' }));

  router.post('/backups', async (request, response) => {
    const token = tokenOf(response);
    requireRole(token, 'operator', 'creating a backup');
    const body = parseWith(createBackupBody, request.body, 'body');
    const target = targetFor(engine, token, body.app, body.env);
    const { backup, operation } = await enqueueBackup(engine, {
      app: target.app,
      env: target.env,
      trigger: 'on-demand',
      parts: body.parts ?? 'db+media',
      note: body.note ?? null,
      requestedBy: callerOf(token),
    });
    accepted(response, request.baseUrl, operation).json({ ...backupJson(backup), operationId: operation.id });
  });

  router.get('/backups', async (request, response) => {
    const token = tokenOf(response);
    const query = parseWith(listBackupsQuery, request.query, 'query');
    const filter = {
      ...(query.env !== undefined && { env: query.env }),
      ...(query.trigger !== undefined && { trigger: query.trigger }),
      limit: query.limit,
    };
    let backups: Backup[];
    if (query.app !== undefined) {
      requireApp(token, query.app);
      backups = await engine.catalog.listBackups({ ...filter, app: query.app });
    } else if (token.apps.includes('*')) {
      backups = await engine.catalog.listBackups(filter);
    } else {
      const perApp = await Promise.all(token.apps.map((app) => engine.catalog.listBackups({ ...filter, app })));
      backups = perApp
        .flat()
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id))
        .slice(0, query.limit);
    }
    const retention = await planBackupsRetention(engine, backups, engine.clock());
    response.json(backups.map((b) => backupJson(b, retention.get(b.id))));
  });

  router.get('/backups/:id', async (request, response) => {
    const token = tokenOf(response);
    const backup = await engine.catalog.getBackup(request.params.id);
    requireApp(token, backup.app);
    const retention = (await planBackupsRetention(engine, [backup], engine.clock())).get(backup.id);
    const operation = await engine.operations.findBySubject('backup', backup.id);
    response.json({ ...backupJson(backup, retention), ...(operation && { operationId: operation.id }) });
  });

  router.post('/restores', async (request, response) => {
    const token = tokenOf(response);
    requireRole(token, 'restorer', 'starting a restore');
    const body = parseWith(createRestoreBody, request.body, 'body');
    const backup = await engine.catalog.getBackup(body.backupId);
    requireApp(token, backup.app);
    const destination = targetFor(engine, token, body.to?.app ?? backup.app, body.to?.env ?? backup.env);
    if (destination.protected) throw approvalRequired(destination, body);
    const { restore, operation } = await enqueueRestore(engine, {
      backupId: backup.id,
      ...(body.parts !== undefined && { parts: body.parts }),
      to: { app: destination.app, env: destination.env },
      safetyBackup: body.safetyBackup,
      requestedBy: callerOf(token),
    });
    accepted(response, request.baseUrl, operation).json({ ...restoreJson(restore), operationId: operation.id });
  });

  router.post('/downloads', async (request, response) => {
    const token = tokenOf(response);
    requireRole(token, 'operator', 'preparing a download');
    const body = parseWith(createDownloadBody, request.body, 'body');
    const backup = await engine.catalog.getBackup(body.backupId);
    requireApp(token, backup.app);
    const { download, operation } = await enqueueDownload(engine, {
      backupId: backup.id,
      ...(body.parts !== undefined && { parts: body.parts }),
      requestedBy: callerOf(token),
      email: body.email ?? null,
    });
    accepted(response, request.baseUrl, operation).json({ ...downloadJson(download), operationId: operation.id });
  });

  router.get('/downloads/:id', async (request, response) => {
    const token = tokenOf(response);
    // Its links hand out the plaintext: the role that may prepare a download.
    requireRole(token, 'operator', 'reading a download');
    const download = await engine.downloads.get(request.params.id);
    const backup = await engine.catalog.findBackup(download.backupId);
    if (backup) requireApp(token, backup.app);
    else requireAllApps(token);
    const operation = await engine.operations.findBySubject('download', download.id);
    response.json({ ...downloadJson(download), ...(operation && { operationId: operation.id }) });
  });

  router.get('/operations/:id', async (request, response) => {
    const token = tokenOf(response);
    const operation = await engine.operations.get(request.params.id);
    const app = await appOf(engine, operation);
    if (app !== undefined) requireApp(token, app);
    else requireAllApps(token);
    response.json(operationJson(operation));
  });

  router.use(() => {
    throw new ApiError(404, 'not-found', 'There is no such API endpoint; see the HTTP API section of the README.');
  });
  router.use(apiErrorHandler(engine.log));
  return router;
}

/** 202 Accepted with the operation to follow in `Location`. */
function accepted(response: express.Response, baseUrl: string, operation: Operation): express.Response {
  return response.status(202).location(`${baseUrl}/operations/${operation.id}`);
}

/**
 * The configured target, after checking the token may touch its app; a 404 `unknown-target` names only the targets
 * of apps the token may touch.
 */
function targetFor(engine: UseCaseContext, token: ApiToken, app: string, env: string): Target {
  requireApp(token, app);
  const found = engine.targets.find((t) => t.app === app && t.env === env);
  if (found) return found;
  const visible = engine.targets.filter((t) => tokenCoversApp(token, t.app)).map((t) => `${t.app}/${t.env}`);
  throw new ApiError(
    404,
    'unknown-target',
    `Unknown target ${app}/${env}.${visible.length > 0 ? ` Targets this token may touch: ${visible.join(', ')}.` : ''}`,
  );
}

/**
 * Restores into a protected target need a second person's approval, which a token cannot give (whatever its role):
 * the answer says where to ask for one.
 */
function approvalRequired(
  destination: Target,
  body: { backupId: string; parts?: string | undefined; to?: unknown; safetyBackup: boolean },
): ApiError {
  const name = `${destination.app}/${destination.env}`;
  const args = [
    body.backupId,
    ...(body.parts !== undefined ? [body.parts] : []),
    ...(body.to !== undefined ? ['to', name] : []),
    ...(body.safetyBackup ? [] : ['--no-safety-backup']),
  ].join(' ');
  return new ApiError(
    403,
    'approval-required',
    `${name} is protected: a restore into it needs approval by a second person. Ask for it in chat with ` +
      `"/backup restore ${args}" (Slack or Discord), where someone else with the approver role approves it; or ` +
      `whoever holds the Backstop config runs "backstop restore ${args}" on the server.`,
    { destination: name, chatCommand: `/backup restore ${args}`, cliCommand: `backstop restore ${args}` },
  );
}

/** Work that belongs to no app (a webhook delivery) is visible only to tokens for every app. */
function requireAllApps(token: ApiToken): void {
  if (!token.apps.includes('*')) {
    throw new ApiError(403, 'forbidden', 'Only a token for every app (*) may see this.');
  }
}

/** The app an operation works for: its target's, or for a download, its backup's. */
async function appOf(engine: UseCaseContext, operation: Operation): Promise<string | undefined> {
  if (operation.target !== null) return operation.target.split('/')[0];
  if (operation.kind === 'download') {
    const download = await engine.downloads.find(operation.subjectId);
    const backup = download && (await engine.catalog.findBackup(download.backupId));
    return backup?.app;
  }
  return undefined;
}
