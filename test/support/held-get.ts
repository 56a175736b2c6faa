import { get, type IncomingMessage } from 'node:http';

/** A GET under way on a connection of its own. */
export interface HeldGet {
  response: IncomingMessage;
  /** The whole body once it has ended, or a rejection naming what came when the connection was cut. */
  body: Promise<Buffer>;
}

/**
 * Sends a GET on a connection of its own and resolves once the answer's head has come. The body is read as it comes,
 * unless `paused`: then nothing is read until `response.resume()`, so a large body stays under way (the server
 * stops when the connection's buffers are full) for as long as the test likes.
 */
export function heldGet(
  url: string,
  { paused = false, headers = {} }: { paused?: boolean; headers?: Record<string, string> } = {},
): Promise<HeldGet> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      const chunks: Buffer[] = [];
      const body = new Promise<Buffer>((done, cut) => {
        const received = () => `after ${chunks.reduce((size, chunk) => size + chunk.length, 0)} bytes`;
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => done(Buffer.concat(chunks)));
        response.once('aborted', () => cut(new Error(`cut ${received()}`)));
        response.once('error', (error) => cut(new Error(`cut ${received()}: ${error.message}`)));
      });
      // Looked at by the test later, maybe after it was cut.
      body.catch(() => {});
      if (paused) response.pause();
      resolve({ response, body });
    }).once('error', reject);
  });
}

/** What a new connection to `url` gets: `answered <status>`, or the error code (ECONNREFUSED once nothing listens). */
export function newConnection(url: string): Promise<string> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve(`answered ${response.statusCode}`);
    }).once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
