import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgConnection } from '../../src/sources/pg-connection.ts';
import { findPgTools, majorVersion } from '../../src/sources/pg-tools.ts';
import { adminUrl } from '../support/postgres.ts';

const TOOLS = ['pg_dump', 'pg_restore', 'psql'];

describe('findPgTools', () => {
  let root: string;
  const server = PgConnection.fromUrl(adminUrl);

  /** Fake client tools in `directory` that report `version` like the real ones. */
  async function fakeTools(directory: string, version: string): Promise<string> {
    await mkdir(directory, { recursive: true });
    for (const tool of TOOLS) {
      const path = join(directory, tool);
      await writeFile(path, `#!/bin/sh\necho "${tool} (PostgreSQL) ${version} (fake)"\n`);
      await chmod(path, 0o755);
    }
    return directory;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'backstop-pg-tools-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("picks the tools of the server's major version from the real root", async () => {
    expect(await findPgTools(server)).toEqual({
      pgDump: '/usr/lib/postgresql/15/bin/pg_dump',
      pgRestore: '/usr/lib/postgresql/15/bin/pg_restore',
      psql: '/usr/lib/postgresql/15/bin/psql',
    });
  });

  it('names the package to install when only older tools exist', async () => {
    const binRoot = join(root, 'old');
    await fakeTools(join(binRoot, '12', 'bin'), '12.19');
    const pathWithOld = await fakeTools(join(root, 'old-path'), '14.2');

    await expect(findPgTools(server, { binRoot, searchPath: pathWithOld })).rejects.toMatchObject({
      code: 'pg-client-missing',
      userMessage: expect.stringMatching(/PostgreSQL 15\.\d+.*apt-get install postgresql-client-15$/),
    });
  });

  it('picks the newest version at least as new as the server', async () => {
    const binRoot = join(root, 'several');
    await fakeTools(join(binRoot, '12', 'bin'), '12.19');
    await fakeTools(join(binRoot, '16', 'bin'), '16.4');
    await fakeTools(join(binRoot, '17', 'bin'), '17.1');
    await rm(join(binRoot, '17', 'bin', 'pg_restore'));
    await mkdir(join(binRoot, 'not-a-version', 'bin'), { recursive: true });

    expect(await findPgTools(server, { binRoot, searchPath: '' })).toEqual({
      pgDump: join(binRoot, '16', 'bin', 'pg_dump'),
      pgRestore: join(binRoot, '16', 'bin', 'pg_restore'),
      psql: join(binRoot, '16', 'bin', 'psql'),
    });
  });

  it('falls back to the search path when its tools are new enough', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const path = await fakeTools(join(root, 'new-path'), '16.2');

    expect(await findPgTools(server, { binRoot: empty, searchPath: `/nonexistent:${path}` })).toEqual({
      pgDump: join(path, 'pg_dump'),
      pgRestore: join(path, 'pg_restore'),
      psql: join(path, 'psql'),
    });
  });

  it('picks the newest tools when the server cannot be asked, so that they report why', async () => {
    const down = PgConnection.fromUrl('postgres://postgres@127.0.0.1:1/nowhere');
    const binRoot = join(root, 'for-down');
    await fakeTools(join(binRoot, '9.6', 'bin'), '9.6.24');
    await fakeTools(join(binRoot, '13', 'bin'), '13.1');

    expect((await findPgTools(down, { binRoot, searchPath: '' })).pgDump).toBe(join(binRoot, '13', 'bin', 'pg_dump'));
  });

  it.each([
    [150020, 15],
    [100005, 10],
    [90624, 9.6],
  ])('takes server_version_num %i as major version %d', (versionNum, major) => {
    expect(majorVersion(versionNum)).toBe(major);
  });
});
