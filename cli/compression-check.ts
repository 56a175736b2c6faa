import { describePgCompression } from '../src/domain/pg-compression.ts';
import { type Target, targetName } from '../src/domain/target.ts';
import { minimumPgDump } from '../src/sources/pg-dump-compress.ts';
import { newestPgDumpMajor } from '../src/sources/pg-tools.ts';

/**
 * A line for each target whose `compression:` no pg_dump installed here can do (lz4 and zstd need pg_dump 16), so
 * that a server says so when it starts rather than at the first scheduled backup, which would fail.
 */
export async function compressionWarnings(
  targets: readonly Target[],
  newest: () => Promise<number | undefined> = () => newestPgDumpMajor(),
): Promise<string[]> {
  const needing = targets.flatMap((target) =>
    target.database !== undefined && target.compression !== undefined && minimumPgDump(target.compression) > 0
      ? [{ target, compression: target.compression }]
      : [],
  );
  if (needing.length === 0) return [];
  const major = await newest();
  if (major === undefined) return [];
  return needing
    .filter(({ compression }) => major < minimumPgDump(compression))
    .map(
      ({ target, compression }) =>
        `${targetName(target)}: compression: ${describePgCompression(compression)} needs pg_dump 16 or ` +
        `newer, and the newest here is ${major}: its database backups will fail until you install a newer ` +
        'postgresql-client or write compression: gzip:1 (or another gzip level).',
    );
}
