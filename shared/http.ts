import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener, ServerResponse } from 'node:http';

/** A JSON answer, its length declared, in one write. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body of a request refused before any GraphQL ran: one error, with its code from the contract. */
export function errorAnswer(message: string, code: string, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

export interface Listening {
  server: http.Server;
  port: number;
  close(graceMs?: number): Promise<void>;
}

/**
 * The URL at which this machine reaches a server bound to `host` (ONESOURCE_HOST): that address,
 * or the loopback one for a server bound to every address.
 */
export function localUrl(host: string, port: number, path: string): string {
  const address = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}${path}`;
}

/** Starts an HTTP server and resolves once it listens (port 0 picks a free port). */
export function listen(handler: RequestListener, port: number, host: string): Promise<Listening> {
  const server = http.createServer(handler);
  // Longer than the gateway's pooled connections idle, so a reused socket is never closed under it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        // Finish what is in flight, then cut connections still open after the grace period. A
        // keep-alive connection whose request finishes during the drain goes idle and would
        // otherwise be held open by its client until the grace period: closed as soon as idle.
        close: (graceMs = 5_000) =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            const idle = setInterval(() => server.closeIdleConnections(), 50);
            server.close(() => {
              clearTimeout(force);
              clearInterval(idle);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
