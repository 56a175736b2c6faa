import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ChatCaller,
  ChatFormErrors,
  ChatHandler,
  ChatMessage,
  ChatOutput,
} from '../../../commands/chat/chat-types.ts';

export const applicationId = '111111111111111111';
export const channelId = '222222222222222222';
export const userId = '333333333333333333';
export const dmChannelId = '444444444444444444';

/** An Ed25519 key pair like a Discord application's; `publicKeyHex` is what the developer portal shows. */
export class DiscordSigner {
  readonly publicKeyHex: string;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.publicKeyHex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  }

  /** The headers Discord sends: the signature over timestamp + body, and the timestamp in Unix seconds. */
  headers(body: string, at: Date): Record<string, string> {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), this.privateKey).toString('hex');
    return { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
  }
}

/** One request the fake Discord API received. */
export interface RecordedRequest {
  method: string;
  /** Decoded: `@original` arrives as `%40original`. */
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: number;
}

/**
 * A local stand-in for Discord's REST API (the routes the adapter uses): records every request and answers with
 * message objects carrying fresh ids, as Discord does. `fail` makes matching requests answer with an error.
 */
export class FakeDiscordApi {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private nextId = 900000000000000000n;
  private readonly originals = new Map<string, string>();
  private readonly failures: Array<{ match: (r: RecordedRequest) => boolean; status: number; body: unknown }> = [];

  get apiUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void readBody(request).then((raw) => {
        const recorded: RecordedRequest = {
          method: request.method ?? '',
          path: decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname),
          body: raw === '' ? undefined : JSON.parse(raw),
          authorization: request.headers.authorization,
          at: performance.now(),
        };
        this.requests.push(recorded);
        const failure = this.failures.find((f) => f.match(recorded));
        const [status, answer] = failure ? [failure.status, failure.body] : this.answer(recorded);
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(answer === undefined ? undefined : JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  fail(match: (r: RecordedRequest) => boolean, status: number, body: unknown): void {
    this.failures.push({ match, status, body });
  }

  /** Requests whose method and path match (paths below `/api/v10`). */
  find(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method === method &&
        (typeof path === 'string' ? r.path === `/api/v10${path}` : path.test(r.path.slice('/api/v10'.length))),
    );
  }

  /** Waits until `predicate` holds for the recorded requests (polling; the adapter answers Discord first). */
  async waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate(this.requests)) {
      if (performance.now() > deadline) {
        throw new Error(
          `timed out; requests so far: ${JSON.stringify(this.requests.map((r) => `${r.method} ${r.path}`))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private id(): string {
    this.nextId += 1n;
    return String(this.nextId);
  }

  private answer(request: RecordedRequest): [number, unknown] {
    const path = request.path.replace(/^\/api\/v10/, '');
    const body = (request.body ?? {}) as Record<string, unknown>;
    let match = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/.exec(path);
    if (match) {
      const [, , token, message] = match;
      if (request.method === 'DELETE') return [204, undefined];
      let id = message!;
      if (message === '@original') {
        id = this.originals.get(token!) ?? this.id();
        this.originals.set(token!, id);
      }
      return [200, { ...body, id, channel_id: channelId }];
    }
    if (/^\/webhooks\/(\d+)\/([^/]+)$/.test(path) && request.method === 'POST') {
      return [200, { ...body, id: this.id(), channel_id: channelId }];
    }
    if (path === '/users/@me/channels' && request.method === 'POST') return [200, { id: dmChannelId, type: 1 }];
    match = /^\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(path);
    if (match) return [200, { ...body, id: match[2] ?? this.id(), channel_id: match[1] }];
    if (/^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path) && request.method === 'PUT') {
      return [200, (request.body as Array<Record<string, unknown>>).map((c) => ({ ...c, id: this.id() }))];
    }
    return [404, { message: 'Unknown route', code: 0 }];
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** One call the recording handler got. */
export interface HandlerCall {
  kind: 'command' | 'action';
  caller: ChatCaller;
  /** The text for a command, the action for a click. */
  input: string;
}

/** A ChatHandler that records its calls and runs `script` with the output it was given. */
export class RecordingHandler implements ChatHandler {
  readonly calls: HandlerCall[] = [];
  script: (output: ChatOutput, call: HandlerCall) => Promise<void> = async () => {};

  async command(caller: ChatCaller, text: string, output: ChatOutput): Promise<void> {
    const call: HandlerCall = { kind: 'command', caller, input: text };
    this.calls.push(call);
    await this.script(output, call);
  }

  async action(caller: ChatCaller, action: string, output: ChatOutput): Promise<void> {
    const call: HandlerCall = { kind: 'action', caller, input: action };
    this.calls.push(call);
    await this.script(output, call);
  }
  // Discord shows no forms and no overview: nothing calls these.
  async checkForm(): Promise<ChatFormErrors> {
    return {};
  }

  async submitForm(): Promise<void> {}

  async home(): Promise<ChatMessage[]> {
    return [];
  }
}

let interactions = 0;

/** A new interaction id, as Discord gives each interaction its own: two sharing one would run once. */
export function interactionId(): string {
  interactions += 1;
  return String(555555555555555555n + BigInt(interactions));
}

/** An APPLICATION_COMMAND interaction for `/backup <subcommand>` as Discord sends it, with overrides. */
export function slashCommand(
  subcommand: string,
  options: Array<{ name: string; type: number; value: string | boolean; focused?: boolean }> = [],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: interactionId(),
    application_id: applicationId,
    type: 2,
    token: 'command-token',
    version: 1,
    guild_id: '666666666666666666',
    channel_id: channelId,
    member: { user: { id: userId, username: 'ana' }, roles: ['777', '778'] },
    data: { id: '888', name: 'backup', type: 1, options: [{ name: subcommand, type: 1, options }] },
    ...overrides,
  };
}

/**
 * An APPLICATION_COMMAND_AUTOCOMPLETE interaction: `typed` so far in the option `focus` of `/backup <subcommand>`,
 * with `others` already filled in, as Discord sends it while someone types.
 */
export function autocomplete(
  subcommand: string,
  focus: string,
  typed: string,
  others: Array<{ name: string; type: number; value: string | boolean }> = [],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...slashCommand(subcommand, [...others, { name: focus, type: 3, value: typed, focused: true }], overrides),
    type: 4,
    token: 'autocomplete-token',
  };
}

/** A MESSAGE_COMPONENT interaction: a click on the button `customId` of message `messageId`. */
export function buttonClick(customId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: interactionId(),
    application_id: applicationId,
    type: 3,
    token: 'click-token',
    version: 1,
    guild_id: '666666666666666666',
    channel_id: channelId,
    member: { user: { id: '999999999999999999', username: 'bea' }, roles: ['42'] },
    message: { id: '121212121212121212', channel_id: channelId },
    data: { custom_id: customId, component_type: 2 },
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
