import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Role } from '../../src/domain/principal.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { createToken, revokeToken } from '../../src/state/api-tokens.ts';
import type { Store } from '../../src/storage/store.ts';
import { decideRestoreRequest } from '../../src/use-cases/decide-restore-request.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { listen } from './listen.ts';

const root = mkdtempSync(join(tmpdir(), 'backstop-api-'));
const liveMedia = join(root, 'shop-live');
const stagingMedia = join(root, 'shop-staging');
let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
let worker: Worker;
let server: { url: string; close: () => Promise<void> };
const secrets: Record<string, string> = {};

async function token(name: string, role: Role, apps: string[]): Promise<string> {
  const { secret } = await createToken(engine.state.db, { name, role, apps }, new Date());
  return secret;
}

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer of any shape, checked by the assertions that read it.
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    ...(options.rawBody !== undefined && { body: options.rawBody }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  mkdirSync(join(liveMedia, 'uploads'), { recursive: true });
  writeFileSync(join(liveMedia, 'uploads', 'cat.jpg'), 'meow'.repeat(1000));
  writeFileSync(join(liveMedia, 'robots.txt'), 'User-agent: *\n');
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({
    store,
    targets: [
      target('shop', 'live', { mediaDir: liveMedia }),
      target('shop', 'staging', { mediaDir: stagingMedia }),
      target('shop', 'prod', { mediaDir: join(root, 'shop-prod') }, true),
      target('shop', 'vault', { mediaDir: join(root, 'shop-vault') }, true),
      target('blog', 'live', { mediaDir: join(root, 'blog-live') }),
    ],
  });
  worker = engineWorker(engine.ctx, {
    concurrency: 1,
    heartbeatMs: 200,
    pollMs: 50,
    log: (line) => engine.logs.push(line),
  });
  secrets['viewer'] = await token('dash', 'viewer', ['shop']);
  secrets['operator'] = await token('ci-deploy', 'operator', ['shop']);
  secrets['restorer'] = await token('ops-restore', 'restorer', ['shop']);
  secrets['approver'] = await token('admin', 'approver', ['*']);
  secrets['blog'] = await token('blog-ci', 'operator', ['blog']);
  server = await listen(
    createHttpApp({
      state: engine.state.db,
      store,
      engine: engine.ctx,
      // Requests into shop/prod are shown to approvers; nothing is bound to shop/vault.
      approvalReachable: (t) => t.app === 'shop' && t.env !== 'vault',
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await cleanupStore?.();
  rmSync(root, { recursive: true, force: true });
});

describe('authentication', () => {
  test('no token, a wrong token and a revoked token are all 401 unauthorized, with WWW-Authenticate', async () => {
    const missing = await api('GET', '/backups');
    expect([missing.status, missing.body.code]).toEqual([401, 'unauthorized']);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(missing.body.detail).toContain('Authorization: Bearer');
    // An RFC 9457 problem: the code as a member and, as a URN, its type.
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({
      type: 'urn:backstop:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      code: 'unauthorized',
    });

    const wrong = await api('GET', '/backups', { token: `bst_${'A'.repeat(43)}` });
    const garbage = await api('GET', '/backups', { token: 'hunter2' });
    const { token: revoked, secret } = await createToken(
      engine.state.db,
      { name: 'old', role: 'approver', apps: ['*'] },
      new Date(),
    );
    expect((await api('GET', '/backups', { token: secret })).status).toBe(200);
    await revokeToken(engine.state.db, revoked.id, new Date());
    const afterRevoke = await api('GET', '/backups', { token: secret });
    // Unknown, malformed and revoked answer alike: nothing tells whether a token exists.
    for (const answer of [wrong, garbage, afterRevoke]) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(answer.body).toEqual(wrong.body);
    }
    expect(wrong.body.code).toBe('unauthorized');
  });
});

describe('backups, restores, downloads and operations', () => {
  let backupId: string;
  let operationId: string;

  test('roles and apps are enforced: 403 forbidden naming the role or the app', async () => {
    const viewer = await api('POST', '/backups', { token: secrets['viewer']!, body: { app: 'shop', env: 'live' } });
    expect(viewer.status).toBe(403);
    expect(viewer.body).toMatchObject({ code: 'forbidden', requiredRole: 'operator' });
    expect(viewer.body.detail).toContain('needs the operator role');

    const otherApp = await api('POST', '/backups', { token: secrets['blog']!, body: { app: 'shop', env: 'live' } });
    expect([otherApp.status, otherApp.body.code]).toEqual([403, 'forbidden']);
    expect(otherApp.body.detail).toContain('may not touch app shop');

    const listOther = await api('GET', '/backups?app=shop', { token: secrets['blog']! });
    expect(listOther.status).toBe(403);
    expect(await engine.ctx.catalog.listBackups()).toEqual([]);
  });

  test('an operator creates a backup: 202 with the backup and its operation, which a worker then runs', async () => {
    const created = await api('POST', '/backups', {
      token: secrets['operator']!,
      body: { app: 'shop', env: 'live', parts: 'media', note: 'before deploy 1.2.3' },
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      app: 'shop',
      env: 'live',
      trigger: 'on-demand',
      status: 'queued',
      note: 'before deploy 1.2.3',
      requestedBy: 'api:ci-deploy',
      requestedParts: 'media',
      operationId: expect.any(String),
    });
    backupId = created.body.id;
    operationId = created.body.operationId;
    expect(created.headers.get('location')).toBe(`/api/v1/operations/${operationId}`);

    const queued = await api('GET', `/operations/${operationId}`, { token: secrets['viewer']! });
    expect([queued.status, queued.body]).toEqual([
      200,
      expect.objectContaining({ id: operationId, kind: 'backup', subjectId: backupId, status: 'queued' }),
    ]);

    expect(await worker.runOnce({ id: operationId })).toBe(true);
    const done = await api('GET', `/operations/${operationId}`, { token: secrets['viewer']! });
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1, target: 'shop/live' });

    const shown = await api('GET', `/backups/${backupId}`, { token: secrets['viewer']! });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: backupId, status: 'completed', operationId, pinned: false });
    expect(shown.body.parts).toEqual([expect.objectContaining({ kind: 'media', sizeBytes: expect.any(Number) })]);
    expect(shown.body.retention).toEqual({ keep: true, reason: expect.any(String) });
  });

  test('listing shows only the apps a token may touch, with filters', async () => {
    const shop = await api('GET', '/backups', { token: secrets['viewer']! });
    expect(shop.status).toBe(200);
    expect(shop.body.map((b: { id: string }) => b.id)).toEqual([backupId]);
    const scheduled = await api('GET', '/backups?app=shop&env=live&trigger=scheduled', { token: secrets['viewer']! });
    expect(scheduled.body).toEqual([]);
    const all = await api('GET', '/backups?limit=5', { token: secrets['approver']! });
    expect(all.body).toHaveLength(1);

    const blog = await api('GET', '/backups', { token: secrets['blog']! });
    expect([blog.status, blog.body]).toEqual([200, []]);
    const foreign = await api('GET', `/backups/${backupId}`, { token: secrets['blog']! });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'forbidden']);
    const foreignOperation = await api('GET', `/operations/${operationId}`, { token: secrets['blog']! });
    expect(foreignOperation.status).toBe(403);

    const badLimit = await api('GET', '/backups?limit=0', { token: secrets['viewer']! });
    expect([badLimit.status, badLimit.body.code]).toEqual([400, 'invalid-request']);
    expect(badLimit.body.detail).toContain('query.limit');
  });

  test('an operator may not restore; a restorer restores into an unprotected target', async () => {
    const operator = await api('POST', '/restores', { token: secrets['operator']!, body: { backupId } });
    expect(operator.status).toBe(403);
    expect(operator.body).toMatchObject({ code: 'forbidden', requiredRole: 'restorer' });

    const restored = await api('POST', '/restores', {
      token: secrets['restorer']!,
      body: { backupId, to: { app: 'shop', env: 'staging' } },
    });
    expect(restored.status).toBe(202);
    expect(restored.body).toMatchObject({
      backupId,
      parts: 'media',
      destination: { app: 'shop', env: 'staging' },
      status: 'queued',
      requestedBy: 'api:ops-restore',
      operationId: expect.any(String),
    });
    expect(await worker.runOnce({ id: restored.body.operationId })).toBe(true);
    const done = await api('GET', `/operations/${restored.body.operationId}`, { token: secrets['viewer']! });
    expect(done.body).toMatchObject({ kind: 'restore', status: 'succeeded', target: 'shop/staging' });
    expect(readFileSync(join(stagingMedia, 'uploads', 'cat.jpg'), 'utf8')).toBe('meow'.repeat(1000));
  });

  test('a restore preview says what it would overwrite and whether it waits for approval, and changes nothing', async () => {
    const audited = (await engine.ctx.audit.list({ limit: 1000 })).length;
    const staging = await api('GET', `/restores/preview?backupId=${backupId}&toApp=shop&toEnv=staging`, {
      token: secrets['restorer']!,
    });
    expect(staging.status).toBe(200);
    expect(staging.body).toMatchObject({
      destination: { app: 'shop', env: 'staging' },
      protected: false,
      needsApproval: false,
      safetyBackup: true,
      confirmWith: 'shop/staging',
      overwrites: [expect.stringContaining(stagingMedia)],
    });
    const prod = await api('GET', `/restores/preview?backupId=${backupId}&toApp=shop&toEnv=prod&safetyBackup=false`, {
      token: secrets['restorer']!,
    });
    expect(prod.body).toMatchObject({ protected: true, needsApproval: true, safetyBackup: false });
    expect(await engine.ctx.audit.list({ limit: 1000 })).toHaveLength(audited);

    const operator = await api('GET', `/restores/preview?backupId=${backupId}`, { token: secrets['operator']! });
    expect([operator.status, operator.body.code]).toEqual([403, 'forbidden']);
    const half = await api('GET', `/restores/preview?backupId=${backupId}&toApp=shop`, { token: secrets['restorer']! });
    expect([half.status, half.body.code]).toEqual([400, 'invalid-request']);
    const noDb = await api('GET', `/restores/preview?backupId=${backupId}&parts=db`, { token: secrets['restorer']! });
    expect(noDb.status).toBe(400);
  });

  test('a restore into a protected target opens a restore request (202), which only a person may approve', async () => {
    const asked = await api('POST', '/restores', {
      token: secrets['restorer']!,
      body: { backupId, parts: 'media', to: { app: 'shop', env: 'prod' }, safetyBackup: false },
    });
    expect(asked.status).toBe(202);
    const requestId = asked.body.requestId;
    expect(asked.headers.get('location')).toBe(`/api/v1/restore-requests/${requestId}`);
    expect(asked.body).toMatchObject({
      approvalRequired: true,
      request: {
        id: requestId,
        backupId,
        parts: 'media',
        destination: { app: 'shop', env: 'prod' },
        safetyBackup: false,
        status: 'pending',
        requestedBy: 'api:ops-restore',
      },
    });
    expect(asked.body.message).toContain('shop/prod is protected');
    expect((await engine.ctx.operations.listActive()).filter((o) => o.kind === 'restore')).toEqual([]);

    // Approvers and viewers of the app see it; a token of another app does not.
    const pending = await api('GET', '/restore-requests?status=pending', { token: secrets['viewer']! });
    expect(pending.body.map((r: { id: string }) => r.id)).toEqual([requestId]);
    expect((await api('GET', '/restore-requests', { token: secrets['blog']! })).body).toEqual([]);
    expect((await api('GET', `/restore-requests/${requestId}`, { token: secrets['blog']! })).status).toBe(403);

    // A token, whatever its role, is not the second person of a two-person rule.
    for (const who of ['approver', 'restorer']) {
      const approved = await api('POST', `/restore-requests/${requestId}/approve`, { token: secrets[who]! });
      expect([who, approved.status, approved.body.code]).toEqual([who, 403, 'forbidden']);
      expect(approved.body.detail).toContain('An API token cannot approve');
    }
    // Nor may anyone but whoever asked withdraw it.
    const withdrawn = await api('POST', `/restore-requests/${requestId}/withdraw`, { token: secrets['approver']! });
    expect([withdrawn.status, withdrawn.body.code]).toEqual([403, 'forbidden']);

    // A person approves (here through the use case, as chat does): the API shows the request approved, and the
    // restore it queued runs.
    await decideRestoreRequest(engine.ctx, { kind: 'chat', id: 'slack:U0APPROVER', also: [] }, 'approve', requestId);
    const approved = await api('GET', `/restore-requests/${requestId}`, { token: secrets['viewer']! });
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'slack:U0APPROVER' });
    const restore = await api('GET', `/restores/${approved.body.restoreId}`, { token: secrets['viewer']! });
    expect(restore.body).toMatchObject({ status: 'queued', destination: { app: 'shop', env: 'prod' } });
    expect(await worker.runOnce({ id: restore.body.operationId })).toBe(true);
    const restored = await api('GET', `/restores/${approved.body.restoreId}`, { token: secrets['viewer']! });
    expect(restored.body.status).toBe('succeeded');
    expect(readFileSync(join(root, 'shop-prod', 'uploads', 'cat.jpg'), 'utf8')).toBe('meow'.repeat(1000));

    const late = await api('POST', `/restore-requests/${requestId}/withdraw`, { token: secrets['restorer']! });
    expect([late.status, late.body.code, late.body.requestStatus]).toEqual([409, 'request-decided', 'approved']);
  });

  test('a restore into a protected target nobody would be shown is refused (409), saying what to bind', async () => {
    const refused = await api('POST', '/restores', {
      token: secrets['restorer']!,
      body: { backupId, to: { app: 'shop', env: 'vault' } },
    });
    expect([refused.status, refused.body.code, refused.body.destination]).toEqual([
      409,
      'approval-unreachable',
      'shop/vault',
    ]);
    expect(refused.body.detail).toContain('channels: under apps.shop');
    expect(refused.body.detail).toContain(`backstop restore ${backupId} to shop/vault`);
    const pending = await api('GET', '/restore-requests?status=pending', { token: secrets['viewer']! });
    expect(pending.body.filter((r: { destination: { env: string } }) => r.destination.env === 'vault')).toEqual([]);
  });

  test('whoever asked may withdraw a restore request', async () => {
    const asked = await api('POST', '/restores', {
      token: secrets['restorer']!,
      body: { backupId, to: { app: 'shop', env: 'prod' } },
    });
    const withdrawn = await api('POST', `/restore-requests/${asked.body.requestId}/withdraw`, {
      token: secrets['restorer']!,
    });
    expect([withdrawn.status, withdrawn.body.status, withdrawn.body.decidedBy]).toEqual([
      200,
      'withdrawn',
      'api:ops-restore',
    ]);
  });

  test('pin and unpin, verify, list and cancel operations', async () => {
    expect((await api('PUT', `/backups/${backupId}/pin`, { token: secrets['viewer']! })).status).toBe(403);
    const pinned = await api('PUT', `/backups/${backupId}/pin`, { token: secrets['operator']! });
    expect([pinned.status, pinned.body.pinned]).toEqual([200, true]);
    expect((await api('PUT', `/backups/${backupId}/pin`, { token: secrets['operator']! })).body.pinned).toBe(true);
    expect((await api('GET', `/backups/${backupId}`, { token: secrets['viewer']! })).body.pinned).toBe(true);
    expect((await api('DELETE', `/backups/${backupId}/pin`, { token: secrets['operator']! })).body.pinned).toBe(false);

    expect((await api('POST', `/backups/${backupId}/verify`, { token: secrets['viewer']! })).status).toBe(403);
    const verified = await api('POST', `/backups/${backupId}/verify`, { token: secrets['operator']! });
    expect(verified.status).toBe(200);
    expect(verified.body.verification).toMatchObject({ ok: true, parts: [{ kind: 'media', ok: true }] });
    expect(verified.body.verifiedAt).not.toBeNull();

    const queued = await api('POST', '/backups', { token: secrets['operator']!, body: { app: 'shop', env: 'live' } });
    const operation = queued.body.operationId;
    const active = await api('GET', '/operations?state=active', { token: secrets['viewer']! });
    expect(active.body.map((o: { id: string }) => o.id)).toContain(operation);
    expect((await api('GET', '/operations', { token: secrets['blog']! })).body).toEqual([]);

    expect((await api('POST', `/operations/${operation}/cancel`, { token: secrets['viewer']! })).status).toBe(403);
    const cancelled = await api('POST', `/operations/${operation}/cancel`, { token: secrets['operator']! });
    expect([cancelled.status, cancelled.body.status, cancelled.body.cancelRequestedBy]).toEqual([
      200,
      'cancelled',
      'api:ci-deploy',
    ]);
    const finished = await api('GET', '/operations?state=finished&limit=1', { token: secrets['viewer']! });
    expect(finished.body.map((o: { id: string }) => o.id)).toEqual([operation]);
    expect(finished.headers.get('link')).toMatch(/state=finished.*cursor=.*rel="next"/);
    const again = await api('POST', `/operations/${operation}/cancel`, { token: secrets['operator']! });
    expect([again.status, again.body.code]).toEqual([409, 'operation-finished']);
  });

  test('an operator drills a backup: 202 with the drill and its operation; the backup is then proven restorable', async () => {
    expect((await api('POST', `/backups/${backupId}/drill`, { token: secrets['viewer']! })).status).toBe(403);
    const drilled = await api('POST', `/backups/${backupId}/drill`, { token: secrets['operator']! });
    expect(drilled.status).toBe(202);
    expect(drilled.body).toMatchObject({
      backupId,
      app: 'shop',
      env: 'live',
      status: 'queued',
      requestedBy: 'api:ci-deploy',
      operationId: expect.any(String),
    });
    expect(drilled.headers.get('location')).toBe(`/api/v1/operations/${drilled.body.operationId}`);
    expect(await worker.runOnce({ id: drilled.body.operationId })).toBe(true);
    const operation = await api('GET', `/operations/${drilled.body.operationId}`, { token: secrets['viewer']! });
    // A backup without a database part drills in a lane of its target's own, beside its backups.
    expect(operation.body).toMatchObject({ kind: 'drill', status: 'succeeded', target: 'drill:shop/live' });
    const shown = await api('GET', `/drills/${drilled.body.id}`, { token: secrets['viewer']! });
    expect(shown.body).toMatchObject({ status: 'succeeded', error: null, seconds: expect.any(Number) });
    expect((await api('GET', `/drills/${drilled.body.id}`, { token: secrets['blog']! })).status).toBe(403);
    const backup = await api('GET', `/backups/${backupId}`, { token: secrets['viewer']! });
    expect(backup.body).toMatchObject({
      provenAt: expect.any(String),
      proofSeconds: shown.body.seconds,
      proofError: null,
    });
    // A target's newest completed backup, by the target.
    const byTarget = await api('POST', '/drills', { token: secrets['operator']!, body: { app: 'shop', env: 'live' } });
    expect(byTarget.status).toBe(202);
    expect(byTarget.body).toMatchObject({ app: 'shop', env: 'live', status: 'queued', backupId: expect.any(String) });
    const unknown = await api('POST', '/drills', { token: secrets['operator']!, body: { app: 'shop', env: 'lvie' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown-target']);
    expect(await worker.runOnce({ id: byTarget.body.operationId })).toBe(true);
  });

  test('an operator prepares a download: 202 with the download and its operation', async () => {
    const viewer = await api('POST', '/downloads', { token: secrets['viewer']!, body: { backupId } });
    expect(viewer.status).toBe(403);
    const prepared = await api('POST', '/downloads', {
      token: secrets['operator']!,
      body: { backupId, email: 'ana@example.com' },
    });
    expect(prepared.status).toBe(202);
    expect(prepared.body).toMatchObject({
      backupId,
      status: 'queued',
      links: [],
      requestedBy: 'api:ci-deploy',
      operationId: expect.any(String),
      // This engine has no mailer: the answer says the links will not be emailed.
      emailed: false,
      message: expect.stringContaining('Email is not configured on the server'),
    });
    const operation = await api('GET', `/operations/${prepared.body.operationId}`, { token: secrets['viewer']! });
    expect(operation.body).toMatchObject({ kind: 'download', status: 'queued', target: null });
    const foreign = await api('GET', `/operations/${prepared.body.operationId}`, { token: secrets['blog']! });
    expect(foreign.status).toBe(403);
    const shown = await api('GET', `/downloads/${prepared.body.id}`, { token: secrets['operator']! });
    expect(shown.body).toMatchObject({ id: prepared.body.id, operationId: prepared.body.operationId });

    const badEmail = await api('POST', '/downloads', {
      token: secrets['operator']!,
      body: { backupId, email: 'nope' },
    });
    expect([badEmail.status, badEmail.body.code]).toEqual([400, 'invalid-request']);
  });

  test('mistakes answer 400 or 404 with a code and a message; unexpected failures say nothing more', async () => {
    const operator = secrets['operator']!;
    const backupsBefore = (await engine.ctx.catalog.listBackups()).map((b) => b.id);
    const malformed = await api('POST', '/backups', { token: operator, rawBody: '{"app": "shop",' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'invalid-json']);

    const notJson = await fetch(`${server.url}/api/v1/backups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'app=shop&env=live',
    });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).detail).toContain('Content-Type: application/json');

    const typo = await api('POST', '/backups', { token: operator, body: { app: 'shop', env: 'live', prats: 'db' } });
    expect([typo.status, typo.body.code]).toEqual([400, 'invalid-request']);
    expect(typo.body.detail).toContain('prats');

    const badParts = await api('POST', '/backups', { token: operator, body: { app: 'shop', env: 'live', parts: 'x' } });
    expect([badParts.status, badParts.body.detail]).toEqual([400, expect.stringContaining('db, media or db+media')]);

    // shop/live has no database: the engine refuses the part (the code depends on the source), nothing is queued.
    const noDb = await api('POST', '/backups', { token: operator, body: { app: 'shop', env: 'live', parts: 'db' } });
    expect(noDb.status).toBe(400);
    expect((await engine.ctx.catalog.listBackups()).map((b) => b.id)).toEqual(backupsBefore);

    const unknownTarget = await api('POST', '/backups', { token: operator, body: { app: 'shop', env: 'lvie' } });
    expect([unknownTarget.status, unknownTarget.body.code]).toEqual([404, 'unknown-target']);
    expect(unknownTarget.body.detail).toContain('shop/live');
    expect(unknownTarget.body.detail).not.toContain('blog');

    const noBackup = await api('GET', '/backups/zzzzzz', { token: operator });
    expect([noBackup.status, noBackup.body.code]).toEqual([404, 'backup-not-found']);
    const noOperation = await api('GET', '/operations/zzzzzz', { token: operator });
    expect([noOperation.status, noOperation.body.code]).toEqual([404, 'operation-not-found']);
    const noRoute = await api('GET', '/nothing', { token: operator });
    expect([noRoute.status, noRoute.body.code]).toEqual([404, 'not-found']);
  });
});

describe('malformed ids and text', () => {
  // Each of these reached PostgreSQL, which cannot hold a NUL byte in text and failed the query: a 500.
  const malformedIds = [
    '%00',
    'a%00b',
    '7k3qx2%00',
    'ABCDEF',
    'z'.repeat(33),
    '%F0%9F%92%A5',
    '%E2%80%AE7k3qx2',
    '%ZZ',
  ];

  test('an id in the path that cannot be one answers 400 malformed-id, saying so', async () => {
    const logged = engine.logs.length;
    for (const path of ['/backups', '/operations', '/downloads']) {
      for (const id of malformedIds) {
        const answer = await api('GET', `${path}/${id}`, { token: secrets['approver']! });
        expect([path, id, answer.status, answer.body.code]).toEqual([path, id, 400, 'malformed-id']);
        expect(answer.body.detail).toMatch(/id in the path is malformed.*: Backstop ids are/);
      }
    }
    // Nothing failed on the server (a 500 is logged as "HTTP API: ... failed").
    expect(engine.logs.slice(logged)).toEqual([]);
  });

  test('an id in a body that cannot be one answers 400 invalid-request naming the field, and queues nothing', async () => {
    const logged = engine.logs.length;
    const before = await engine.ctx.operations.listActive();
    for (const backupId of ['\u0000', 'a\u0000b', 'ABCDEF', 'z'.repeat(10_000), '']) {
      for (const path of ['/restores', '/downloads']) {
        const answer = await api('POST', path, { token: secrets['approver']!, body: { backupId } });
        expect([path, answer.status, answer.body.code]).toEqual([path, 400, 'invalid-request']);
        expect(answer.body.detail).toContain('body.backupId: malformed id');
      }
    }
    expect(await engine.ctx.operations.listActive()).toEqual(before);
    expect(engine.logs.slice(logged)).toEqual([]);
  });

  test('a NUL byte in a name, a note or a query answers 400 invalid-request', async () => {
    const logged = engine.logs.length;
    const operator = secrets['operator']!;
    const inApp = await api('POST', '/backups', { token: operator, body: { app: 'sh\u0000op', env: 'live' } });
    const inNote = await api('POST', '/backups', {
      token: operator,
      body: { app: 'shop', env: 'live', parts: 'media', note: 'before\u0000deploy' },
    });
    const inQuery = await api('GET', '/backups?app=sh%00op', { token: operator });
    for (const [answer, field] of [
      [inApp, 'body.app'],
      [inNote, 'body.note'],
      [inQuery, 'query.app'],
    ] as const) {
      expect([answer.status, answer.body.code]).toEqual([400, 'invalid-request']);
      expect(answer.body.detail).toContain(`${field}: must not contain NUL characters`);
    }
    expect(engine.logs.slice(logged)).toEqual([]);
  });

  test('a download link whose token holds a NUL byte, is absurdly long or undecodable answers 403 link-invalid', async () => {
    for (const token of ['%00', 'a%00b.c', `${'a'.repeat(6000)}.${'b'.repeat(43)}`, '%E2%80%AE.x', '%ZZ']) {
      const response = await fetch(`${server.url}/downloads/${token}`);
      expect([response.status, (await response.json()).error.code]).toEqual([403, 'link-invalid']);
    }
  });
});

describe('Idempotency-Key', () => {
  const onDemandBackups = async () => (await engine.ctx.catalog.listBackups({ app: 'shop' })).length;

  test('a POST retried with the same key is answered again, not done again', async () => {
    const before = await onDemandBackups();
    const send = (note: string, key = 'deploy-4711') =>
      api('POST', '/backups', {
        token: secrets['operator']!,
        body: { app: 'shop', env: 'live', parts: 'media', note },
        headers: { 'idempotency-key': key },
      });
    const first = await send('before deploy 4711');
    const retry = await send('before deploy 4711');
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect([retry.status, retry.body, retry.headers.get('location')]).toEqual([
      202,
      first.body,
      first.headers.get('location'),
    ]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await onDemandBackups()).toBe(before + 1);

    // The same key for another request is refused, and does nothing.
    const reused = await send('another note');
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency-key-reused']);
    expect(reused.body.detail).toContain('send a new key with each new request');
    // A quoted key (a structured-field string) is the same key.
    expect((await send('before deploy 4711', '"deploy-4711"')).body).toEqual(first.body);
    // Another token's keys are its own.
    const other = await api('POST', '/backups', {
      token: secrets['approver']!,
      body: { app: 'shop', env: 'live', parts: 'media', note: 'before deploy 4711' },
      headers: { 'idempotency-key': 'deploy-4711' },
    });
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
    expect(await onDemandBackups()).toBe(before + 2);
  });

  test('a refused request frees its key, for a retry once its cause is mended', async () => {
    const request = {
      token: secrets['operator']!,
      body: { app: 'shop', env: 'nowhere' },
      headers: { 'idempotency-key': 'retry-after-fix' },
    };
    const refused = await api('POST', '/backups', request);
    expect([refused.status, refused.body.code]).toEqual([404, 'unknown-target']);
    expect((await api('POST', '/backups', request)).status).toBe(404);
    // Nothing was kept for the key: the request, corrected, goes through with it.
    const mended = await api('POST', '/backups', { ...request, body: { app: 'shop', env: 'live', parts: 'media' } });
    expect(mended.status).toBe(202);
  });

  test('a malformed key is 400 invalid-idempotency-key; without a key every POST is a new request', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), '"unterminated', 'naïve']) {
      const answer = await api('POST', '/backups', {
        token: secrets['operator']!,
        body: { app: 'shop', env: 'live' },
        headers: { 'idempotency-key': key },
      });
      expect([key, answer.status, answer.body.code]).toEqual([key, 400, 'invalid-idempotency-key']);
    }
    const before = await onDemandBackups();
    for (let i = 0; i < 2; i++) {
      await api('POST', '/backups', {
        token: secrets['operator']!,
        body: { app: 'shop', env: 'live', parts: 'media' },
      });
    }
    expect(await onDemandBackups()).toBe(before + 2);
  });
});

describe('pagination', () => {
  test('a list answers a page and a Link to the next; following the links visits every backup once, in order', async () => {
    const t0 = new Date('2026-12-01T10:00:00Z');
    // Three at the same instant, so the cursor must break ties by id.
    for (const minutes of [0, 0, 0, 5, 10, 15, 20]) {
      await engine.ctx.catalog.insertBackup(
        { app: 'blog', env: 'live', trigger: 'on-demand', parts: 'db', note: null, requestedBy: null },
        new Date(t0.getTime() + minutes * 60_000),
      );
    }
    const expected = (await engine.ctx.catalog.listBackups({ app: 'blog' })).map((b) => b.id);
    expect(expected).toHaveLength(7);

    const seen: string[] = [];
    let next: string | undefined = '/backups?app=blog&limit=3';
    let pages = 0;
    while (next !== undefined) {
      const page = await api('GET', next, { token: secrets['blog']! });
      expect(page.status).toBe(200);
      expect(Array.isArray(page.body)).toBe(true);
      seen.push(...page.body.map((b: { id: string }) => b.id));
      pages++;
      const link = page.headers.get('link');
      const target = link === null ? undefined : /^<\/api\/v1([^>]+)>; rel="next"$/.exec(link)?.[1];
      if (link !== null) {
        expect(target).toContain('app=blog');
        expect(target).toContain('limit=3');
      }
      next = target;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(3);
  });

  test('a cursor the API did not give is 400 invalid-request', async () => {
    for (const cursor of ['nonsense', Buffer.from('[1,2]').toString('base64url'), '']) {
      const answer = await api('GET', `/backups?cursor=${cursor}`, { token: secrets['blog']! });
      expect([cursor, answer.status, answer.body.code]).toEqual([cursor, 400, 'invalid-request']);
      expect(answer.body.detail).toContain('query.cursor');
    }
  });
});

describe('targets, schedules and the audit log', () => {
  test('targets lists what a token may read, with what it may do on each', async () => {
    const viewer = await api('GET', '/targets', { token: secrets['viewer']! });
    expect(viewer.body.map((t: { app: string; env: string }) => `${t.app}/${t.env}`)).toEqual([
      'shop/live',
      'shop/staging',
      'shop/prod',
      'shop/vault',
    ]);
    expect(viewer.body.find((t: { env: string }) => t.env === 'prod')).toMatchObject({
      protected: true,
      parts: 'media',
      may: { createBackup: false, restoreInto: false, approve: false, readAudit: false },
    });
    const restorer = await api('GET', '/targets', { token: secrets['restorer']! });
    expect(restorer.body[0].may).toMatchObject({ createBackup: true, restoreInto: true, cancel: true, approve: false });
    // An approver token still may not approve: that takes a person.
    const approver = await api('GET', '/targets', { token: secrets['approver']! });
    expect(approver.body.map((t: { app: string }) => t.app)).toContain('blog');
    expect(approver.body[0].may.approve).toBe(false);
  });

  test('schedules names each target with its retention; unknown targets are 404', async () => {
    const schedules = await api('GET', '/schedules?app=shop', { token: secrets['viewer']! });
    expect(schedules.status).toBe(200);
    expect(schedules.body.map((s: { env: string }) => s.env)).toEqual(['live', 'staging', 'prod', 'vault']);
    expect(schedules.body[0]).toMatchObject({ app: 'shop', retention: expect.any(Object) });
    expect((await api('GET', '/schedules?app=shop&env=nope', { token: secrets['viewer']! })).status).toBe(404);
    expect((await api('GET', '/schedules?app=shop', { token: secrets['blog']! })).status).toBe(403);
  });

  test('the audit log needs the operator role and pages back through every entry', async () => {
    expect((await api('GET', '/audit?app=shop', { token: secrets['viewer']! })).status).toBe(403);
    const all = (await engine.ctx.audit.list({ app: 'shop', limit: 1000 })).map((e) => e.id);
    expect(all.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let next: string | undefined = '/audit?app=shop&limit=4';
    while (next !== undefined) {
      const page = await api('GET', next, { token: secrets['operator']! });
      expect(page.status).toBe(200);
      seen.push(...page.body.map((e: { id: string; at: string }) => e.id));
      next = /^<\/api\/v1([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
    }
    // Reading the log is not itself audited, so the listing is stable while it is read.
    expect(seen).toEqual(all);
  });
});

describe('mistakes with parameters, methods and headers', () => {
  test('an unknown field or parameter is named with the nearest known one; a missing one is required', async () => {
    const typo = await api('POST', '/backups', {
      token: secrets['operator']!,
      body: { app: 'shop', enviroment: 'live' },
    });
    expect(typo.status).toBe(400);
    expect(typo.body.detail).toContain('body.env: required');
    expect(typo.body.detail).toContain('body: unknown field "enviroment"');
    expect(typo.body.detail).toContain('(fields: app, env, parts, note)');
    const query = await api('GET', '/backups?ap=shop', { token: secrets['viewer']! });
    expect([query.status, query.body.detail]).toEqual([
      400,
      expect.stringContaining('query: unknown parameter "ap" (did you mean app?)'),
    ]);
    const twice = await api('GET', '/backups?limit=1&limit=2', { token: secrets['viewer']! });
    expect([twice.status, twice.body.detail]).toEqual([
      400,
      expect.stringContaining('query.limit: given more than once'),
    ]);
  });

  test('a mistyped app is unknown, with the nearest app the token may see; not a missing grant', async () => {
    for (const path of ['/backups?app=shpo', '/schedules?app=shpo', '/audit?app=shpo']) {
      const typo = await api('GET', path, { token: secrets['approver']! });
      expect([path, typo.status, typo.body.code]).toEqual([path, 404, 'unknown-target']);
      expect(typo.body.detail).toContain('Unknown app shpo. Did you mean shop?');
    }
    // A token of another app learns no names it may not see.
    const blog = await api('GET', '/backups?app=shpo', { token: secrets['blog']! });
    expect(blog.body.detail).toBe('Unknown app shpo. Configured apps: blog.');
  });

  test('a known path with another method is 405 naming the methods it takes', async () => {
    const [backup] = await engine.ctx.catalog.listBackups({ app: 'shop', limit: 1 });
    const wrong = await api('POST', `/backups/${backup!.id}/pin`, { token: secrets['operator']! });
    expect([wrong.status, wrong.body.code, wrong.headers.get('allow')]).toEqual([
      405,
      'method-not-allowed',
      'PUT, DELETE',
    ]);
    const deleteBackup = await api('DELETE', `/backups/${backup!.id}`, { token: secrets['operator']! });
    expect([deleteBackup.status, deleteBackup.headers.get('allow')]).toEqual([405, 'GET']);
    expect((await api('GET', '/nothing-here', { token: secrets['operator']! })).status).toBe(404);
  });

  test('a token sent without "Bearer" is told the header\'s form', async () => {
    const response = await fetch(`${server.url}/api/v1/backups`, { headers: { authorization: secrets['viewer']! } });
    expect(response.status).toBe(401);
    expect((await response.json()).detail).toContain('must be "Bearer <token>"');
  });
});
