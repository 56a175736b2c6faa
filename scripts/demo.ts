/**
 * `npm run demo`: Backstop's main job end to end on embedded defaults. It makes a small demo application "shop"
 * (two databases on the local PostgreSQL and two media folders), backs up shop/live with a note, lists the backups,
 * restores the backup into shop/staging, verifies it, and says where everything is. Everything it makes lives in
 * ./backstop-demo and in the databases backstop_demo_live and backstop_demo_staging; running it again starts over.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { runCli } from '../cli/main.ts';

const root = resolve('backstop-demo');
const databases = { live: 'backstop_demo_live', staging: 'backstop_demo_staging' };

async function main(): Promise<number> {
  const server = await findPostgres();
  if (!server) {
    console.error(
      'The demo needs a PostgreSQL server it can create databases on, and found none.\n' +
        'Tried: the PG* environment variables, the local socket in /var/run/postgresql, and postgres@127.0.0.1:5432.\n' +
        'Start PostgreSQL (e.g. sudo pg_ctlcluster 15 main start) or set PGHOST/PGPORT/PGUSER/PGPASSWORD, then run again.',
    );
    return 2;
  }
  say(`Using PostgreSQL at ${server.describe} (server ${server.version}).`);

  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'media', 'live', 'products'), { recursive: true });
  mkdirSync(join(root, 'media', 'staging'), { recursive: true });
  await recreateDatabase(server, databases.live);
  await recreateDatabase(server, databases.staging);
  await fillLiveApp(server);
  writeFileSync(
    join(root, 'backstop.yaml'),
    [
      '# Written by `npm run demo`. See examples/backstop.yaml for every setting.',
      'dataDir: ./data            # embedded state (SQLite), the generated key, and the backups below',
      'apps:',
      '  shop:',
      '    environments:',
      '      live:',
      `        database: ${server.url(databases.live)}`,
      '        media: ./media/live',
      '      staging:',
      `        database: ${server.url(databases.staging)}`,
      '        media: ./media/staging',
      '',
    ].join('\n'),
  );
  say(`Made the demo app "shop" in ${root}: databases ${databases.live} and ${databases.staging}, media in ./media.`);

  const config = ['--config', join(root, 'backstop.yaml')];
  if ((await backstop([...config, 'create', 'db+media', 'shop/live', 'demo: before deploy'])) !== 0) return 1;
  const list = await backstopJson([...config, 'list', 'shop/live']);
  const backupId = (list as Array<{ id: string }>)[0]!.id;
  await backstop([...config, 'list']);
  if ((await backstop([...config, 'restore', backupId, 'to', 'shop/staging', '--yes'])) !== 0) return 1;
  if ((await backstop([...config, 'verify', backupId])) !== 0) return 1;

  const staged = await server.query(databases.staging, 'select count(*)::int as n from shop.products');
  const files = readdirSync(join(root, 'media', 'staging'), { recursive: true }).length;
  say(
    [
      `shop/staging now holds ${staged[0]!['n']} products and ${files} media entries, restored from backup ${backupId}.`,
      '',
      'Where things are:',
      `  config:       ${join(root, 'backstop.yaml')}`,
      `  backups:      ${join(root, 'data', 'backups')}/shop/live/${backupId}/ (backup.json, db.dump.age, media.tar.age)`,
      `  key:          ${join(root, 'data', 'keys', 'backstop.key')} (keep a copy: backups cannot be read without it)`,
      `  state:        ${join(root, 'data', 'state.sqlite')} (embedded SQLite)`,
      '',
      'Restore by hand, without Backstop:',
      `  age -d -i ${join(root, 'data', 'keys', 'backstop.key')} ${join(root, 'data', 'backups', 'shop', 'live', backupId, 'db.dump.age')} > db.dump`,
      '  pg_restore --list db.dump',
      `  bash scripts/with-node.sh npx backstop --config ${join(root, 'backstop.yaml')} show ${backupId}`,
    ].join('\n'),
  );
  return 0;
}

async function backstop(args: string[]): Promise<number> {
  say(`$ backstop ${args.slice(2).map(quoteArg).join(' ')}`);
  const code = await runCli(args);
  if (code !== 0) console.error(`(exit status ${code})`);
  return code;
}

async function backstopJson(args: string[]): Promise<unknown> {
  const chunks: string[] = [];
  const stdout = Object.assign(
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
    { isTTY: false },
  );
  await runCli([...args, '--json'], {
    stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    prompt: async () => '',
  });
  return JSON.parse(chunks.join(''));
}

function quoteArg(arg: string): string {
  return /^[\w./+:-]+$/.test(arg) ? arg : `"${arg}"`;
}

function say(text: string): void {
  console.log(`\n${text}`);
}

interface DemoServer {
  describe: string;
  version: string;
  url(database: string): string;
  query(database: string, text: string): Promise<Array<Record<string, unknown>>>;
}

/** The first PostgreSQL the demo can use: PG* variables, the local socket, then postgres@127.0.0.1:5432. */
async function findPostgres(): Promise<DemoServer | undefined> {
  const user = process.env['PGUSER'] ?? process.env['USER'] ?? 'postgres';
  const candidates: Array<{ describe: string; base: URL }> = [];
  if (process.env['PGHOST'] || process.env['PGPORT'] || process.env['PGUSER']) {
    const host = process.env['PGHOST'] ?? '127.0.0.1';
    const base = host.startsWith('/')
      ? new URL(`postgres://${encodeURIComponent(user)}@localhost/?host=${encodeURIComponent(host)}`)
      : new URL(`postgres://${encodeURIComponent(user)}@${host}:${process.env['PGPORT'] ?? '5432'}/`);
    if (process.env['PGPASSWORD']) base.password = encodeURIComponent(process.env['PGPASSWORD']);
    candidates.push({ describe: 'PG* environment variables', base });
  }
  candidates.push(
    {
      describe: `the local socket as ${user}`,
      base: new URL(`postgres://${encodeURIComponent(user)}@localhost/?host=%2Fvar%2Frun%2Fpostgresql`),
    },
    { describe: 'postgres@127.0.0.1:5432', base: new URL('postgres://postgres@127.0.0.1:5432/') },
  );
  for (const candidate of candidates) {
    const url = (database: string) => {
      const u = new URL(candidate.base);
      u.pathname = `/${database}`;
      return u.toString();
    };
    const query = async (database: string, text: string) => {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        return (await client.query(text)).rows as Array<Record<string, unknown>>;
      } finally {
        await client.end();
      }
    };
    try {
      const rows = await query(
        'postgres',
        "select current_setting('server_version') as v, rolcreatedb or rolsuper as can from pg_roles where rolname = current_user",
      );
      if (rows[0]?.['can']) return { describe: candidate.describe, version: String(rows[0]['v']), url, query };
    } catch {
      // Not reachable this way (no socket, no role, password needed): try the next.
    }
  }
  return undefined;
}

