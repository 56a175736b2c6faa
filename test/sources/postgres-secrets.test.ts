import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import { createDatabase, dropDatabase } from '../support/postgres.ts';
import { readAll } from './postgres-fingerprint.ts';
import { recordingSpawn, type SpawnCall } from './postgres-recording-spawn.ts';
import { chunked } from './postgres-streams.ts';

// The server trusts local connections, so any password gets in; what matters is where it travels.
const PASSWORD = 'S3cr3t pä$$:w@rd/#';
const ENCODED = encodeURIComponent(PASSWORD);

function urlOf(database: string, user = 'postgres'): string {
  return `postgres://${user}:${ENCODED}@127.0.0.1:5432/${database}`;
}

function expectNoPassword(texts: readonly (string | undefined)[]): void {
  for (const text of texts) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(ENCODED);
  }
}

describe('PostgresSource and the password', () => {
  let source: { name: string; url: string };
  let dest: { name: string; url: string };
  const missing = `backstop_missing_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    [source, dest] = await Promise.all([createDatabase('source'), createDatabase('dest')]);
  });

  afterAll(async () => {
    await Promise.all([dropDatabase(source.name), dropDatabase(dest.name)]);
  });

  it('reaches pg_dump, pg_restore and psql through PGPASSWORD only, never their arguments', async () => {
    const calls: SpawnCall[] = [];
    const spawn = recordingSpawn(calls);
    const dump = await readAll(new PostgresSource({ url: urlOf(source.name), spawn }).open());
    await new PostgresSource({ url: urlOf(dest.name), spawn }).restore(chunked(dump), { beforeCommit: async () => {} });

    expect(calls.map((call) => call.command.replace(/^.*\//, ''))).toEqual(['pg_dump', 'psql', 'pg_restore']);
    for (const call of calls) {
      expectNoPassword([call.command, ...call.args]);
      expect(call.env['PGPASSWORD']).toBe(PASSWORD);
    }
  });

  it('stays out of the errors of a dump, a restore and a description', async () => {
    // A role the server does not know: every tool and every connection fails, each saying why. (A database that does
    // not exist no longer fails them all: a restore creates it, a description says it is not there yet.)
    const url = urlOf(source.name, missing);
    const failures = await Promise.all([
      readAll(new PostgresSource({ url }).open()).catch((error: unknown) => error),
      new PostgresSource({ url })
        .restore(chunked(Buffer.from('PGDMP')), { beforeCommit: async () => {} })
        .catch((error: unknown) => error),
      new PostgresSource({ url }).describe().catch((error: unknown) => error),
    ]);

    expect(failures.map((error) => (error as { code: string }).code)).toEqual([
      'pg-connect-failed', // the dump's snapshot, exported before pg_dump starts
      'pg-connect-failed',
      'pg-connect-failed',
    ]);
    for (const error of failures as { message: string; userMessage: string }[]) {
      expect(error.userMessage).toContain(`role "${missing}" does not exist`);
      expectNoPassword([error.message, error.userMessage]);
    }
  });

  it("is redacted from a tool's error output", async () => {
    // No real tool prints the password; a stand-in that does proves the redaction.
    const spawn = recordingSpawn([], () => ({
      command: '/bin/sh',
      args: ['-c', 'echo "authentication failed for password $PGPASSWORD" >&2; exit 1'],
    }));
    const error = (await readAll(new PostgresSource({ url: urlOf(source.name), spawn }).open()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )) as { message: string; userMessage: string };

    expect(error).toMatchObject({ code: 'pg-dump-failed' });
    expect(error.userMessage).toContain('authentication failed for password *****');
    expectNoPassword([error.message, error.userMessage]);
  });
});
