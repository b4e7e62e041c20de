import http from 'node:http';
import https from 'node:https';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';

/** Connections kept per department: more than the gateway's concurrent calls to one department at peak. */
const MAX_SOCKETS = 64;

/**
 * The fetcher the gateway calls departments with: node:http over one keep-alive pool per process
 * (at most MAX_SOCKETS connections per department, most recently used first, idle ones closed
 * just before the department's announced keep-alive timeout).
 *
 * Why not the global fetch: profiling the five-department review (`--cpu-prof`) showed undici's
 * fetch as most of the gateway's own time per request: a WHATWG stream for every request and
 * response body, a tee'd clone, abort-signal plumbing and a WebAssembly HTTP parser, for a small
 * JSON body each way, five to eight times per review. Apollo Gateway needs only a fetch-shaped
 * answer (status, headers, text/json), which this gives without any of that.
 */
export function keepAliveFetcher(): Fetcher {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
  };
  return (url, init) => send(url, init ?? {}, agents);
}

type Agents = { 'http:': http.Agent; 'https:': https.Agent };

function send(url: string, init: FetcherRequestInit & { signal?: AbortSignal | null }, agents: Agents): Promise<FetcherResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
  const body = typeof init.body === 'string' || Buffer.isBuffer(init.body) ? init.body : init.body == null ? undefined : String(init.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries((init.headers as Record<string, string> | undefined) ?? {})) headers[name.toLowerCase()] = value;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));

  return new Promise<FetcherResponse>((resolve, reject) => {
    const request = transport.request(target, { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => resolve(new BufferedResponse(url, response, Buffer.concat(chunks))));
    });
    request.once('error', reject);
    request.end(body);
  });
}

/** A whole answer, already read: what RemoteGraphQLDataSource reads of a fetch Response. */
class BufferedResponse implements FetcherResponse {
  readonly redirected = false;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  bodyUsed = false;

  constructor(
    readonly url: string,
    response: http.IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = response.statusCode ?? 0;
    this.statusText = response.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new Headers();
    for (let i = 0; i < response.rawHeaders.length; i += 2) this.headers.append(response.rawHeaders[i], response.rawHeaders[i + 1]);
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body.toString('utf8');
  }

  async json(): Promise<any> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }

  clone(): FetcherResponse {
    const copy = Object.create(BufferedResponse.prototype) as BufferedResponse;
    return Object.assign(copy, this, { bodyUsed: false });
  }
}
