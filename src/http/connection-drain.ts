import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes a node:http server the way a load balancer expects a backend to go: `drain()` stops accepting connections
 * and closes the idle ones at once, lets the requests under way finish (a download or an event stream keeps
 * streaming), answers any further request on an open connection with `Connection: close`, and closes each connection
 * as soon as its response has ended; `drained` settles once none is left. `close()` ends what is still open at once,
 * for a drain that ran out of time (or was never asked for).
 *
 * Node's own `server.close()` is not enough: it closes only the connections idle at that moment, and a connection
 * whose response ends afterwards is kept alive for more requests until its keep-alive timeout.
 *
 * Made with the server, before its first connection: it must see every connection and every request.
 */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Responses not yet ended, among them the ones of requests read ahead on a connection (pipelined). */
  readonly #responses = new Set<ServerResponse>();
  #draining = false;
  #closing: Promise<void> | undefined;
  /** Settles once the server no longer listens and its last connection has ended (after `drain()` or `close()`). */
  readonly drained: Promise<void>;
  #settle: () => void = () => {};

  constructor(server: Server) {
    this.#server = server;
    this.drained = new Promise((resolve) => {
      this.#settle = resolve;
    });
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    // Before the server's own handler, so that the header is set before anything is written.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.#draining) response.setHeader('connection', 'close');
      this.#responses.add(response);
      response.once('close', () => this.#responses.delete(response));
      response.once('finish', () => {
        // Its connection is idle from the next turn on (a response written before the drain said keep-alive).
        if (this.#draining) setImmediate(() => this.#server.closeIdleConnections());
      });
    });
  }

  /**
   * Stops accepting connections (a connection attempt is refused from when this returns) and closes the idle ones;
   * returns how many connections are still open, each with a request under way.
   */
  drain(): number {
    if (!this.#draining) {
      this.#draining = true;
      this.#closing = new Promise<void>((resolve) => {
        // Called back, with or without an error (a server that was not listening), once no connection is left.
        this.#server.close(() => resolve());
      });
      void this.#closing.then(this.#settle);
      // Those not yet begun close their connection once sent, rather than offering it for more.
      for (const response of this.#responses) if (!response.headersSent) response.setHeader('connection', 'close');
      this.#server.closeIdleConnections();
    }
    return this.#open();
  }

  /**
   * Closes every connection still open now (stopping the listener first if `drain()` was not called); resolves once
   * the server has closed, with how many connections it closed.
   */
  async close(): Promise<number> {
    const cut = this.#open();
    this.drain();
    for (const socket of this.#sockets) socket.destroy();
    await this.#closing;
    return cut;
  }

  #open(): number {
    let open = 0;
    for (const socket of this.#sockets) if (!socket.destroyed) open += 1;
    return open;
  }
}
