import { backupJson } from '../../src/use-cases/json-shapes.ts';
import { listBackups } from '../../src/use-cases/read-backups.ts';
import type { Command } from '../command.ts';
import { backupLine, backupTable } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { resolveTarget } from './resolve-target.ts';

/** `list [target] [trigger]`: backups, newest first. */
export async function handleList(ctx: HandlerContext, command: Extract<Command, { name: 'list' }>): Promise<Reply> {
  const target =
    command.target !== undefined || ctx.binding?.env !== undefined
      ? resolveTarget(ctx, command.target, 'list')
      : undefined;
  const app = target?.app ?? ctx.binding?.app;
  const { backups, retention } = await listBackups(ctx.engine, ctx.principal, {
    ...(app !== undefined && { app }),
    ...(target !== undefined && { env: target.env }),
    ...(command.trigger !== undefined && { trigger: command.trigger }),
  });
  const scope = target ? ` of ${target.app}/${target.env}` : app ? ` of ${app}` : '';
  const text =
    backups.length === 0
      ? `No backups${scope} yet. Take one with: create db+media <app/env> "a note"`
      : [
          `${backups.length} backup${backups.length === 1 ? '' : 's'}${scope}, newest first:`,
          ...backups.map((b) => backupLine(b, retention.get(b.id))),
        ].join('\n');
  return {
    outcome: 'ok',
    text,
    data: backups.map((b) => backupJson(b, retention.get(b.id))),
    view: backups.length === 0 ? [{ kind: 'line', phrase: text }] : [backupTable(backups, retention)],
  };
}
