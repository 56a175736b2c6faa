import { type AccessPolicy, type Role, roles } from '../../src/access/access-policy.ts';
import { reasonOf } from '../../src/domain/reason-of.ts';
import { followOperation } from '../../src/jobs/follow-operation.ts';
import type { AuditLog } from '../../src/state/audit-log.ts';
import type { RestoreRequests } from '../../src/state/restore-requests.ts';
import { findOperation } from '../../src/use-cases/cancel-operation.ts';
import type { UseCaseContext } from '../../src/use-cases/use-case-context.ts';
import type { Command } from '../command.ts';
import { formatBytes } from '../handlers/format.ts';
import { handleHelp } from '../handlers/help.ts';
import type { HandlerContext, Reply } from '../handlers/reply.ts';
import { runCommand } from '../handlers/run-command.ts';
import { parseCommand } from '../parse-command.ts';
import { tokenize } from '../tokenize.ts';
import { decideRestoreRequest, requestRestoreApproval } from './approvals.ts';
import type { ChannelBindings } from './channel-bindings.ts';
import type { ChatCaller, ChatHandler, ChatMessage, ChatOutput } from './chat-types.ts';

/** What the chat flow needs besides the engine. */
export interface ChatContext {
  engine: UseCaseContext;
  access: AccessPolicy;
  audit: AuditLog;
  requests: RestoreRequests;
  bindings: ChannelBindings;
  /** How long a restore request waits for an approver. */
  approvalTtlMs: number;
}

/** The role each command needs on the apps it touches (help needs none). */
const neededRole: Record<Exclude<Command['name'], 'help'>, Role> = {
  list: 'viewer',
  show: 'viewer',
  schedule: 'viewer',
  status: 'viewer',
  create: 'operator',
  download: 'operator',
  verify: 'operator',
  pin: 'operator',
  unpin: 'operator',
  prune: 'operator',
  cancel: 'operator',
  restore: 'restorer',
};

/**
 * The /backup language in chat: parse, check the caller's role on every app the command touches, run it (following
 * queued work with progress), send download links privately, route restores into protected targets through an
 * approval card, and write every command and click to the audit log.
 */
export function createChatHandler(chat: ChatContext): ChatHandler {
  const handler: ChatHandler = {
    async command(caller, text, output) {
      const binding = chat.bindings.of(caller.channel);
      const parsed = parseCommand(tokenize(text), {
        ...(binding && { boundAppEnvironments: environmentsOf(chat, binding.app) }),
      });
      if (!parsed.ok) {
        await output.update({
          outcome: 'refused',
          text: `${parsed.message}${parsed.usage ? `\nUsage: /backup ${parsed.usage}` : '\nSee: /backup help'}`,
        });
        await audit(chat, caller, null, text, 'refused', parsed.message);
        return;
      }
      const command = parsed.command;
      if (command.name === 'help') {
        await output.update(handleHelp(command, '/backup '));
        return;
      }
      const ctx: HandlerContext = {
        engine: chat.engine,
        caller: caller.user,
        ...(binding && { binding }),
        follow: (operation) =>
          followOperation(chat.engine, operation, {
            onProgress: (progress) => {
              const total = progress.bytesExpected ? ` / ${formatBytes(progress.bytesExpected)}` : '';
              void output
                .update({
                  outcome: 'ok',
                  text: `Working on \`/backup ${text}\`: ${progress.phase} ${formatBytes(progress.bytesDone)}${total}`,
                })
                .catch(() => undefined);
            },
          }),
      };
      try {
        const apps = await appsTouched(chat, ctx, command);
        const refusal = accessRefusal(chat, caller, command, apps);
        if (refusal) {
          await output.update({ outcome: 'refused', text: refusal });
          await audit(chat, caller, apps[0] ?? null, text, 'refused', refusal);
          return;
        }
        if (command.name === 'restore') {
          const card = await requestRestoreApproval(chat, ctx, caller, command, output);
          if (card) {
            await audit(chat, caller, card.destApp, text, 'ok', `approval requested: ${card.id}`);
            return;
          }
        }
        const reply: ChatMessage = await runCommand(ctx, await withCallerEmail(command, caller), {
          prefix: '/backup ',
          checks: {},
        });
        const completed = (reply.data as { id?: string; status?: string } | undefined) ?? {};
        if ((command.name === 'create' || command.name === 'show') && completed.status === 'completed') {
          reply.buttons = [{ action: `download:${completed.id}`, label: 'Prepare download', style: 'default' }];
        }
        if (command.name === 'download' && reply.outcome === 'ok') {
          await output.private(reply);
          await output.update({ outcome: 'ok', text: publicDownloadText(reply) });
        } else {
          await output.update(reply);
        }
        await audit(chat, caller, apps[0] ?? null, text, reply.outcome, reply.outcome === 'ok' ? null : reply.text);
      } catch (error) {
        chat.engine.log(`chat command "${text}" by ${caller.user} failed: ${reasonOf(error)}`);
        await output.update({ outcome: 'failed', text: 'Something went wrong on Backstop’s side; see its log.' });
        await audit(chat, caller, null, text, 'failed', reasonOf(error));
      }
    },

    async action(caller, action, output) {
      const [verb, id] = action.split(':');
      if ((verb === 'approve' || verb === 'deny' || verb === 'withdraw') && id) {
        const outcome = await decideRestoreRequest(chat, caller, verb, id, output);
        await audit(chat, caller, outcome.app, `${verb} ${id}`, outcome.outcome, outcome.detail);
        return;
      }
      if (verb === 'download' && id) {
        // The clicker's own download: everything it says goes to them alone, the backup's message stays as it is.
        await handler.command(caller, `download ${id}`, {
          update: (message) => output.private(message),
          private: (message) => output.private(message),
          announce: (message) => output.announce(message),
          edit: (reference, message) => output.edit(reference, message),
        });
        return;
      }
      await output.private({ outcome: 'refused', text: 'That button is not known to this Backstop.' });
      await audit(chat, caller, null, action, 'refused', 'unknown action');
    },
  };
  return handler;
}

