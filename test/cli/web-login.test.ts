import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { freePort } from '../support/serve-process.ts';

const cwd = mkdtempSync(join(tmpdir(), 'backstop-web-login-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

test('backstop web login: refused where no state is, and says when no server answers the link', async () => {
  const port = await freePort();
  writeFileSync(
    join(cwd, 'backstop.yaml'),
    `http: { port: ${port} }\napps: { shop: { environments: { live: { media: ./m } } } }\n`,
  );
  const nowhere = await runBackstop(['web', 'login'], { cwd });
  expect([nowhere.code, nowhere.stderr]).toEqual([2, expect.stringContaining('there is no Backstop state in')]);
  const wrong = await runBackstop(['web', 'logn'], { cwd });
  expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining('Usage: backstop web login')]);

  expect((await runBackstop(['migrate'], { cwd })).code).toBe(0);
  const login = await runBackstop(['web', 'login'], { cwd });
  expect(login.code).toBe(0);
  expect(login.stdout).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/sign-in/link/[\\w-]{43}\\n`));
  expect(login.stderr).toContain(`No Backstop server answers at http://127.0.0.1:${port} now`);
});
