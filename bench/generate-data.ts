/**
 * Makes the benchmark data under bench/data (once; delete a folder to make it again):
 * - media-large: ~1 GiB in ~4,000 files from 2 KB to 8 MB, mostly incompressible (random) with some text;
 * - media-small: 50,000 files of 1-4 KB;
 * - media-huge: 500,000 files of 200-1,200 bytes (the file count a backup's memory must not grow with);
 * - the database backstop_bench on the local PostgreSQL, ~1 GB on disk, with realistic rows (names, addresses,
 *   timestamps, amounts, JSON, free text) that compress about as well as an application's data.
 * Usage: node --import tsx bench/generate-data.ts [--scale 0.1]   (scale shrinks everything, for a quick try)
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { benchConfig } from './bench-config.ts';

const { dataDir, adminUrl, databaseName, scale } = benchConfig(process.argv.slice(2));
const words =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat'.split(
    ' ',
  );

function text(bytes: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = words[randomInt(words.length)]!;
    parts.push(word);
    length += word.length + 1;
  }
  return Buffer.from(parts.join(' ').slice(0, bytes));
}

function makeTree(name: string, sizes: number[], textShare: number): void {
  const root = join(dataDir, name);
  if (existsSync(root)) {
    console.log(`${root} exists; keeping it`);
    return;
  }
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  let total = 0;
  sizes.forEach((bytes, i) => {
    const dir = join(partial, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    const isText = Math.random() < textShare;
    writeFileSync(join(dir, `f${i}${isText ? '.txt' : '.bin'}`), isText ? text(bytes) : randomBytes(bytes));
    total += bytes;
  });
  renameSync(partial, root);
  console.log(`${root}: ${sizes.length} files, ${(total / 2 ** 20).toFixed(0)} MiB`);
}

/**
 * `count` sizes between 2 KB and 8 MB, skewed towards small files as uploads are, scaled to add up to `totalBytes`.
 */
function mediaSizes(count: number, totalBytes: number): number[] {
  const raw = Array.from({ length: count }, () => 2048 * 4096 ** (Math.random() ** 3));
  const factor = totalBytes / raw.reduce((sum, size) => sum + size, 0);
  return raw.map((size) => Math.min(8 * 2 ** 20, Math.max(2048, Math.round(size * factor))));
}

async function makeDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', [databaseName]);
  if (exists.rowCount) {
    console.log(`database ${databaseName} exists; keeping it`);
    await admin.end();
    return;
  }
  await admin.query(`create database ${databaseName}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  await db.query(`
    create table customers (id bigserial primary key, name text, email text, street text, city text, created_at timestamptz);
    create table orders (id bigserial primary key, customer_id bigint references customers, placed_at timestamptz,
      total_cents int, status text, items jsonb, note text);
    create index on orders (customer_id);`);
  const target = 1024 ** 3 * scale;
  for (let batch = 0; ; batch++) {
    await db.query(`
      insert into customers (name, email, street, city, created_at)
      select initcap(substr(md5(random()::text), 1, 6)) || ' ' || initcap(substr(md5(random()::text), 1, 9)),
             substr(md5(random()::text), 1, 10) || '@example.com',
             (random() * 999)::int || ' ' || initcap(substr(md5(random()::text), 1, 8)) || ' Street',
             (array['Zürich','Berlin','Paris','Lisboa','Kraków','Oslo'])[1 + (random() * 5)::int],
             now() - random() * interval '900 days'
      from generate_series(1, 20000);
      insert into orders (customer_id, placed_at, total_cents, status, items, note)
      select (select max(id) from customers) - (random() * 19999)::bigint, now() - random() * interval '900 days',
             (random() * 100000)::int, (array['paid','shipped','refunded','open'])[1 + (random() * 3)::int],
             jsonb_build_array(jsonb_build_object('sku', substr(md5(random()::text), 1, 8), 'qty', (random() * 5)::int,
               'price', (random() * 10000)::int)),
             case when random() < 0.5 then encode(decode(md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex'), 'base64') else null end
      from generate_series(1, 60000);`);
    const { rows } = await db.query('select pg_database_size(current_database()) as size');
    const size = Number(rows[0].size);
    if (batch % 10 === 0) console.log(`database ${databaseName}: ${(size / 2 ** 20).toFixed(0)} MiB`);
    if (size >= target) break;
  }
  await db.query('vacuum analyze');
  await db.end();
}

mkdirSync(dataDir, { recursive: true });
makeTree('media-large', mediaSizes(Math.max(40, Math.round(4000 * scale)), 2 ** 30 * scale), 0.1);
makeTree(
  'media-small',
  Array.from({ length: Math.max(500, Math.round(50000 * scale)) }, () => 1024 + randomInt(3072)),
  0.5,
);
// A large site's uploads: as many files as memory would notice (the manifest lists every one), small to fit the disk.
makeTree(
  'media-huge',
  Array.from({ length: Math.max(5000, Math.round(500_000 * scale)) }, () => 200 + randomInt(1000)),
  0.5,
);
await makeDatabase();
