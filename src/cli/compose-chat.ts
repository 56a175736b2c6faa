import { createDiscord } from '../../adapters/discord/discord-adapter.ts';
import type { ChatPlatform } from '../../adapters/http-front/acknowledgement.ts';
import { createSlack } from '../../adapters/slack/slack-adapter.ts';
import { ChannelBindings } from '../../commands/chat/channel-bindings.ts';
import { type ChatContext, createChatHandler } from '../../commands/chat/chat-handler.ts';
import type { ChatHandler } from '../../commands/chat/chat-types.ts';
import { AccessPolicy } from '../access/access-policy.ts';
import { AuditLog } from '../access/audit-log.ts';
import type { BackstopConfig } from '../config/backstop-config.ts';
import { durationSeconds } from '../config/config-schema.ts';
import type { EngineContext } from '../engine/engine-context.ts';
import { newId } from '../engine/new-id.ts';
import { RestoreRequests } from '../engine/restore-requests.ts';
import type { StateDb } from '../state/state.ts';

/**
 * The chat side of the composition root: access, audit, approvals and bindings from the config; the handler every
 * platform's commands go to, and the context the approvals' expiry works in.
 */
export function composeChat(
  config: BackstopConfig,
  engine: EngineContext,
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
  engine: EngineContext,
  log: (line: string) => void,
): ChatPlatform[] {
  const { slack, discord } = config.raw.chat ?? {};
  return [
    ...(slack ? [createSlack({ ...slack, handler, log, clock: engine.clock })] : []),
    ...(discord ? [createDiscord({ ...discord, handler, log, clock: engine.clock })] : []),
  ];
}
