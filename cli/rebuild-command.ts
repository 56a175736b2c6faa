import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { rebuildCatalog } from '../src/engine/rebuild-catalog.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';

/**
 * `backstop catalog rebuild [--trust-unsigned]`: re-adds every backup described by a backup.json in the store that
 * one of this instance's keys signed; with `--trust-unsigned`, the others too.
 */
export async function rebuildCommand(
  engine: UseCaseContext,
  io: CliIo,
  json: boolean,
  options: { trustUnsigned?: boolean } = {},
): Promise<number> {
  const report = await rebuildCatalog(engine, options);
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `Read ${report.found} backup.json file${report.found === 1 ? '' : 's'} in ${engine.store.describe()}: ` +
        `added ${report.added.length} backup${report.added.length === 1 ? '' : 's'}${report.added.length > 0 ? ` (${report.added.join(', ')})` : ''}, ` +
        `${report.present} already known.`,
      ...report.unreadable.map((u) => `  skipped ${u.key}: ${u.reason}`),
      ...report.untrusted.map((u) => `  not trusted ${u.key}: ${u.reason}`),
      ...(report.untrusted.length > 0
        ? [
            `${report.untrusted.length} backup.json file${report.untrusted.length === 1 ? ' was' : 's were'} not imported: ` +
              'anyone who can write to the store could have put them there. If you know where they come from ' +
              '(written by another key of yours, or by a Backstop before metadata was signed), import them with: ' +
              'backstop catalog rebuild --trust-unsigned',
          ]
        : []),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return report.unreadable.length === 0 && report.untrusted.length === 0 ? exitCodes.ok : exitCodes.failed;
}
