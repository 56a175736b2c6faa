import { targetName } from '../../src/domain/target.ts';
import { pruneBackups } from '../../src/use-cases/prune-backups.ts';
import type { Command } from '../command.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/** `prune [target] [--dry-run]`: deletes what the retention policy no longer keeps, and says what and why. */
export async function handlePrune(ctx: HandlerContext, command: Extract<Command, { name: 'prune' }>): Promise<Reply> {
  const target =
    command.target !== undefined || ctx.binding?.env !== undefined
      ? resolveTarget(ctx, command.target, 'prune')
      : undefined;
  const app = target?.app ?? ctx.binding?.app;
  const reports = await pruneBackups(
    ctx.engine,
    ctx.principal,
    { ...(app !== undefined && { app }), ...(target !== undefined && { env: target.env }), dryRun: command.dryRun },
    ctx.asked,
  );
  const verb = command.dryRun ? 'would delete' : 'deleted';
  const lines = reports.flatMap((report) => [
    `${targetName(report)}: ${verb} ${report.deleted.length}, kept ${report.kept}${report.failed.length > 0 ? `, ${report.failed.length} could not be deleted` : ''}`,
    ...report.deleted.map((d) => `  ${d.id}  ${d.reason}`),
    ...report.failed.map((f) => `  ${f.id}  FAILED: ${f.reason}`),
  ]);
  const failed = reports.some((r) => r.failed.length > 0);
  return {
    outcome: failed ? 'failed' : 'ok',
    text: lines.length > 0 ? lines.join('\n') : 'No targets are configured.',
    data: reports,
  };
}
