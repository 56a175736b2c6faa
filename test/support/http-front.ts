import type { Express } from 'express';
import type { ChatEndpoint } from '../../adapters/chat-platform/chat-platform.ts';
import { type HttpFront, startHttpFront } from '../../adapters/http-front/http-front.ts';

/**
 * Serves `app` behind the HTTP front on 127.0.0.1 at a free port, with the given chat endpoints acknowledged on the
 * front's thread, as `backstop serve` does. `logs` collects the front's log lines; `close` stops it all.
 */
export async function serveBehindFront(
  app: Express,
  endpoints: ChatEndpoint[],
  logs: string[] = [],
): Promise<{ url: string; front: HttpFront; logs: string[]; close: () => Promise<void> }> {
  const front = await startHttpFront({ app, host: '127.0.0.1', port: 0, endpoints, log: (line) => logs.push(line) });
  return { url: `http://127.0.0.1:${front.port}`, front, logs, close: () => front.close() };
}
