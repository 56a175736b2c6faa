import { BackstopError } from '../domain/backstop-error.ts';
import { describePgCompression, type PgCompression } from '../domain/pg-compression.ts';

/**
 * pg_dump's `--compress` argument for `compression`, given the major version of the pg_dump that will run. lz4 and
 * zstd need pg_dump 16 or newer: with an older one the backup is refused before it starts, naming what to change.
 */
export function pgDumpCompressArgument(compression: PgCompression, pgDumpMajor: number | undefined): string {
  const { method, level } = compression;
  if (method === 'none') return '--compress=0';
  if (method === 'gzip') return `--compress=${level ?? 6}`;
  if (pgDumpMajor !== undefined && pgDumpMajor < minimumPgDump(compression)) {
    const message =
      `compression: ${describePgCompression(compression)} needs pg_dump 16 or newer, and this database's pg_dump is ` +
      `version ${pgDumpMajor}: use gzip (e.g. compression: gzip:1), or install a newer postgresql-client.`;
    throw new BackstopError('invalid-option', message, { userMessage: message });
  }
  return `--compress=${method}${level === undefined ? '' : `:${level}`}`;
}

/** The oldest pg_dump major version that compresses as `compression` says (gzip and none: any). */
export function minimumPgDump(compression: PgCompression): number {
  return compression.method === 'lz4' || compression.method === 'zstd' ? 16 : 0;
}
