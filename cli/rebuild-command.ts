import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { rebuildCatalog } from '../src/engine/rebuild-catalog.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';

/** `backstop catalog rebuild`: re-adds every backup described by a backup.json in the store. */
export async function rebuildCommand(engine: UseCaseContext, io: CliIo, json: boolean): Promise<number> {
  const report = await rebuildCatalog(engine);
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `Read ${report.found} backup.json file${report.found === 1 ? '' : 's'} in ${engine.store.describe()}: ` +
        `added ${report.added.length} backup${report.added.length === 1 ? '' : 's'}${report.added.length > 0 ? ` (${report.added.join(', ')})` : ''}, ` +
        `${report.present} already known.`,
      ...report.unreadable.map((u) => `  skipped ${u.key}: ${u.reason}`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return report.unreadable.length === 0 ? exitCodes.ok : exitCodes.failed;
}
