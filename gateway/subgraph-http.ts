import http from 'node:http';
import https from 'node:https';

/** Connections kept per department: more than the gateway's concurrent calls to one department at peak. */
const MAX_SOCKETS = 64;

/** A department's whole answer to one call, already read. */
export interface SubgraphReply {
  status: number;
  contentType: string;
  body: string;
}

export type SubgraphPost = (url: string, request: { headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<SubgraphReply>;

/**
 * How the gateway calls departments: a JSON POST with node:http over one keep-alive pool per
 * process (at most MAX_SOCKETS connections per department, most recently used first).
 *
 * Why not the global fetch, nor Apollo's RemoteGraphQLDataSource with it: profiling the
 * five-department review (`--cpu-prof`) showed undici's fetch as most of the gateway's own time
 * per request (a WHATWG stream for every body, a tee'd clone, abort plumbing, a WebAssembly HTTP
 * parser), and RemoteGraphQLDataSource building node-fetch Request and Headers objects it only
 * needs for error reports, for a small JSON body each way, five to eight times per review.
 */
export function keepAliveClient(): SubgraphPost {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
    https: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS, scheduling: 'lifo' }),
  };
  return (url, { headers, body, signal }) => {
    const secure = url.startsWith('https:');
    const transport = secure ? https : http;
    return new Promise<SubgraphReply>((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          agent: secure ? agents.https : agents.http,
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('error', reject);
          response.once('end', () =>
            resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      request.once('error', reject);
      request.end(body);
    });
  };
}
