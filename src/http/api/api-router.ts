import express, { type Router } from 'express';
import { z } from 'zod';
import { idShapeHint, isWellFormedId } from '../../domain/new-id.ts';
import type { Operation } from '../../domain/operation.ts';
import type { PartsChoice } from '../../domain/part-kind.ts';
import { partKinds } from '../../domain/parts.ts';
import type { Target } from '../../domain/target.ts';
import { IdempotencyKeys } from '../../state/idempotency-keys.ts';
import type { StateDb } from '../../state/state.ts';
import { createBackup } from '../../use-cases/create-backup.ts';
import { backupJson, downloadJson, operationJson, restoreJson } from '../../use-cases/json-shapes.ts';
import { showOperation } from '../../use-cases/operations.ts';
import { listBackups, showBackup } from '../../use-cases/read-backups.ts';
import { requestDownload, showDownload } from '../../use-cases/request-download.ts';
import { requestRestore } from '../../use-cases/request-restore.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { authenticate, principalOf } from './api-access.ts';
import { ApiError, apiErrorHandler, parseWith } from './api-errors.ts';
import { idempotentPosts } from './idempotent-posts.ts';
import { pageQuery, sendPage } from './pagination.ts';

// PostgreSQL text cannot hold a NUL byte: a string with one would fail the query it reaches, so it is refused here.
const text = z.string().refine((value) => !value.includes('\0'), { message: 'must not contain NUL characters' });
const name = text.min(1).max(100);
const id = z.string().refine(isWellFormedId, { message: `malformed id: ${idShapeHint}` });
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
  note: text.max(500).optional(),
});

const listBackupsQuery = z.object({
  app: name.optional(),
  env: name.optional(),
  trigger: z.enum(['scheduled', 'on-demand']).optional(),
  ...pageQuery,
});

const createRestoreBody = z.strictObject({
  backupId: id,
  parts: parts.optional(),
  to: z.strictObject({ app: name, env: name }).optional(),
  safetyBackup: z.boolean().default(true),
});

const createDownloadBody = z.strictObject({
  backupId: id,
  parts: parts.optional(),
  email: z.email().optional(),
});

/**
 * The HTTP API, mounted at `/api/v1`: bearer tokens (each the principal `api:<name>`), JSON in and out, errors as
 * RFC 9457 problems (`application/problem+json`, with `code`). Work is queued as operations and answered with 202 and the operation's id; a
 * worker runs it, and `GET /operations/:id` follows it. Every route calls the use cases with the token's principal:
 * they decide who may do what (from `access:` in the config, narrowed by the token's own role and apps) and audit.
 *
 *   POST /backups          operator   {app, env, parts?, note?}
 *   GET  /backups          viewer     ?app=&env=&trigger=&limit=&cursor=   (only apps the token may touch; pages)
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
  router.use(idempotentPosts(new IdempotencyKeys(state, engine.clock), engine.log));

  router.post('/backups', async (request, response) => {
    const body = parseWith(createBackupBody, request.body, 'body');
    const { backup, operation } = await createBackup(engine, principalOf(response), {
      app: body.app,
      env: body.env,
      ...(body.parts !== undefined && { parts: body.parts as PartsChoice }),
      note: body.note ?? null,
    });
    accepted(response, request.baseUrl, operation).json({ ...backupJson(backup), operationId: operation.id });
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

  router.post('/restores', async (request, response) => {
    const body = parseWith(createRestoreBody, request.body, 'body');
    const outcome = await requestRestore(engine, principalOf(response), {
      backupId: body.backupId,
      ...(body.parts !== undefined && { parts: body.parts }),
      ...(body.to !== undefined && { to: body.to }),
      safetyBackup: body.safetyBackup,
    });
    if (outcome.kind === 'approval-required') throw approvalRequired(outcome.destination, body);
    const { restore, operation } = outcome;
    accepted(response, request.baseUrl, operation).json({ ...restoreJson(restore), operationId: operation.id });
  });

  router.post('/downloads', async (request, response) => {
    const body = parseWith(createDownloadBody, request.body, 'body');
    const { download, operation } = await requestDownload(engine, principalOf(response), {
      backupId: body.backupId,
      ...(body.parts !== undefined && { parts: body.parts }),
      email: body.email ?? null,
    });
    accepted(response, request.baseUrl, operation).json({ ...downloadJson(download), operationId: operation.id });
  });

  router.get('/downloads/:id', async (request, response) => {
    const { download, operation } = await showDownload(engine, principalOf(response), idIn(request, 'download'));
    response.json({ ...downloadJson(download), ...(operation && { operationId: operation.id }) });
  });

  router.get('/operations/:id', async (request, response) => {
    response.json(operationJson(await showOperation(engine, principalOf(response), idIn(request, 'operation'))));
  });

  router.use(() => {
    throw new ApiError(404, 'not-found', 'There is no such API endpoint; see the HTTP API section of the README.');
  });
  router.use(apiErrorHandler(engine.log));
  return router;
}

/**
 * The id in the request's path, or 400 `malformed-id`: text that cannot be an id names nothing, and a NUL byte in it
 * would fail the database query rather than find nothing.
 */
function idIn(request: express.Request, what: 'backup' | 'download' | 'operation'): string {
  const given = String(request.params['id']);
  if (isWellFormedId(given)) return given;
  throw new ApiError(400, 'malformed-id', `The ${what} id in the path is malformed: ${idShapeHint}.`);
}

/** 202 Accepted with the operation to follow in `Location`. */
function accepted(response: express.Response, baseUrl: string, operation: Operation): express.Response {
  return response.status(202).location(`${baseUrl}/operations/${operation.id}`);
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
