import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request to the fake: a Web API method (`chat.update`) or a post to a response URL (`response:<id>`). */
export interface SlackApiCall {
  method: string;
  /** The parameters, with JSON-valued form fields (`blocks`) decoded. */
  body: Record<string, unknown>;
  /** The bearer token the client sent, if any. */
  token: string | undefined;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The address it came from: which host, where clients run on several. */
  from: string | undefined;
  /** What the fake answered (set once it did). */
  answer?: Record<string, unknown>;
}

/**
 * A local stand-in for Slack's Web API (`<url>/api/<method>`, form-encoded or JSON, as @slack/web-api sends) and for
 * response URLs (`<url>/response/<id>`). It answers `chat.postMessage` (a new `ts` each time), `chat.update`,
 * `chat.postEphemeral`, `conversations.open`, `users.info` (a profile email from `emails`), `views.open` and
 * `views.publish`, records every call,
 * and can be told to fail (`{ ok: false, error }`, as Slack does) or be slow per method.
 */
export class FakeSlackApi {
  readonly calls: SlackApiCall[] = [];
  /** Profile emails by user id; a user not listed has none (as when `users:read.email` is missing). */
  readonly emails = new Map<string, string>();
  /** Methods answering `{ ok: false, error: <code> }`. */
  readonly failures = new Map<string, string>();
  /** Methods answering only after this many milliseconds. */
  readonly delays = new Map<string, number>();
  #nextTs = 1_700_000_000_000_100;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /**
   * Listens on `host` (127.0.0.1 by default; another address of this machine for clients on other hosts, such as the
   * fleet tests' network namespaces), and its URLs name that address.
   */
  static async start(host = '127.0.0.1'): Promise<FakeSlackApi> {
    const server = createServer();
    server.listen(0, host);
    await new Promise((resolve) => server.once('listening', resolve));
    const fake = new FakeSlackApi(server, `http://${host}:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => {
      fake.#answer(request).then(
        ({ call, answer }) => {
          if (call !== undefined) call.answer = answer;
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(answer));
        },
        (error: unknown) => {
          response.writeHead(500).end(String(error));
        },
      );
    });
    return fake;
  }

  /** What `chat.slack.apiUrl` is set to. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  callsTo(method: string): SlackApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Polls until `check` returns something other than undefined or false, for background work that ends later. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = check();
      if (result !== undefined && result !== false) return result;
      if (Date.now() > deadline) throw new Error(`the fake Slack API did not see what the test waited for`);
      await sleep(20);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async #answer(request: IncomingMessage): Promise<{ call?: SlackApiCall; answer: Record<string, unknown> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(request.url ?? '/', this.url).pathname;
    const method = path.startsWith('/api/') ? path.slice('/api/'.length) : `response:${path.split('/').pop()}`;
    const authorization = request.headers.authorization;
    const call: SlackApiCall = {
      method,
      body: parseBody(raw, request.headers['content-type']),
      token: authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined,
      at: Date.now(),
      from: request.socket.remoteAddress,
    };
    this.calls.push(call);
    const delay = this.delays.get(method);
    if (delay !== undefined) await sleep(delay);
    return { call, answer: this.#reply(method, call.body) };
  }

  #reply(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const failure = this.failures.get(method);
    if (failure !== undefined) return { ok: false, error: failure };
    switch (method) {
      case 'chat.postMessage':
        return { ok: true, channel: body['channel'], ts: this.#newTs(), message: { text: body['text'] } };
      case 'chat.update':
        return { ok: true, channel: body['channel'], ts: body['ts'], text: body['text'] };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.#newTs() };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(body['users']).slice(1)}` } };
      case 'views.open':
        return { ok: true, view: { id: `V${this.#newTs().replace('.', '')}`, ...(body['view'] as object) } };
      case 'views.publish':
        return { ok: true, view: { id: `V${String(body['user_id'])}`, ...(body['view'] as object) } };
      case 'users.info': {
        const user = String(body['user']);
        const email = this.emails.get(user);
        return { ok: true, user: { id: user, profile: email === undefined ? {} : { email } } };
      }
      default:
        return method.startsWith('response:') ? { ok: true } : { ok: false, error: 'unknown_method' };
    }
  }

  #newTs(): string {
    const n = this.#nextTs++;
    return `${Math.floor(n / 1_000_000)}.${String(n % 1_000_000).padStart(6, '0')}`;
  }
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    fields[key] = /^[[{]/.test(text) ? JSON.parse(text) : text;
  }
  return fields;
}
