import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
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

/**
 * The ports the Fetch standard calls bad (https://fetch.spec.whatwg.org/#port-blocking): browsers
 * and Node's own fetch refuse to connect to them ("bad port", ERR_UNSAFE_PORT). A gateway on one
 * could not be opened in the playground, a department on one would fail every readiness check,
 * and a test stack drawn onto 10080 failed a CI run.
 */
const FETCH_BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113,
  115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556,
  563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
  6668, 6669, 6679, 6697, 10080,
]);

/** Whether browsers and fetch refuse to connect to `port` (see FETCH_BLOCKED_PORTS). */
export function isFetchBlockedPort(port: number): boolean {
  return FETCH_BLOCKED_PORTS.has(port);
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

export interface ListenOptions {
  /** Added to the answer to headers over Node's limit: what a caller is likely to have sent too much of. */
  headersTooLargeHint?: string;
}

/** Starts an HTTP server and resolves once it listens (port 0 picks a free port). */
export function listen(handler: RequestListener, port: number, host: string, options: ListenOptions = {}): Promise<Listening> {
  const server = http.createServer(handler);
  server.on('clientError', clientErrorAnswer(options.headersTooLargeHint));
  // Longer than the gateway's pooled connections idle, so a reused socket is never closed under it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    // The address is ONESOURCE_HOST's: a name that does not resolve, or an address this machine
    // does not have, is said in the setting's words rather than as getaddrinfo's.
    const failed = (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOTFOUND' || e.code === 'EADDRNOTAVAIL' || e.code === 'EAI_AGAIN'
        ? new Error(`ONESOURCE_HOST "${host}" is not an address of this machine to listen on (${e.code}): use 127.0.0.1, 0.0.0.0 (every address) or one of its own`)
        : e);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
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

/**
 * A request node:http could not parse never reaches the handler: without this, Node answers 431 or
 * 400 with an empty body. Here it is a JSON GraphQL error saying what is wrong (BAD_REQUEST, as
 * every malformed request), written straight onto the socket, which is then closed: the parser
 * cannot go on after an error. A socket that can no longer be written to, or whose response has
 * begun already, is only closed.
 */
function clientErrorAnswer(hint: string | undefined) {
  return (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    let status = 400;
    let message = `The request is not valid HTTP/1.1${err.reason ? ` (${err.reason.slice(0, 100)})` : ''}`;
    let extensions: Record<string, unknown> = {};
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      message = `The request line and headers exceed Node's max header size, ${http.maxHeaderSize} bytes${hint ? `: ${hint}` : ''}`;
      extensions = { limit: 'maxHeaderSize', max: http.maxHeaderSize };
    } else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      status = 413;
      message = 'The chunk extensions of the request body are too large';
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      message = 'The request did not arrive in time';
    }
    const body = JSON.stringify(errorAnswer(message, 'BAD_REQUEST', extensions));
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
