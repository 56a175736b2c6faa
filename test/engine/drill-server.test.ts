import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Target } from '../../src/domain/target.ts';
import { drillBackup } from '../../src/use-cases/drill-backup.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine, takeBackup, target } from '../support/engine.ts';
import { adminUrl, databaseUrl, sql } from '../support/postgres.ts';

const operator = { kind: 'operator', id: 'cli:test' } as const;

/**
 * A target whose database role may not create databases (a usual application role): its drills need a drill server,
 * `drill: { server }`, where another role may. Both on the test server, reached by different URLs, so that which URL
 * a drill used shows in who owned its scratch database and in its queue lane.
 */
describe('a drill server', () => {
  const suffix = randomBytes(4).toString('hex');
  const role = `backstop_app_${suffix}`;
  const name = `backstop_appdb_${suffix}`;
  let engine: TestEngine;
  let live: Target;
  let workDir: string;
  let cleanupStore: () => Promise<void>;
  let backupId: string;

  beforeAll(async () => {
    await sql(adminUrl, `create role ${role} login nocreatedb`);
    await sql(adminUrl, `create role ${role}_scratch login createdb`);
    await sql(adminUrl, `create database ${name} owner ${role}`);
    const url = databaseUrl(name).replace('postgres@', `${role}@`);
    await sql(url, 'create table orders (id int); insert into orders select generate_series(1, 50);');
    const made = await makeStore('directory');
    cleanupStore = made.cleanup;
    workDir = mkdtempSync(join(tmpdir(), 'backstop-drill-server-'));
    live = target('shop', 'live', { database: url });
    engine = await makeEngine({ store: made.store, targets: [live], drillScratchDir: join(workDir, 'drills') });
    backupId = (await takeBackup(engine.ctx, 'db')).id;
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
    await sql(adminUrl, `drop database if exists ${name} with (force)`);
    await sql(adminUrl, `drop role if exists ${role}`);
    await sql(adminUrl, `drop role if exists ${role}_scratch`);
    await cleanupStore?.();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function drill() {
    const { drill: queued, operation } = await drillBackup(engine.ctx, operator, { backupId });
    await engineWorker(engine.ctx).runOnce({ id: operation.id });
    return {
      drill: await engine.ctx.catalog.drills.get(queued.id),
      operation: await engine.ctx.operations.get(operation.id),
    };
  }

  test('without one, a role that may not create databases fails the drill at once, saying what to do', async () => {
    const { drill: ended, operation } = await drill();
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe(
      `${role} may not create databases on 127.0.0.1:5432, and a drill restores into a scratch database it creates ` +
        `there (backstop_drill_${operation.id}); nothing was restored. Give the role the right (ALTER ROLE "${role}" ` +
        'CREATEDB), or set drill.server to a PostgreSQL URL whose role may create databases',
    );
    const [event] = (await engine.ctx.events.list({ types: ['drill.failed'] })).slice(-1);
    expect(event?.data).toMatchObject({
      hint: expect.stringContaining('apps.shop.environments.live.drill.server'),
    });
    // The drill failed to run; the backup was never reached, so it is not judged (not "drill FAILED" in list).
    expect(await engine.ctx.catalog.getBackup(backupId)).toMatchObject({ provenAt: null, proofError: null });
  }, 60_000);

  test('a drill server that cannot be used is named as such: unreachable, or its role may not create databases', async () => {
    try {
      live.drill = { schedule: 'off', checks: [], server: 'postgres://postgres@127.0.0.1:1/postgres' };
      const unreachable = await drill();
      expect(await engine.ctx.catalog.getBackup(backupId)).toMatchObject({ proofError: null });
      expect(unreachable.drill.error).toMatch(
        /^The drill server \(apps\.shop\.environments\.live\.drill\.server\) could not be used: .*127\.0\.0\.1:1/,
      );
      live.drill = { schedule: 'off', checks: [], server: databaseUrl('postgres').replace('postgres@', `${role}@`) };
      const refused = await drill();
      expect(refused.drill.error).toMatch(
        new RegExp(
          `^${role} may not create databases on the drill server 127\\.0\\.0\\.1:5432 \\(apps\\.shop\\.environments\\.live\\.drill\\.server\\).*` +
            'or change apps\\.shop\\.environments\\.live\\.drill\\.server to a URL whose role may create databases$',
        ),
      );
    } finally {
      delete live.drill;
    }
  }, 60_000);

  test('with one, the scratch database is made there by its role, and drills queue in its lane', async () => {
    live.drill = {
      schedule: 'off',
      server: 'postgres://postgres@localhost:5432/postgres',
      // Run in the scratch database: they hold only where the drill server's role made it.
      checks: [
        "select pg_catalog.pg_get_userbyid(datdba) = 'postgres' from pg_database where datname = current_database()",
        'select count(*) = 50 from orders',
      ],
    };
    const { drill: ended, operation } = await drill();
    expect(ended).toMatchObject({ status: 'succeeded', error: null });
    expect(operation.target).toBe('drill:localhost:5432');
    const left = await sql(adminUrl, "select datname from pg_database where starts_with(datname, 'backstop_drill_')");
    expect(left.filter((row) => String(row['datname']).includes(operation.id))).toEqual([]);
  }, 60_000);

  test('an extension the restoring role may not create fails the drill saying whose right it is', async () => {
    // Made by a superuser in the application's database: its dump creates it again, which a plain role may not.
    await sql(databaseUrl(name), 'create extension if not exists bloom');
    const taken = await takeBackup(engine.ctx, 'db');
    live.drill = {
      schedule: 'off',
      checks: [],
      server: databaseUrl('postgres').replace('postgres@', `${role}_scratch@`),
    };
    try {
      const { drill: asked, operation } = await drillBackup(engine.ctx, operator, { backupId: taken.id });
      await engineWorker(engine.ctx).runOnce({ id: operation.id });
      const ended = await engine.ctx.catalog.drills.get(asked.id);
      expect(ended.error).toMatch(
        /^Restoring the database part into the scratch database failed: .*permission denied to create extension "bloom".* The role that restores \(of drill\.server, or of the target's URL\) must be able to create extension bloom/s,
      );
      expect(ended.error).not.toContain('the database was not changed');
    } finally {
      delete live.drill;
      await sql(databaseUrl(name), 'drop extension bloom');
    }
  }, 60_000);
});
