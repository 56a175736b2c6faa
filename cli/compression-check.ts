import { describePgCompression } from '../src/domain/pg-compression.ts';
import { type Target, targetName } from '../src/domain/target.ts';
import { pgDumpCanCompress } from '../src/sources/pg-dump-compress.ts';
import { newestPgDumpMajor } from '../src/sources/pg-tools.ts';

/**
 * A line for each target whose `compression:` no pg_dump installed here can do (lz4 and zstd need pg_dump 16), so
 * that a server says so when it starts rather than at the first scheduled backup, which would fail.
 */
export async function compressionWarnings(
  targets: readonly Target[],
  newest: () => Promise<number | undefined> = () => newestPgDumpMajor(),
): Promise<string[]> {
  const asking = targets.filter((target) => target.database !== undefined && target.compression !== undefined);
  if (!asking.some((target) => !pgDumpCanCompress(target.compression!, 0))) return [];
  const major = await newest();
  if (major === undefined) return [];
  return asking
    .filter((target) => !pgDumpCanCompress(target.compression!, major))
    .map(
      (target) =>
        `${targetName(target)}: compression: ${describePgCompression(target.compression!)} needs pg_dump 16 or ` +
        `newer, and the newest here is ${major}: its database backups will fail until you install a newer ` +
        'postgresql-client or write compression: gzip:1 (or another gzip level).',
    );
}
