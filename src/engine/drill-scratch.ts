import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attemptOfScratch, DRILL_SCRATCH_PREFIX } from '../domain/drill.ts';
import { ScratchDatabase } from '../sources/pg-scratch-database.ts';
import type { EngineContext } from './engine-context.ts';

/** Where drills make their scratch directories: the configured folder, else one in the system's temporary directory. */
export function drillScratchRoot(ctx: Pick<EngineContext, 'drillScratchDir'>): string {
  return ctx.drillScratchDir ?? join(tmpdir(), 'backstop-drills');
}

/** One piece of scratch space a drill made: a database on a server, or a directory. */
export type ScratchSpace =
  | { kind: 'database'; url: string; name: string }
  | { kind: 'directory'; root: string; name: string };

/**
 * Every drill's scratch space there is now, on the database servers of `databaseUrls` and in the scratch root: live
 * drills' included (the caller asks the queue which are abandoned). A server that cannot be reached is skipped and
 * reported through `onUnreachable`: it is looked at again next time.
 */
export async function findDrillScratch(
  ctx: Pick<EngineContext, 'drillScratchDir'>,
  databaseUrls: readonly string[],
  onUnreachable: (server: string, error: unknown) => void,
): Promise<ScratchSpace[]> {
  const found: ScratchSpace[] = [];
  const servers = new Map<string, string>();
  for (const url of databaseUrls) servers.set(ScratchDatabase.serverOf(url), url);
  for (const [server, url] of servers) {
    try {
      for (const name of await ScratchDatabase.list(url)) {
        if (attemptOfScratch(name) !== undefined) found.push({ kind: 'database', url, name });
      }
    } catch (error) {
      onUnreachable(server, error);
    }
  }
  const root = drillScratchRoot(ctx);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(DRILL_SCRATCH_PREFIX) && attemptOfScratch(name) !== undefined) {
      found.push({ kind: 'directory', root, name });
    }
  }
  return found;
}

/** Removes one piece of scratch space (a database dropped, a directory deleted); nothing happens if it is gone. */
export async function removeScratch(space: ScratchSpace): Promise<void> {
  if (space.kind === 'database') await ScratchDatabase.drop(space.url, space.name);
  else await rm(join(space.root, space.name), { recursive: true, force: true });
}

/** `the scratch database backstop_drill_x on 127.0.0.1:5432`, for logs. */
export function describeScratch(space: ScratchSpace): string {
  return space.kind === 'database'
    ? `the scratch database ${space.name} on ${ScratchDatabase.serverOf(space.url)}`
    : `the scratch directory ${join(space.root, space.name)}`;
}
