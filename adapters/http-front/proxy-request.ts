import { type Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/** Headers that describe one connection, not the message: never passed on (RFC 9110, section 7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface Upstream {
  host: string;
  port: number;
  agent: Agent;
}

/**
 * Passes a request to the upstream server and its answer back, streaming both bodies (a download of gigabytes
 * passes through without being held). Adds `x-forwarded-for` and `x-forwarded-host`. An upstream that cannot be
 * reached gives 502; a client that goes away aborts the upstream request (so a cancelled download stops reading).
 */
export function proxyRequest(request: IncomingMessage, response: ServerResponse, upstream: Upstream): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
  }
  const client = request.socket.remoteAddress;
  if (client !== undefined) {
    const earlier = request.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = earlier === undefined ? client : `${earlier}, ${client}`;
  }
  if (request.headers.host !== undefined) headers['x-forwarded-host'] ??= request.headers.host;
  const outgoing = httpRequest(
    {
      host: upstream.host,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers,
      agent: upstream.agent,
    },
    (answer) => {
      const answerHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !hopByHop.has(name)) answerHeaders[name] = value;
      }
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answerHeaders);
      answer.once('error', () => response.destroy());
      // Piped, with its error handled just above (not pipelined): a client that goes away is handled by 'close'
      // below, which must also stop the upstream request, and pipeline would not.
      answer.pipe(response);
    },
  );
  outgoing.once('error', () => {
    if (!response.headersSent) {
      response.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"upstream unavailable"}');
    } else {
      response.destroy();
    }
  });
  response.once('close', () => {
    if (!response.writableFinished) outgoing.destroy();
  });
  // Piped, not pipelined: pipeline would destroy the client's request (and its socket) when the upstream fails,
  // and the 502 above could no longer be sent.
  request.pipe(outgoing);
}
