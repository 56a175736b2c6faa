import { join } from 'node:path';

/** Settings shared by the benchmark scripts: where the data lives and which PostgreSQL to use. */
export function benchConfig(argv: string[]) {
  const scaleIndex = argv.indexOf('--scale');
  const scale = scaleIndex >= 0 ? Number(argv[scaleIndex + 1]) : 1;
  if (!(scale > 0 && scale <= 1)) throw new Error('--scale takes a number in (0, 1]');
  const runsIndex = argv.indexOf('--runs');
  const runs = runsIndex >= 0 ? Number(argv[runsIndex + 1]) : 3;
  return {
    scale,
    runs,
    dataDir: join(import.meta.dirname, 'data', scale === 1 ? 'full' : `scale-${scale}`),
    adminUrl: process.env['BACKSTOP_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    databaseName: scale === 1 ? 'backstop_bench' : `backstop_bench_${String(scale).replace('.', '_')}`,
  };
}
