import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { PgConnection } from '../../src/sources/pg-connection.ts';
import { thrownBy } from '../support/thrown-by.ts';

const PASSWORD = 'pä ss:w@rd/#?&+%';
const ENCODED = encodeURIComponent(PASSWORD);

function pgVariables(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('PG')));
}

describe('PgConnection', () => {
  it('hands every part of a URL to the tools as PG* variables, the password decoded', () => {
    const connection = PgConnection.fromUrl(
      `postgres://shop%20app:${ENCODED}@db.example.com:6543/shop%2Dlive?sslmode=require&application_name=a+b&connect_timeout=5`,
    );

    expect(pgVariables(connection.environment({}))).toEqual({
      PGHOST: 'db.example.com',
      PGPORT: '6543',
      PGUSER: 'shop app',
      PGPASSWORD: PASSWORD,
      PGDATABASE: 'shop-live',
      PGSSLMODE: 'require',
      PGAPPNAME: 'a+b',
      PGCONNECT_TIMEOUT: '5',
    });
    expect(String(connection)).toBe('database shop-live on db.example.com:6543');
  });

  it.each([
    ['postgresql://app@/shop?host=/var/run/postgresql', '/var/run/postgresql', 5432],
    ['postgres://app@%2Fvar%2Frun%2Fpostgresql:5433/shop', '/var/run/postgresql', 5433],
    ['postgres://app@[::1]:5433/shop', '::1', 5433],
    ['postgres://app@db:1/other?host=db2&port=5434&dbname=shop', 'db2', 5434],
  ])('reads the host and port of %s', (url, host, port) => {
    const connection = PgConnection.fromUrl(url);
    expect({
      host: connection.host,
      port: connection.port,
      user: connection.user,
      database: connection.database,
    }).toEqual({ host, port, user: 'app', database: 'shop' });
  });

  it("fills in libpq's defaults: the socket directory, port 5432, the system user and its database", () => {
    const connection = PgConnection.fromUrl('postgres://');
    const user = userInfo().username;
    expect(pgVariables(connection.environment({}))).toEqual({
      PGHOST: '/var/run/postgresql',
      PGPORT: '5432',
      PGUSER: user,
      PGDATABASE: user,
      PGAPPNAME: 'backstop',
      PGCONNECT_TIMEOUT: '10',
    });
    expect(String(connection)).toBe(`database ${user} on socket /var/run/postgresql`);
  });

  it('keeps the rest of the environment but no ambient PG* variable', () => {
    const env = PgConnection.fromUrl('postgres://app@db/shop').environment({
      PATH: '/usr/bin',
      HOME: '/home/backstop',
      PGSERVICE: 'elsewhere',
      PGPASSWORD: 'ambient',
      PGDATABASE: 'wrong',
    });
    expect(env['PATH']).toBe('/usr/bin');
    expect(env['HOME']).toBe('/home/backstop');
    expect(env['PGSERVICE']).toBeUndefined();
    expect(env['PGPASSWORD']).toBeUndefined();
    expect(env['PGDATABASE']).toBe('shop');
  });

  it.each([
    ['another scheme', `mysql://root:${ENCODED}@db/shop`],
    ['several hosts', `postgres://app:${ENCODED}@db1:5432,db2:5432/shop`],
    ['a parameter libpq cannot take from the environment', `postgres://app:${ENCODED}@db/shop?keepalives=1`],
    ['a port that is not a number', `postgres://app:${ENCODED}@db:http/shop`],
    ['a malformed percent-encoding', `postgres://app:${ENCODED}%zz@db/shop`],
  ])('refuses %s without quoting the URL', (_, url) => {
    const error = thrownBy(() => PgConnection.fromUrl(url));
    expect(error).toMatchObject({ code: 'pg-url-invalid' });
    const { message, userMessage } = error as { message: string; userMessage: string };
    for (const text of [message, userMessage]) {
      expect(text).not.toContain(ENCODED);
      expect(text).not.toContain('pä');
    }
  });

  it('redacts the password, plain or percent-encoded, from text', () => {
    const connection = PgConnection.fromUrl(`postgres://app:${ENCODED}@db/shop`);
    expect(connection.redact(`failed for ${PASSWORD} (${ENCODED})`)).toBe('failed for ***** (*****)');
  });
});
