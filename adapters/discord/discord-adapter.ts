import { REST, Routes } from 'discord.js';
import express, { type Express, type Request, type Response } from 'express';
import type { ChatCaller, ChatHandler, ChatMessage } from '../../commands/chat/chat-types.ts';
import { BackstopError } from '../../src/backstop-error.ts';
import { createDiscordChatOutput, type DiscordChatOutput } from './discord-chat-output.ts';
import { type DiscordCommandOption, interactionToText } from './discord-commands.ts';
import { DiscordMessenger, describeDiscordError, type InteractionContext } from './discord-messenger.ts';
import { renderDiscordMessage } from './render-discord-message.ts';
import { discordPublicKey, verifyDiscordRequest } from './verify-discord-request.ts';

export interface MountDiscordOptions {
  /** The application's Public Key from the developer portal (64 hex characters). */
  publicKey: string;
  applicationId: string;
  /** Used only after an interaction's token expired (edits of long operations, private messages as DMs). */
  botToken: string;
  /** Discord's API root without the version, e.g. `http://127.0.0.1:PORT/api` for a test double. */
  apiUrl?: string;
  handler: ChatHandler;
  log: (line: string) => void;
  clock?: () => Date;
  /** Least time between two edits of one message (default 2000 ms). */
  updateIntervalMs?: number;
  /** How long `close()` waits for running commands before it stops waiting (default 10 s). */
  closeTimeoutMs?: number;
}

export interface MountedDiscord {
  /**
   * Stops taking interactions (503 from then on), waits up to `closeTimeoutMs` for running commands and sends their
   * last updates. Never rejects.
   */
  close(): Promise<void>;
  /** Posts a message in a channel with the bot token (a bound channel hearing of a scheduled backup). */
  post(channelId: string, message: ChatMessage): Promise<void>;
}

export const discordInteractionsPath = '/discord/interactions';

/** Interaction and response types (https://discord.com/developers/docs/interactions/receiving-and-responding). */
const interactionType = { ping: 1, applicationCommand: 2, messageComponent: 3 } as const;
const responseType = { pong: 1, message: 4, deferredMessage: 5, deferredUpdate: 6 } as const;
const ephemeralFlag = 64;

/** The subset of an interaction this adapter reads. */
interface InteractionPayload {
  type?: number;
  token?: string;
  data?: { name?: string; options?: DiscordCommandOption[]; custom_id?: string };
  member?: { user?: { id?: string }; roles?: string[] };
  user?: { id?: string };
  channel_id?: string;
  channel?: { id?: string };
  message?: { id?: string };
}

const internalErrorText = 'Backstop could not finish this because of an internal error; the details are in its log.';

/**
 * Mounts Discord's HTTP interactions endpoint on `app` (`POST /discord/interactions`, raw body on that route only, so
 * it is indifferent to other parsers). Every request must carry a valid Ed25519 signature from the application's key
 * and a fresh timestamp, else 401 with no detail. PING is answered with PONG (Discord checks the endpoint that way).
 * `/backup` is answered at once with a deferred reply, which Discord must get within 3 seconds, and the command then
 * runs in the background: `handler.command` with the words as typed, its output editing the reply. A button click is
 * answered with a deferred update and runs `handler.action` with the button's action. Options are checked here, so
 * a wrong config fails at start.
 */
