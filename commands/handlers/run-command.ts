import { BackstopError } from '../../src/domain/backstop-error.ts';
import type { PartKind } from '../../src/domain/part-kind.ts';
import type { PlaintextCheck } from '../../src/engine/verify-backup.ts';
import { isAudited, record } from '../../src/use-cases/audited.ts';
import type { Command } from '../command.ts';
import { handleCancel } from './cancel.ts';
import { handleCreate } from './create.ts';
import { handleDownload } from './download.ts';
import { handleDrill } from './drill.ts';
import { handleHelp } from './help.ts';
import { handleList } from './list.ts';
import { handlePin } from './pin.ts';
import { handlePrune } from './prune.ts';
import type { HandlerContext, Reply } from './reply.ts';
import { handleRestore } from './restore.ts';
import { handleSchedule } from './schedule.ts';
import { handleShow } from './show.ts';
import { handleStatus } from './status.ts';
import { handleVerify } from './verify.ts';

export interface RunCommandOptions {
  /** How commands are written on this platform, for help: "/backup " in chat, "backstop " on a terminal. */
  prefix: string;
  /** Format checks for verify, by part. */
  checks: Partial<Record<PartKind, PlaintextCheck>>;
}

/**
 * Runs a parsed command and returns its reply. A BackstopError with a userMessage (unknown backup, unknown target)
 * becomes a `refused` reply; anything else is a bug or an outage and is rethrown for the adapter to log.
 */
export async function runCommand(ctx: HandlerContext, command: Command, options: RunCommandOptions): Promise<Reply> {
  try {
    switch (command.name) {
      case 'help':
        return handleHelp(command, options.prefix);
      case 'list':
        return await handleList(ctx, command);
      case 'create':
        return await handleCreate(ctx, command);
      case 'show':
        return await handleShow(ctx, command);
      case 'restore':
        return await handleRestore(ctx, command);
      case 'verify':
        return await handleVerify(ctx, command, options.checks);
      case 'drill':
        return await handleDrill(ctx, command);
      case 'pin':
      case 'unpin':
        return await handlePin(ctx, command);
      case 'prune':
        return await handlePrune(ctx, command);
      case 'schedule':
        return await handleSchedule(ctx, command);
      case 'download':
        return await handleDownload(ctx, command);
      case 'status':
        return await handleStatus(ctx, command);
      case 'cancel':
        return await handleCancel(ctx, command);
    }
  } catch (error) {
    if (error instanceof BackstopError && error.userMessage !== undefined) {
      // Every refusal is audited: those the use cases did not see (a target the words do not name) are written here.
      if (!isAudited(error)) {
        const app =
          'target' in command ? (command.target?.app ?? ctx.binding?.app ?? null) : (ctx.binding?.app ?? null);
        await record(
          ctx.engine,
          ctx.principal,
          { app, action: ctx.asked ?? command.name },
          'refused',
          error.userMessage,
        );
      }
      return {
        outcome: 'refused',
        text: error.userMessage,
        data: { error: { code: error.code, message: error.userMessage } },
      };
    }
    throw error;
  }
}
