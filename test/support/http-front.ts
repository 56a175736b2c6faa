import type { Express } from 'express';
import type { ChatEndpoint, DeliveredRequests } from '../../adapters/chat-platform/chat-platform.ts';
import { type AnsweredChatRequest, type HttpFront, startHttpFront } from '../../adapters/http-front/http-front.ts';
import { MemoryDeliveredRequests } from './delivered-requests.ts';
import { Occurrences } from './occurrences.ts';

/**
 * Serves `app` behind the HTTP front on 127.0.0.1 at a free port, with the given chat endpoints acknowledged on the
 * front's thread, as `backstop serve` does. `logs` collects the front's log lines; `answered` the chat requests it
 * has answered (their deliveries handed to the endpoints, or found replays): wait on it to know the front is done
 * with a request; `close` stops it all. `delivered` is the record of delivered requests (the state's, for a test of
 * instances sharing one); a record in memory of this front's own by default. `recordTimeoutMs` and `answerTimeoutMs`
 * are the front's.
 * are the front's.
 */
export async function serveBehindFront(
  app: Express,
  endpoints: ChatEndpoint[],
  logs: string[] = [],
  delivered: DeliveredRequests = new MemoryDeliveredRequests(),
  options: { recordTimeoutMs?: number; answerTimeoutMs?: number } = {},
): Promise<{
  url: string;
  front: HttpFront;
  logs: string[];
  answered: Occurrences<AnsweredChatRequest>;
  close: () => Promise<void>;
}> {
  const answered = new Occurrences<AnsweredChatRequest>();
  const front = await startHttpFront({
    app,
    host: '127.0.0.1',
    port: 0,
    endpoints,
    delivered,
    log: (line) => logs.push(line),
    onAnswered: answered.record,
    ...options,
  });
  return {
    url: `http://127.0.0.1:${front.port}`,
    front,
    logs,
    answered,
    close: async () => {
      await front.close();
    },
  };
}
