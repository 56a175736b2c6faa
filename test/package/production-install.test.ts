import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDatabase, dropDatabase, sql } from '../support/postgres.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'backstop-package-'));
let database: { name: string; url: string };

beforeAll(async () => {
  database = await createDatabase('package');
  await sql(database.url, "create table orders (id int primary key, item text); insert into orders values (1, 'tea')");
});
afterAll(async () => {
  await dropDatabase(database.name);
  rmSync(work, { recursive: true, force: true });
});

// The production path, as an image or a server installs Backstop: the packed package with its production
// dependencies only (no TypeScript, no tsx, no test tools), then the compiled `backstop` command.
test('the packed package installed with --omit=dev runs a backup and verifies it', async () => {
  const env = { ...process.env, BACKSTOP_FROM_SOURCE: '', npm_config_audit: 'false', npm_config_fund: 'false' };
  // The build `npm test` made before the suite: `prepare` would rebuild dist/ under the tests running beside this one.
  const { stdout: packed } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: repo,
    env,
  });
  const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: Array<{ path: string }> }];
  const paths = files.map((f) => f.path);
  expect(paths).toContain('dist/cli/main.js');
  expect(paths).toContain('bin/backstop.js');
  expect(paths).toContain('schema/backstop.schema.json');
  expect(paths.filter((p) => p.startsWith('test/') || p.endsWith('.ts'))).toEqual([]);

  // The image's steps (see Dockerfile): the package unpacked and its production dependencies installed at the
  // versions of package-lock.json, by the same script.
  const app = join(work, 'app');
  await run('sh', ['scripts/install-production.sh', join(work, filename), app, join(repo, 'package-lock.json')], {
    cwd: repo,
    env,
  });
  const installed = readdirSync(join(app, 'node_modules'));
  for (const devOnly of ['typescript', 'tsx', 'vitest', 's3rver', '@biomejs']) expect(installed).not.toContain(devOnly);

  mkdirSync(join(app, 'media'));
  writeFileSync(join(app, 'media', 'logo.png'), Buffer.alloc(70_000, 3));
  writeFileSync(
    join(app, 'backstop.yaml'),
    `apps: { site: { environments: { live: { database: "${database.url}", media: ./media } } } }\n`,
  );
  const backstop = join(app, 'bin', 'backstop.js');
  const { stdout: created } = await run(backstop, ['create', 'site/live', 'from the package', '--json'], {
    cwd: app,
    env,
  });
  const backup = JSON.parse(created);
  expect(backup).toMatchObject({ status: 'completed', note: 'from the package' });
  expect(backup.parts.map((p: { kind: string }) => p.kind).sort()).toEqual(['db', 'media']);
  const { stdout: verified } = await run(backstop, ['verify', backup.id], { cwd: app, env });
  expect(verified).toContain(`Backup ${backup.id} of site/live verified`);
  expect(existsSync(join(app, '.backstop', 'backups', 'site', 'live', backup.id, 'db.dump.age'))).toBe(true);
}, 180_000);
