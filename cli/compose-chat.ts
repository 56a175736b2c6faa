import type { ChatPlatform } from '../adapters/chat-platform/chat-platform.ts';
import { createDiscord } from '../adapters/discord/discord-adapter.ts';
import { createSlack } from '../adapters/slack/slack-adapter.ts';
import { ChannelBindings } from '../commands/chat/channel-bindings.ts';
import { type ChatContext, createChatHandler } from '../commands/chat/chat-handler.ts';
import type { ChatHandler } from '../commands/chat/chat-types.ts';
import { AccessPolicy } from '../src/access/access-policy.ts';
import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { durationSeconds } from '../src/config/config-schema.ts';
import { newId } from '../src/domain/new-id.ts';
import { AuditLog } from '../src/state/audit-log.ts';
import { RestoreRequests } from '../src/state/restore-requests.ts';
import type { StateDb } from '../src/state/state.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';

/**
 * The chat side of the composition root: access, audit, approvals and bindings from the config; the handler every
 * platform's commands go to, and the context the approvals' expiry works in.
 */
export function composeChat(
  config: BackstopConfig,
  engine: UseCaseContext,
  state: StateDb,
): { handler: ChatHandler; context: ChatContext } {
  const chat: ChatContext = {
    engine,
    access: AccessPolicy.fromConfig(config.raw.apps),
    audit: new AuditLog(state),
    requests: new RestoreRequests(state, () => newId()),
    bindings: new ChannelBindings(config.raw.apps),
    approvalTtlMs: durationSeconds(config.raw.chat?.approvalTtl ?? '30m') * 1000,
  };
  return { handler: createChatHandler(chat), context: chat };
}

/** The chat platforms the config sets up (`chat.slack`, `chat.discord`), Slack first, each taking commands to `handler`. */
export function chatPlatforms(
  config: BackstopConfig,
  handler: ChatHandler,
  engine: UseCaseContext,
  log: (line: string) => void,
): ChatPlatform[] {
  const { slack, discord } = config.raw.chat ?? {};
  return [
    ...(slack ? [createSlack({ ...slack, handler, log, clock: engine.clock })] : []),
    ...(discord ? [createDiscord({ ...discord, handler, log, clock: engine.clock })] : []),
  ];
}
