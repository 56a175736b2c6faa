import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { PostgresSource } from '../../src/sources/postgres-source.ts';
import { createDatabase, databaseUrl, dropDatabase, sql } from '../support/postgres.ts';
import { fingerprint } from './postgres-fingerprint.ts';
import { fillOtherDatabase, fillShopDatabase } from './postgres-fixture.ts';
import { describeSourceContract, type SourceDestination } from './source-contract.ts';

/** The test server trusts every login, so a password in the URL is accepted and must still never be shown. */
const PASSWORD = 'contract-password-never-shown';

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

/** A port nothing listens on: one just given up by a server. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP port');
  return address.port;
}

describeSourceContract('PostgresSource', async () => {
  const created: string[] = [];
  const database = async () => {
    const made = await createDatabase('contract');
    created.push(made.name);
    return made;
  };
  const at = (url: string): SourceDestination => ({
    source: new PostgresSource({ url: withPassword(url) }),
    read: () => fingerprint(url),
  });
  const original = await database();
  // Few orders: the fixture's schemas, sequences, large object and bytea still make the dump more than 64 KiB.
  await fillShopDatabase(original.url, { orders: 2000 });
  const unreachable = withPassword(`postgres://postgres@127.0.0.1:${await closedPort()}/shop`);
  return {
    ...at(original.url),
    async putOther() {
      await fillOtherDatabase(original.url);
      await sql(original.url, `UPDATE public.texts SET body = 'another version' WHERE id = 1`);
    },
    async another() {
      return at((await database()).url);
    },
    unreadable: () => new PostgresSource({ url: unreachable }),
    // A database that does not exist yet: the restore creates it (the disaster-recovery case).
    absent: () => {
      const name = `backstop_absent_${randomBytes(4).toString('hex')}`;
      created.push(name);
      return new PostgresSource({ url: withPassword(databaseUrl(name)) });
    },
    named: `database ${original.name} on 127.0.0.1:5432`,
    secrets: [PASSWORD],
    async cleanup() {
      // Dropped together: each DROP DATABASE waits for a checkpoint, and concurrent ones share it.
      await Promise.all(created.map(dropDatabase));
    },
  };
});