/** The apps a command touches: its target's, or its backup's, or its operation's; all configured apps otherwise. */
async function appsTouched(chat: ChatContext, ctx: HandlerContext, command: Command): Promise<string[]> {
  const all = [...new Set(chat.engine.targets.map((t) => t.app))];
  switch (command.name) {
    case 'list':
    case 'schedule':
    case 'prune': {
      const app = command.target?.app ?? ctx.binding?.app;
      return app ? [app] : all;
    }
    case 'create':
      return [command.target?.app ?? ctx.binding?.app ?? all[0] ?? ''];
    case 'show':
    case 'verify':
    case 'pin':
    case 'unpin':
    case 'download':
      return [(await chat.engine.catalog.getBackup(command.id)).app];
    case 'restore': {
      const backup = await chat.engine.catalog.getBackup(command.id);
      const dest = command.to?.app ?? (command.to ? ctx.binding?.app : backup.app) ?? backup.app;
      return dest === backup.app ? [dest] : [dest, backup.app];
    }
    case 'cancel': {
      const operation = await findOperation(chat.engine.operations, command.id);
      return operation.target ? [operation.target.split('/')[0]!] : all;
    }
    case 'status':
    case 'help':
      return [];
  }
}

/** Why the caller may not run the command, naming the role it needs; undefined when allowed. */
function accessRefusal(chat: ChatContext, caller: ChatCaller, command: Command, apps: string[]): string | undefined {
  if (command.name === 'help') return undefined;
  const principals = [caller.user, ...caller.groups, caller.channel];
  const needed = command.name === 'prune' && command.dryRun ? 'viewer' : neededRole[command.name];
  if (apps.length === 0) {
    return chat.access.appsAllowing(principals, needed).length > 0
      ? undefined
      : `You need the ${needed} role on some app to use ${command.name}. Ask whoever runs Backstop to add ${caller.user} to apps.<app>.access.${needed}.`;
  }
  // A restore needs the restorer role on its destination and may read its backup's app as a viewer.
  const needs = apps.map((app, index) => ({ app, role: command.name === 'restore' && index > 0 ? 'viewer' : needed }));
  const missing = needs.find(({ app, role }) => !chat.access.allows(principals, app, role as Role));
  if (!missing) return undefined;
  return (
    `${command.name} needs the ${missing.role} role on ${missing.app}, which ${caller.user} does not have` +
    ` (roles: ${roles.join(' < ')}). Ask whoever runs Backstop to add ${caller.user} to apps.${missing.app}.access.${missing.role}.`
  );
}

async function withCallerEmail(command: Command, caller: ChatCaller): Promise<Command> {
  if (command.name === 'download' && command.email === undefined && caller.email !== undefined) {
    const email = await caller.email();
    if (email !== undefined) return { ...command, email };
  }
  return command;
}

/** In the channel, a download says it is ready without its links: those go to the requester only. */
function publicDownloadText(reply: Reply): string {
  const data = reply.data as { id: string; backupId: string; email?: string | null };
  return (
    `Download ${data.id} of backup ${data.backupId} is ready; the links were sent privately to whoever asked` +
    `${data.email ? ' (and by email)' : ''}.`
  );
}

function environmentsOf(chat: ChatContext, app: string): string[] {
  return chat.engine.targets.filter((t) => t.app === app).map((t) => t.env);
}

async function audit(
  chat: ChatContext,
  caller: ChatCaller,
  app: string | null,
  action: string,
  outcome: 'ok' | 'failed' | 'refused',
  detail: string | null,
): Promise<void> {
  try {
    await chat.audit.record({ principal: caller.user, app, action, outcome, detail }, chat.engine.clock());
  } catch (error) {
    chat.engine.log(`could not write the audit log (${caller.user}: ${action}): ${reasonOf(error)}`);
  }
}

export type { ChatMessage, ChatOutput };
