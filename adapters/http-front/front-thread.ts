/**
 * The HTTP front's thread: owns the public listening socket. Requests to a chat path are checked and acknowledged here
 * (see acknowledgers.ts) and their deliveries posted to the main thread once the answer is sent; every other request
 * is proxied to the app the main thread serves on a loopback port. Acknowledging never waits for the main thread, so
 * a burst of commands whose work keeps the main thread busy is still acknowledged within milliseconds.
 *
 * The one exception is a request whose answer is made of Backstop's state, which only the main thread can read:
 * Discord's autocomplete (the choices are the caller's backups and targets) and a submitted Slack modal (answered
 * with the form's errors, which need the access check). Its acknowledgement carries a `question`, posted to the main
 * thread; the answer is sent when it comes back, or the acknowledgement's own once `answerTimeoutMs` has passed, so
 * the platform hears something within its deadline however busy the main thread is.
 *
 * Messages in: `{ type: 'refuse-chat' }` (chat paths answer 503 from then on; answered with `chat-refused`),
 * `{ type: 'drain' }` (stop listening and let the requests under way finish, see ConnectionDrain; answered with
 * `draining` at once and `drained` once the last connection has ended), `{ type: 'close' }` (stop listening, close
 * every connection still open and end; answered with `closed`).
 * `{ type: 'answer', id, answer }` answers a `question`.
 * Messages out: `listening`, `listen-failed`, `question`, `answered` (one per chat request whose answer was sent, with
 * its delivery and how to record it, if any), `log`, `chat-refused`, `draining`, `drained`, `closed`, as typed in
 * front-protocol.ts.
 */
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectionDrain } from '../../src/http/connection-drain.ts';
import type { DeliveryRecord, QuestionAnswer } from '../chat-platform/chat-platform.ts';
import { type Acknowledger, acknowledgerFor } from './acknowledgers.ts';
import type { FrontMessage, FrontSettings, MainMessage } from './front-protocol.ts';
import { proxyRequest } from './proxy-request.ts';

const port = parentPort!;
const settings = workerData as FrontSettings;
const send = (message: FrontMessage) => port.postMessage(message);
const log = (line: string) => send({ type: 'log', line });

const acknowledgers = new Map<string, { platform: string; acknowledge: Acknowledger }>(
  settings.endpoints.map((endpoint) => [
    endpoint.path,
    { platform: endpoint.settings.platform, acknowledge: acknowledgerFor(endpoint.settings, () => new Date()) },
  ]),
);
const upstream = {
  host: settings.upstream.host,
  port: settings.upstream.port,
  agent: new Agent({ keepAlive: true, maxSockets: 256 }),
};
let refusingChat = false;
// Questions posted to the main thread, by id: each is settled once, by its answer or by its time running out.
const questions = new Map<number, (answer: QuestionAnswer | undefined) => void>();
let lastQuestion = 0;

/** The main thread's answer to `question`, or undefined when none came within `answerTimeoutMs`. */
function askMainThread(path: string, question: unknown): Promise<QuestionAnswer | undefined> {
  lastQuestion += 1;
  const id = lastQuestion;
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle(undefined), settings.answerTimeoutMs);
    const settle = (answer: QuestionAnswer | undefined) => {
      clearTimeout(timer);
      questions.delete(id);
      resolve(answer);
    };
    questions.set(id, settle);
    send({ type: 'question', id, path, question });
  });
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const endpoint = acknowledgers.get(path);
  if (endpoint === undefined) {
    proxyRequest(request, response, upstream);
    return;
  }
  // Once the answer is sent, the main thread hears of it, with the delivery to run if there is one.
  const reply = (
    status: number,
    json: unknown,
    extra: { headers?: Record<string, string>; delivery?: unknown; record?: DeliveryRecord } = {},
  ) => {
    response.once('finish', () =>
      send({ type: 'answered', path, status, delivery: extra.delivery, record: extra.record }),
    );
    respond(response, status, json, extra.headers);
  };
  if (request.method !== 'POST') {
    reply(405, { error: 'method not allowed' }, { headers: { allow: 'POST' } });
    request.resume();
    return;
  }
  if (refusingChat) {
    reply(503, { error: 'shutting down' });
    request.resume();
    return;
  }
  readBody(request, settings.bodyLimitBytes).then(
    (rawBody) => {
      if (rawBody === undefined) {
        reply(413, { error: 'request too large' });
        return;
      }
      let answer: ReturnType<Acknowledger>;
      try {
        answer = endpoint.acknowledge({ rawBody, headers: request.headers });
      } catch (error) {
        log(`${endpoint.platform}: could not read a request to ${path}: ${String(error)}`);
        reply(500, { error: 'internal error' });
        return;
      }
      if (answer.refused !== undefined) {
        log(`${endpoint.platform}: refused a request to ${path} (${answer.refused})`);
      }
      if (answer.question !== undefined) {
        void askMainThread(path, answer.question).then((decided) => {
          if (decided === undefined)
            log(`${endpoint.platform}: answered a request to ${path} without its answer (late)`);
          if (decided?.deliver === false) reply(answer.status, decided.json ?? answer.json);
          else reply(answer.status, decided?.json ?? answer.json, { delivery: answer.delivery, record: answer.record });
        });
        return;
      }
      reply(answer.status, answer.json, { delivery: answer.delivery, record: answer.record });
    },
    () => response.destroy(),
  );
});

const drain = new ConnectionDrain(server);

server.once('error', (error: NodeJS.ErrnoException) => {
  send({ type: 'listen-failed', code: error.code, message: error.message });
});
server.listen(settings.port, settings.host, () => {
  const { address, port: listening } = server.address() as AddressInfo;
  send({ type: 'listening', address, port: listening });
});

port.on('message', (message: MainMessage) => {
  if (message.type === 'refuse-chat') {
    refusingChat = true;
    send({ type: 'chat-refused' });
  } else if (message.type === 'drain') {
    send({ type: 'draining', open: drain.drain() });
    void drain.drained.then(() => send({ type: 'drained' }));
  } else if (message.type === 'answer') {
    questions.get(message.id)?.(message.answer);
  } else if (message.type === 'close') {
    // Questions still waiting stop waiting (their timers would hold the thread): their connections are being closed.
    for (const settle of [...questions.values()]) settle(undefined);
    void drain.close().then((cut) => {
      // Only now: a request proxied until the end needed its upstream connection.
      upstream.agent.destroy();
      send({ type: 'closed', cut });
      port.close();
    });
  }
});

function respond(
  response: ServerResponse,
  status: number,
  json: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (json === undefined) {
    response.writeHead(status, { 'content-length': '0', ...extraHeaders }).end();
    return;
  }
  const body = Buffer.from(JSON.stringify(json));
  response
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      ...extraHeaders,
    })
    .end(body);
}

/** The whole body, or undefined once it passes `limit` bytes (the rest is drained, not kept). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}