export function mountDiscord(app: Express, options: MountDiscordOptions): MountedDiscord {
  const publicKey = discordPublicKey(options.publicKey);
  if (!/^\d{15,25}$/.test(options.applicationId)) {
    throw new BackstopError('discord-config', 'chat.discord.applicationId is not a Discord id', {
      userMessage:
        'chat.discord.applicationId must be the Application ID (digits) from the General Information page of the ' +
        'application in the Discord developer portal.',
    });
  }
  if (options.botToken.trim() === '') {
    throw new BackstopError('discord-config', 'chat.discord.botToken is empty', {
      userMessage: "chat.discord.botToken must be the bot's token (developer portal, Bot page, Reset Token).",
    });
  }
  const { handler, log } = options;
  const clock = options.clock ?? (() => new Date());
  const rest = new REST({ version: '10', ...(options.apiUrl ? { api: options.apiUrl } : {}) }).setToken(
    options.botToken,
  );
  const messenger = new DiscordMessenger(rest, options.applicationId, clock);
  const updateIntervalMs = options.updateIntervalMs ?? 2000;
  const running = new Set<{ done: Promise<void>; output: DiscordChatOutput }>();
  let closed = false;

  function run(
    interaction: InteractionContext,
    messageId: string | undefined,
    work: (output: DiscordChatOutput) => Promise<void>,
  ) {
    const output = createDiscordChatOutput({ messenger, interaction, messageId, updateIntervalMs, log });
    const entry = { output, done: Promise.resolve() };
    entry.done = work(output)
      .catch((error: unknown) => log(`discord: ${describeDiscordError(error)}`))
      .finally(() => running.delete(entry));
    running.add(entry);
  }

  function runCommand(caller: ChatCaller, text: string, interaction: InteractionContext) {
    run(interaction, undefined, async (output) => {
      try {
        await handler.command(caller, text, output);
      } catch (error) {
        log(`discord: /backup ${text} from ${caller.user} failed: ${describeDiscordError(error)}`);
        await output.update({ outcome: 'failed', text: shownError(error) });
      }
      await output.idle();
      // A command that only answered privately (or posted a card) leaves Discord's "thinking…" placeholder behind.
      if (!output.updated) await messenger.deleteOriginal(interaction);
    });
  }

  function runAction(
    caller: ChatCaller,
    action: string,
    interaction: InteractionContext,
    messageId: string | undefined,
  ) {
    run(interaction, messageId, async (output) => {
      try {
        await handler.action(caller, action, output);
      } catch (error) {
        log(`discord: button ${action} from ${caller.user} failed: ${describeDiscordError(error)}`);
        await output.private({ outcome: 'failed', text: shownError(error) });
      }
      await output.idle();
    });
  }

  function receive(request: Request, response: Response): void {
    if (closed) {
      response.status(503).json({ error: 'shutting down' });
      return;
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifyDiscordRequest(
      { signature: request.get('x-signature-ed25519'), timestamp: request.get('x-signature-timestamp'), rawBody },
      publicKey,
      clock(),
    );
    if (!verdict.ok) {
      log(`discord: refused a request to ${discordInteractionsPath} (${verdict.failure})`);
      response.status(401).json({ error: 'invalid request signature' });
      return;
    }
    let interaction: InteractionPayload;
    try {
      interaction = JSON.parse(rawBody.toString('utf8')) as InteractionPayload;
    } catch {
      response.status(400).json({ error: 'bad request' });
      return;
    }
    if (interaction.type === interactionType.ping) {
      response.json({ type: responseType.pong });
      return;
    }
    const caller = callerOf(interaction);
    const context = contextOf(interaction, clock());
    if (caller === undefined || context === undefined) {
      response.status(400).json({ error: 'bad request' });
      return;
    }
    if (interaction.type === interactionType.applicationCommand) {
      if (interaction.data?.name !== 'backup') {
        response.json({
          type: responseType.message,
          data: { content: 'Backstop only answers /backup.', flags: ephemeralFlag },
        });
        return;
      }
      const text = interactionToText({ name: 'backup', options: interaction.data.options ?? [] });
      response.json({ type: responseType.deferredMessage });
      // Only once Discord has its answer: an edit of the deferred reply before it exists would fail.
      response.once('finish', () => runCommand(caller, text, context));
      return;
    }
    if (interaction.type === interactionType.messageComponent && typeof interaction.data?.custom_id === 'string') {
      const action = interaction.data.custom_id;
      response.json({ type: responseType.deferredUpdate });
      response.once('finish', () => runAction(caller, action, context, interaction.message?.id));
      return;
    }
    response.status(400).json({ error: 'unsupported interaction' });
  }

  app.post(discordInteractionsPath, express.raw({ type: () => true, limit: '1mb' }), receive);

  return {
    async post(channelId, message) {
      await rest.post(Routes.channelMessages(channelId), { body: renderDiscordMessage(message) });
    },
    async close() {
      closed = true;
      // Waiting updates go out now rather than after the throttle interval.
      for (const r of running) void r.output.flush();
      const timeoutMs = options.closeTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...running].map((r) => r.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await Promise.all([...running].map((r) => r.output.flush()));
      if (running.size > 0) {
        log(`discord: ${running.size} chat command(s) still running at shutdown; their messages stop updating here`);
      }
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}

/** Only a BackstopError's userMessage reaches a channel; anything else is in the log. */
function shownError(error: unknown): string {
  return error instanceof BackstopError && error.userMessage !== undefined ? error.userMessage : internalErrorText;
}

/** Who clicked or typed, as the config's access lists write principals. */
function callerOf(interaction: InteractionPayload): ChatCaller | undefined {
  const userId = interaction.member?.user?.id ?? interaction.user?.id;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (userId === undefined || channelId === undefined) return undefined;
  return {
    platform: 'discord',
    user: `discord:${userId}`,
    groups: (interaction.member?.roles ?? []).map((role) => `discord-role:${role}`),
    channel: `discord-channel:${channelId}`,
  };
}

function contextOf(interaction: InteractionPayload, now: Date): InteractionContext | undefined {
  const userId = interaction.member?.user?.id ?? interaction.user?.id;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (userId === undefined || channelId === undefined || typeof interaction.token !== 'string') return undefined;
  return { token: interaction.token, receivedAt: now.getTime(), channelId, userId };
}