async function recreateDatabase(server: DemoServer, name: string): Promise<void> {
  await server.query('postgres', `drop database if exists ${name} with (force)`);
  await server.query('postgres', `create database ${name}`);
}

async function fillLiveApp(server: DemoServer): Promise<void> {
  await server.query(
    databases.live,
    `create schema shop;
     create table shop.products (id serial primary key, name text not null, price_cents int not null, photo text);
     create table shop.orders (id bigserial primary key, product_id int references shop.products, placed_at timestamptz default now());
     insert into shop.products (name, price_cents, photo)
       select 'Product ' || i || case when i % 7 = 0 then ' — Café crème ☕' else '' end, 100 + i * 7, 'products/' || i || '.jpg'
       from generate_series(1, 250) i;
     insert into shop.orders (product_id) select 1 + (i % 250) from generate_series(1, 5000) i;
     create view shop.bestsellers as select product_id, count(*) from shop.orders group by product_id;`,
  );
  for (let i = 1; i <= 25; i++) {
    writeFileSync(join(root, 'media', 'live', 'products', `${i}.jpg`), Buffer.alloc(2048 + i * 100, i));
  }
  writeFileSync(join(root, 'media', 'live', 'Read me — unicode name.txt'), 'Uploaded by a customer.\n');
  writeFileSync(
    join(root, 'media', 'staging', 'only-on-staging.txt'),
    'This file disappears when staging is restored.\n',
  );
}

process.exitCode = await main();
