/**
 * How pg_dump compresses a database part (its custom format compresses each table's data itself): `gzip` at a level
 * 1-9 (every pg_dump), `lz4` or `zstd` (pg_dump 16 and newer), or `none`.
 */
export interface PgCompression {
  method: 'gzip' | 'lz4' | 'zstd' | 'none';
  /** The method's level; pg_dump's default for the method when absent. */
  level?: number;
}

/**
 * Backstop's default: gzip at level 1. On this project's benchmark database (bench/RESULTS.md) pg_dump took 0.45x the
 * time of its own default (level 6) for 11% more bytes; the dump, not the encryption or the upload, is what a
 * database backup waits for.
 */
export const DEFAULT_PG_COMPRESSION: PgCompression = { method: 'gzip', level: 1 };

const LEVELS: Record<PgCompression['method'], [number, number]> = {
  gzip: [1, 9],
  lz4: [1, 12],
  zstd: [1, 22],
  none: [0, 0],
};

/** What a `compression:` may be, for messages. */
export const PG_COMPRESSION_HINT =
  'write a level 0-9, none, or gzip, lz4 or zstd with an optional :level (e.g. gzip:1)';

/**
 * Reads a `compression:` setting: a gzip level (`0`-`9`, 0 meaning none), `none`, or `method` / `method:level` with
 * method gzip, lz4 or zstd (any letter case). Returns the problem, worded for the config's error message, when it is
 * not one.
 */
export function parsePgCompression(value: number | string): PgCompression | { problem: string } {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 9) {
      return {
        problem: `a level is a whole number from 0 to 9 (gzip), not ${value}; or ${PG_COMPRESSION_HINT.slice(6)}`,
      };
    }
    return value === 0 ? { method: 'none' } : { method: 'gzip', level: value };
  }
  const text = value.trim().toLowerCase();
  const spaced = /^(gzip|lz4|zstd)\s+(\d+)$/.exec(text);
  if (spaced !== null) return { problem: `write ${spaced[1]}:${spaced[2]}, with a colon, not "${value}"` };
  const match = /^(gzip|lz4|zstd|none)(?::(\d+))?$/.exec(text);
  if (match === null) return { problem: `${PG_COMPRESSION_HINT}, not "${value}"` };
  const method = match[1] as PgCompression['method'];
  if (match[2] === undefined) return { method };
  const level = Number(match[2]);
  if (method === 'none') return { problem: `none takes no level: write none, not "${value}"` };
  const [lowest, highest] = LEVELS[method];
  if (level < lowest || level > highest)
    return { problem: `${method} levels go from ${lowest} to ${highest}, not ${level}` };
  return { method, level };
}

/** `gzip:1`, `zstd`, `none`: as the config writes it. */
export function describePgCompression(compression: PgCompression): string {
  return compression.level === undefined ? compression.method : `${compression.method}:${compression.level}`;
}
