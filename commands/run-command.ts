import { BackstopError } from '../src/backstop-error.ts';
import type { PlaintextCheck } from '../src/engine/verify-backup.ts';
import type { PartKind } from '../src/sources/source.ts';
import type { Command } from './command.ts';
import { handleCancel } from './handlers/cancel.ts';
import { handleCreate } from './handlers/create.ts';
import { handleDownload } from './handlers/download.ts';
import { handleHelp } from './handlers/help.ts';
import { handleList } from './handlers/list.ts';
import { handlePin } from './handlers/pin.ts';
import { handlePrune } from './handlers/prune.ts';
import { handleRestore } from './handlers/restore.ts';
import { handleSchedule } from './handlers/schedule.ts';
import { handleShow } from './handlers/show.ts';
import { handleStatus } from './handlers/status.ts';
import { handleVerify } from './handlers/verify.ts';
import type { HandlerContext, Reply } from './reply.ts';

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
        return await handleStatus(ctx);
      case 'cancel':
        return await handleCancel(ctx, command);
    }
  } catch (error) {
    if (error instanceof BackstopError && error.userMessage !== undefined) {
      return {
        outcome: 'refused',
        text: error.userMessage,
        data: { error: { code: error.code, message: error.userMessage } },
      };
    }
    throw error;
  }
}
