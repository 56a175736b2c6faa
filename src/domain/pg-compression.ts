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
 * Backstop's default: gzip at level 1. Measured on this project's benchmark database (bench/RESULTS.md), pg_dump
 * spent less than half the time of its default level for a few percent more bytes, and the dump, not the
 * encryption or the upload, is what a database backup waits for.
 */
export const DEFAULT_PG_COMPRESSION: PgCompression = { method: 'gzip', level: 1 };

const LEVELS: Record<PgCompression['method'], [number, number]> = {
  gzip: [1, 9],
  lz4: [1, 12],
  zstd: [1, 22],
  none: [0, 0],
};

/**
 * Reads a `compression:` setting: a gzip level (`0`-`9`, 0 meaning none), or `method` / `method:level` with method
 * gzip, lz4, zstd or none. Returns the problem, worded for the config's error message, when it is not one.
 */
export function parsePgCompression(value: number | string): PgCompression | { problem: string } {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 9) {
      return { problem: `a level must be a whole number from 0 to 9 (gzip), not ${value}` };
    }
    return value === 0 ? { method: 'none' } : { method: 'gzip', level: value };
  }
  const match = /^(gzip|lz4|zstd|none)(?::(\d+))?$/.exec(value.trim());
  if (match === null) {
    return {
      problem: `write a level 0-9, or gzip, lz4, zstd or none with an optional :level (e.g. zstd:3), not "${value}"`,
    };
  }
  const method = match[1] as PgCompression['method'];
  if (match[2] === undefined) return { method };
  const level = Number(match[2]);
  const [lowest, highest] = LEVELS[method];
  if (method === 'none' || level < lowest || level > highest) {
    return {
      problem:
        method === 'none' ? 'none takes no level' : `${method} levels go from ${lowest} to ${highest}, not ${level}`,
    };
  }
  return { method, level };
}

/** `gzip:1`, `zstd`, `none`: as the config writes it. */
export function describePgCompression(compression: PgCompression): string {
  return compression.level === undefined ? compression.method : `${compression.method}:${compression.level}`;
}
